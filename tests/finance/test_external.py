"""The interface payroll posts through: 支出負担行為 + 支出命令 per line, idempotent by source key, hard stop."""

from __future__ import annotations

from datetime import date

import pytest

from finance import selectors, services
from finance.errors import BudgetExceeded, BudgetLineNotFound, InvalidAmount, InvalidBudgetCode
from finance.models import Commitment, CommitmentStatus, JournalLine, OrderStatus, PaymentOrder
from finance.services import ExternalLine
from tenants.models import Person, Role
from tests.finance.factories import Budget, People, budget, in_nakatosa, people
from tests.support.people import make_person

pytestmark = pytest.mark.django_db
__all__ = ["budget", "in_nakatosa", "people"]  # fixtures

PAY_DAY = date(2026, 12, 21)


@pytest.fixture
def payroll_officer(in_nakatosa: None) -> Person:
    return make_person("f_payroll", nakatosa=Role.PAYROLL_OFFICER)


def post(actor: Person, lines: list[ExternalLine], key: str = "payroll:2026-12", pay_on: date = PAY_DAY) -> list[str]:
    return services.post_external_expenditure(
        actor=actor,
        source_key=key,
        purpose="令和8年12月分給与",
        payee_name="職員給与(口座振込)",
        pay_on=pay_on,
        lines=lines,
        department_code="T100",
    )


SALARY = [
    ExternalLine("02-01-01", "02", 12_345_678, "給料"),
    ExternalLine("02-01-01", "03", 2_000_000, "職員手当等"),
]


def test_each_line_becomes_a_commitment(payroll_officer: Person, budget: Budget) -> None:
    assert post(payroll_officer, SALARY) == ["C2026-000001", "C2026-000002"]


def test_the_orders_await_the_accountants_audit(payroll_officer: Person, budget: Budget) -> None:
    post(payroll_officer, SALARY)
    assert set(PaymentOrder.objects.values_list("status", flat=True)) == {OrderStatus.ORDERED}


def test_the_commitments_are_ordered(payroll_officer: Person, budget: Budget) -> None:
    post(payroll_officer, SALARY)
    assert set(Commitment.objects.values_list("status", flat=True)) == {CommitmentStatus.ORDERED}


def test_the_budget_is_committed(payroll_officer: Person, budget: Budget) -> None:
    post(payroll_officer, SALARY)
    assert selectors.line_figures(budget.salaries).committed == 12_345_678


def test_a_second_call_returns_the_same_numbers_and_writes_nothing(payroll_officer: Person, budget: Budget) -> None:
    first = post(payroll_officer, SALARY)
    lines = JournalLine.objects.count()
    assert (post(payroll_officer, SALARY), JournalLine.objects.count()) == (first, lines)


def test_the_hard_stop_applies(payroll_officer: Person, budget: Budget) -> None:
    with pytest.raises(BudgetExceeded):
        post(payroll_officer, [ExternalLine("02-01-01", "02", 100_000_001, "給料")])


def test_a_refused_run_writes_none_of_its_lines(payroll_officer: Person, budget: Budget) -> None:
    with pytest.raises(BudgetExceeded):
        post(
            payroll_officer,
            [ExternalLine("02-01-01", "03", 1_000, "手当"), ExternalLine("02-01-01", "02", 100_000_001, "給料")],
        )
    assert Commitment.objects.count() == 0


def test_an_unknown_setsu_is_refused(payroll_officer: Person, budget: Budget) -> None:
    with pytest.raises(BudgetLineNotFound):
        post(payroll_officer, [ExternalLine("02-01-01", "04", 1, "共済費")])


def test_a_malformed_code_is_refused(payroll_officer: Person, budget: Budget) -> None:
    with pytest.raises(InvalidBudgetCode):
        post(payroll_officer, [ExternalLine("2-1-1", "02", 1, "給料")])


def test_a_negative_amount_is_refused(payroll_officer: Person, budget: Budget) -> None:
    with pytest.raises(InvalidAmount):
        post(payroll_officer, [ExternalLine("02-01-01", "02", -1, "給料")])


def test_the_year_is_that_of_the_pay_date(payroll_officer: Person, budget: Budget) -> None:
    # 2027-04-17 belongs to 令和9年度, which has no budget yet.
    with pytest.raises(BudgetLineNotFound):
        post(payroll_officer, SALARY, key="payroll:2027-04", pay_on=date(2027, 4, 17))


def test_the_accountant_audits_an_external_order(payroll_officer: Person, people: People, budget: Budget) -> None:
    post(payroll_officer, SALARY)
    order = PaymentOrder.objects.order_by("number").first()
    assert order is not None
    assert services.audit_order(actor=people.accountant, order=order, approve=True).status == OrderStatus.APPROVED


def test_the_payroll_officer_cannot_audit_their_own_run(payroll_officer: Person, budget: Budget) -> None:
    make_person_accountant = payroll_officer
    post(make_person_accountant, SALARY)
    order = PaymentOrder.objects.order_by("number").first()
    assert order is not None
    from tenants.models import Membership, Municipality

    Membership.objects.create(
        person=payroll_officer,
        municipality=Municipality.objects.get(schema_name="nakatosa"),
        role=Role.ACCOUNTANT,
        valid_from=date(2000, 1, 1),
    )
    from finance.errors import SelfApproval

    with pytest.raises(SelfApproval):
        services.audit_order(actor=payroll_officer, order=order, approve=True)
