"""Reports from the journal: 予算執行状況表, 歳入歳出決算書 of a closed year, the monthly chart, 納入通知書."""

from __future__ import annotations

from datetime import date

import pytest

from finance import charts, selectors, services
from finance.models import Side
from tests.conftest import HOSTS, make_client
from tests.finance.factories import Budget, People, budget, in_nakatosa, people

pytestmark = pytest.mark.django_db
__all__ = ["budget", "in_nakatosa", "people"]  # fixtures

DAY = date(2026, 11, 27)


def spend(people: People, budget: Budget, amount: int) -> None:
    commitment = services.commit_expenditure(
        actor=people.clerk,
        line=budget.other_kou,
        amount=amount,
        purpose="修繕",
        committed_on=DAY,
        payee_name="土佐建設",
    )
    services.inspect_delivery(actor=people.inspector, commitment=commitment, inspected_on=DAY)
    order = services.order_payment(
        actor=people.orderer, commitment=commitment, amount=amount, pay_on=DAY, method="counter"
    )
    services.audit_order(actor=people.accountant, order=order, approve=True)
    services.pay_orders(actor=people.cashier, orders=[order], paid_on=DAY, method="counter")


def test_execution_rows_come_from_the_journal(people: People, budget: Budget) -> None:
    spend(people, budget, 120_000)
    row = next(r for r in selectors.execution_by_line(year=2026) if r.budget_code == "02-02-01")
    assert (row.current_budget, row.committed, row.paid, row.remaining) == (500_000, 120_000, 120_000, 380_000)


def test_the_settlement_shows_unused_and_carried(people: People, budget: Budget) -> None:
    spend(people, budget, 120_000)
    services.carry_forward(actor=people.finance, line=budget.other_kou, amount=80_000, kind="明許", reason="工期")
    services.close_fiscal_year(actor=people.accountant, year=budget.year, today=date(2027, 6, 1))
    row = next(r for r in selectors.settlement(year=2026, side=Side.EXPENDITURE) if r.code == "02-02-01 節10")
    assert (row.current_budget, row.paid, row.carried_out, row.unused) == (500_000, 120_000, 80_000, 300_000)


def test_the_settlement_has_kan_subtotals(people: People, budget: Budget) -> None:
    spend(people, budget, 120_000)
    row = next(r for r in selectors.settlement(year=2026, side=Side.EXPENDITURE) if r.code == "02")
    assert (row.level, row.paid) == (1, 120_000)


def test_the_settlement_revenue_side(people: People, budget: Budget) -> None:
    assessment = services.assess_revenue(
        actor=people.clerk,
        line=budget.tax,
        payer_name="x",
        amount=10_000,
        purpose="町民税",
        assessed_on=DAY,
        due_on=DAY,
    )
    services.record_receipt(actor=people.accountant, assessment=assessment, amount=7_000, received_on=DAY)
    row = next(r for r in selectors.settlement(year=2026, side=Side.REVENUE) if r.level == 3)
    assert (row.assessed, row.received, row.uncollected) == (10_000, 7_000, 3_000)


def test_the_settlement_page_waits_for_the_closing(people: People, budget: Budget) -> None:
    body = make_client(HOSTS["nakatosa"], people.finance).get("/finance/settlement/?year=2026").content.decode()
    assert "まだ決算されていません" in body


def test_the_settlement_pdf_of_a_closed_year(people: People, budget: Budget) -> None:
    services.close_fiscal_year(actor=people.accountant, year=budget.year, today=date(2027, 6, 1))
    response = make_client(HOSTS["nakatosa"], people.finance).get("/finance/settlement/?year=2026&format=pdf")
    assert response.content.startswith(b"%PDF")


def test_the_payment_notice_pdf(people: People, budget: Budget) -> None:
    assessment = services.assess_revenue(
        actor=people.clerk,
        line=budget.tax,
        payer_name="x",
        amount=10_000,
        purpose="町民税",
        assessed_on=DAY,
        due_on=DAY,
    )
    response = make_client(HOSTS["nakatosa"], people.finance).get(f"/finance/revenues/{assessment.number}/notice/")
    assert response.content.startswith(b"%PDF")


def test_the_monthly_series_puts_payments_in_their_month(people: People, budget: Budget) -> None:
    spend(people, budget, 120_000)
    series = dict((month, paid) for month, _, paid in selectors.monthly_execution(year=2026))
    assert series[11] == 120_000


def test_the_chart_is_svg_with_a_title_per_bar() -> None:
    svg = charts.monthly_chart([(4, 100, 50)] + [(m, 0, 0) for m in (5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)])
    assert svg.count("<rect") == 24
