"""The 賞与 算出率の表 is chosen by payment date like the 月額表 (docs/domain/payroll.md §1.1). The 令和8年分 table is
not in the data yet: a 2026 payment uses the 2020 table, and says so on the payslip line; a file
``bonus-tables_2026-01-01.yaml`` dropped into the data directory is picked up for payments from 2026-01-01."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from payroll import withholding


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the data directory; the loaded tables are forgotten before and after."""
    for path in withholding.DATA_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(withholding, "DATA_DIR", tmp_path)
    withholding.bonus_tables.cache_clear()
    withholding.monthly_tables.cache_clear()
    yield tmp_path
    withholding.bonus_tables.cache_clear()
    withholding.monthly_tables.cache_clear()


def test_a_2026_payment_uses_the_newest_table_the_data_holds() -> None:
    assert withholding.bonus_table_in_force(date(2026, 6, 30)).effective_from == date(2020, 1, 1)


def test_the_payslip_note_flags_a_bonus_table_older_than_the_monthly_one() -> None:
    assert withholding.bonus_table_note(date(2026, 6, 30)) == "算出率の表 2020-01-01版(支払年の表が未収録)"


def test_a_2025_payment_needs_no_flag() -> None:
    assert withholding.bonus_table_note(date(2025, 12, 10)) == "算出率の表 2020-01-01版"


def test_a_loaded_2026_table_is_chosen_from_its_first_day(data_dir: Path) -> None:
    # The copy stands in for the NTA's 令和8年分 table: only its file name (the 施行日) matters to the choice.
    shutil.copy(data_dir / "bonus-tables_2020-01-01.yaml", data_dir / "bonus-tables_2026-01-01.yaml")
    assert withholding.bonus_table_in_force(date(2026, 1, 1)).effective_from == date(2026, 1, 1)


def test_a_loaded_2026_table_leaves_2025_payments_on_the_2020_table(data_dir: Path) -> None:
    shutil.copy(data_dir / "bonus-tables_2020-01-01.yaml", data_dir / "bonus-tables_2026-01-01.yaml")
    assert withholding.bonus_table_in_force(date(2025, 12, 31)).effective_from == date(2020, 1, 1)
