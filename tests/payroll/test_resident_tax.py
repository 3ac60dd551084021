"""住民税の特別徴収 (docs/domain/payroll.md §2): 12 instalments, June first, the remainder under 100 yen in June."""

from __future__ import annotations

from datetime import date

import pytest

from payroll.errors import PayrollInputError
from payroll.resident_tax import instalment_for, instalments, remaining_after


@pytest.mark.parametrize(
    ("annual", "june", "other"),
    [
        (120_000, 10_000, 10_000),
        (100_000, 8_700, 8_300),  # 8,333.3 → 8,300; June 100,000 − 91,300
        (123_456, 11_256, 10_200),
        (1_199, 1_199, 0),  # under 1,200 yen: all in June
        (0, 0, 0),
        (1_200, 100, 100),
    ],
)
def test_instalments(annual: int, june: int, other: int) -> None:
    amounts = instalments(annual)
    assert amounts == [june] + [other] * 11


def test_instalments_add_up_to_the_annual_amount() -> None:
    assert sum(instalments(987_654)) == 987_654


def test_instalment_for_a_month() -> None:
    assert instalment_for(100_000, date(2026, 6, 10)) == 8_700
    assert instalment_for(100_000, date(2027, 5, 10)) == 8_300


def test_remaining_after_leaving() -> None:
    # leaving after the September instalment: October … May = 8 months.
    assert remaining_after(100_000, date(2026, 9, 1)) == 8_300 * 8


@pytest.mark.parametrize("annual", [-1, True, 1.5])
def test_bad_annual_amount(annual: object) -> None:
    with pytest.raises(PayrollInputError):
        instalments(annual)  # type: ignore[arg-type]
