"""The fixed rules: which year a date belongs to, the 出納整理期間, codes and amounts."""

from __future__ import annotations

from datetime import date

import pytest

from finance import rules
from finance.errors import InvalidAmount, InvalidBudgetCode


@pytest.mark.parametrize(
    ("day", "year"),
    [(date(2026, 4, 1), 2026), (date(2027, 3, 31), 2026), (date(2026, 3, 31), 2025), (date(2026, 12, 31), 2026)],
)
def test_the_year_of_a_date_starts_on_1_april(day: date, year: int) -> None:
    assert rules.fiscal_year_of(day) == year


def test_the_closing_period_ends_on_31_may_of_the_next_year() -> None:
    assert rules.closing_period_end(2026) == date(2027, 5, 31)


def test_a_payment_on_31_may_still_belongs_to_the_old_year() -> None:
    assert rules.in_year_or_closing_period(2026, date(2027, 5, 31))


def test_a_payment_on_1_june_is_too_late_for_the_old_year() -> None:
    assert not rules.in_year_or_closing_period(2026, date(2027, 6, 1))


def test_a_commitment_in_april_is_not_in_the_old_year() -> None:
    assert not rules.in_year(2026, date(2027, 4, 1))


def test_there_are_27_expenditure_setsu() -> None:
    assert len(rules.EXPENDITURE_SETSU) == 27


def test_the_last_setsu_is_kuridashikin() -> None:
    assert rules.EXPENDITURE_SETSU["27"] == "繰出金"


def test_setsu_28_does_not_exist() -> None:
    with pytest.raises(InvalidBudgetCode):
        rules.require_setsu("28")


@pytest.mark.parametrize("code", ["2-1-1", "02-01-01-01", "02/01/01", "", "ab-01-01"])
def test_malformed_budget_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidBudgetCode):
        rules.parse_budget_code(code)


def test_a_budget_code_splits_into_its_levels() -> None:
    assert rules.parse_budget_code("02-01-01") == ("02", "01", "01")


@pytest.mark.parametrize("amount", [-1, 0, 1.5, "100", True, None])
def test_bad_amounts_are_refused(amount: object) -> None:
    with pytest.raises(InvalidAmount):
        rules.require_amount(amount)


def test_reiwa_year_name() -> None:
    assert rules.wareki_year(2026) == "令和8年度"
