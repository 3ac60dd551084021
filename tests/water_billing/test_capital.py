"""資本的収支 (4条; docs/domain/water_billing.md §5.2): entries posted to the books, the 資本的収支 against the 4条
budget, the shortfall and its 補填財源; bad input refused with nothing written; the page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django_tenants.utils import schema_context

from common.dates import local_today
from common.errors import ValidationFailed
from common.town_settings import record_setting
from water_billing import selectors, selectors_capital, settings_keys
from water_billing.errors import PeriodClosed
from water_billing.models import BudgetArticle, CapitalEntry, CapitalItem, FundingSource, LedgerLine
from water_billing.services import budgets, capital

pytestmark = pytest.mark.django_db
DAY = date(2026, 8, 3)


@pytest.fixture
def town(db: Any) -> Any:
    with schema_context("nakatosa"):
        yield


def _balances(end: date = DAY) -> dict[str, int]:
    return {r.code: r.balance for r in selectors.trial_balance(end=end)}


def test_a_bond_is_cash_and_a_liability(town: Any) -> None:
    capital.record_capital_entry(actor=None, item=CapitalItem.BOND, posted_on=DAY, amount=5_000_000)
    assert _balances()["2310"] == 5_000_000


def test_construction_is_paid_from_cash(town: Any) -> None:
    capital.record_capital_entry(actor=None, item=CapitalItem.CONSTRUCTION, posted_on=DAY, amount=3_000_000)
    assert _balances()["1510"] == 3_000_000
    assert _balances()["1110"] == -3_000_000


def test_a_subsidy_is_a_deferred_income(town: Any) -> None:
    capital.record_capital_entry(actor=None, item=CapitalItem.SUBSIDY, posted_on=DAY, amount=1_000_000)
    assert _balances()["2410"] == 1_000_000


def test_a_redemption_lowers_the_bonds(town: Any) -> None:
    capital.record_capital_entry(actor=None, item=CapitalItem.BOND, posted_on=DAY, amount=5_000_000)
    capital.record_capital_entry(actor=None, item=CapitalItem.REDEMPTION, posted_on=DAY, amount=1_200_000)
    assert _balances()["2310"] == 3_800_000


def test_the_balance_sheet_still_balances(town: Any) -> None:
    capital.record_capital_entry(actor=None, item=CapitalItem.CONTRIBUTION, posted_on=DAY, amount=2_000_000)
    capital.record_capital_entry(actor=None, item=CapitalItem.CONSTRUCTION, posted_on=DAY, amount=1_500_000)
    s = selectors.statements(start=date(2026, 4, 1), end=DAY)
    assert s.asset_total == s.liability_total + s.retained


def test_a_negative_amount_is_refused_and_writes_nothing(town: Any) -> None:
    with pytest.raises(ValidationFailed):
        capital.record_capital_entry(actor=None, item=CapitalItem.BOND, posted_on=DAY, amount=-1)
    assert not LedgerLine.objects.exists()


def test_an_entry_in_a_closed_month_is_refused_and_writes_nothing(town: Any) -> None:
    record_setting(actor=None, key=settings_keys.CLOSED_THROUGH, value="2026-08-31", effective_from=local_today())
    with pytest.raises(PeriodClosed):
        capital.record_capital_entry(actor=None, item=CapitalItem.BOND, posted_on=DAY, amount=100)
    assert not CapitalEntry.objects.exists()


def test_the_statement_compares_with_the_4jo_budget(town: Any) -> None:
    budgets.record_budget_line(
        actor=None, fiscal_year=2026, article=BudgetArticle.CAPITAL, account_code=CapitalItem.CONSTRUCTION,
        name="建設改良費", amount=10_000_000,
    )  # fmt: skip
    capital.record_capital_entry(actor=None, item=CapitalItem.CONSTRUCTION, posted_on=DAY, amount=4_000_000)
    s = selectors_capital.capital_statement(fiscal_year=2026)
    [row] = [r for r in s.expenditure if r.item == CapitalItem.CONSTRUCTION]
    assert row.remaining == 6_000_000


def test_the_budget_execution_shows_the_capital_actual(town: Any) -> None:
    budgets.record_budget_line(
        actor=None, fiscal_year=2026, article=BudgetArticle.CAPITAL, account_code=CapitalItem.BOND,
        name="企業債", amount=8_000_000,
    )  # fmt: skip
    capital.record_capital_entry(actor=None, item=CapitalItem.BOND, posted_on=DAY, amount=5_000_000)
    [row] = selectors.budget_execution(fiscal_year=2026, end=DAY)
    assert row.actual == 5_000_000


def test_the_shortfall_is_covered_by_the_noted_funding(town: Any) -> None:
    capital.record_capital_entry(actor=None, item=CapitalItem.BOND, posted_on=DAY, amount=2_000_000)
    capital.record_capital_entry(actor=None, item=CapitalItem.CONSTRUCTION, posted_on=DAY, amount=5_000_000)
    capital.record_funding(actor=None, fiscal_year=2026, source=FundingSource.RETAINED_DEPRECIATION, amount=2_500_000)
    s = selectors_capital.capital_statement(fiscal_year=2026)
    assert s.shortfall == 3_000_000
    assert s.uncovered == 500_000


# --- the page ---------------------------------------------------------------------------------------------


def test_the_clerk_records_an_entry_on_the_page(new_person: Any, client_for: Any, town: Any) -> None:
    clerk = client_for(new_person("wb-cap-clerk", nakatosa="water_clerk").username, "nakatosa")
    data = {"action": "entry", "entry-item": "K210", "entry-posted_on": DAY.isoformat(), "entry-amount": "120,000"}
    clerk.post("/water_billing/capital/?year=2026", data)
    page = clerk.get("/water_billing/capital/?year=2026").content.decode()
    assert "資本的支出 計</th><td></td><td>120000円" in page


def test_the_page_refuses_a_negative_amount(new_person: Any, client_for: Any, town: Any) -> None:
    clerk = client_for(new_person("wb-cap-clerk2", nakatosa="water_clerk").username, "nakatosa")
    data = {"action": "entry", "entry-item": "K210", "entry-posted_on": DAY.isoformat(), "entry-amount": "-5"}
    response = clerk.post("/water_billing/capital/?year=2026", data)
    assert response.status_code == 400
    with schema_context("nakatosa"):
        assert not CapitalEntry.objects.exists()


def test_the_auditor_cannot_record(new_person: Any, client_for: Any, town: Any) -> None:
    auditor = client_for(new_person("wb-cap-auditor", nakatosa="auditor").username, "nakatosa")
    data = {"action": "entry", "entry-item": "K210", "entry-posted_on": DAY.isoformat(), "entry-amount": "100"}
    assert auditor.post("/water_billing/capital/?year=2026", data).status_code == 403
