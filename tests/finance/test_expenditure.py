"""Expenditure from commitment to payment: each step by another person with its own duty, the hard stop, the
総合振込 file, 戻入, 取消, 更正 and the 精算 of an advance — every correction a new journal line."""

from __future__ import annotations

from datetime import date

import pytest

from common.models import AuditEvent
from common.zengin import parse_file
from finance import selectors, services
from finance.errors import (
    BudgetExceeded,
    FinanceError,
    InvalidAmount,
    OutsideFiscalPeriod,
    RoleRequired,
    SelfApproval,
    WrongState,
)
from finance.models import (
    Commitment,
    CommitmentKind,
    CommitmentStatus,
    JournalLine,
    OrderStatus,
    PaymentMethod,
    PaymentOrder,
    Vendor,
    VendorKind,
)
from tests.finance.factories import Budget, People, budget, in_nakatosa, people

pytestmark = pytest.mark.django_db
__all__ = ["budget", "in_nakatosa", "people"]  # fixtures

DAY = date(2026, 11, 27)
PAY_DAY = date(2026, 12, 10)


@pytest.fixture
def vendor(people: People) -> Vendor:
    return services.register_vendor(
        actor=people.clerk,
        kind=VendorKind.CORPORATION,
        name="株式会社土佐文具",
        name_kana="ｶ)ﾄｻﾌﾞﾝｸﾞ",
        corporate_number="7000012050002",
        invoice_number="T7000012050002",
        bank_code="0001",
        branch_code="001",
        account_type="1",
        account_number="1234567",
    )


def commit(
    people: People,
    budget: Budget,
    vendor: Vendor | None = None,
    amount: int = 300_000,
    kind: str = CommitmentKind.NORMAL,
) -> Commitment:
    return services.commit_expenditure(
        actor=people.clerk,
        line=budget.supplies,
        amount=amount,
        purpose="コピー用紙の購入",
        committed_on=DAY,
        vendor=vendor,
        payee_name="" if vendor else "土佐文具",
        kind=kind,
    )


def through_audit(people: People, budget: Budget, vendor: Vendor, method: str = PaymentMethod.TRANSFER) -> PaymentOrder:
    commitment = commit(people, budget, vendor)
    services.inspect_delivery(actor=people.inspector, commitment=commitment, inspected_on=DAY)
    order = services.order_payment(
        actor=people.orderer, commitment=commitment, amount=300_000, pay_on=PAY_DAY, method=method
    )
    return services.audit_order(actor=people.accountant, order=order, approve=True)


def test_a_commitment_takes_budget(people: People, budget: Budget) -> None:
    commit(people, budget)
    assert selectors.line_figures(budget.supplies).available == 700_000


def test_a_commitment_is_numbered_in_its_year(people: People, budget: Budget) -> None:
    assert commit(people, budget).number == "C2026-000001"


def test_a_commitment_above_the_remaining_budget_is_refused_with_the_figures(people: People, budget: Budget) -> None:
    commit(people, budget, amount=900_000)
    with pytest.raises(BudgetExceeded) as excinfo:
        commit(people, budget, amount=100_001)
    assert "予算現額 1,000,000円 − 負担行為済額 900,000円 = 残額 100,000円 に対し、100,001円" in excinfo.value.message


def test_a_refused_commitment_writes_nothing(people: People, budget: Budget) -> None:
    lines, events = JournalLine.objects.count(), AuditEvent.objects.count()
    with pytest.raises(BudgetExceeded):
        commit(people, budget, amount=1_000_001)
    assert (JournalLine.objects.count(), AuditEvent.objects.count(), Commitment.objects.count()) == (lines, events, 0)


def test_the_last_yen_can_be_committed(people: People, budget: Budget) -> None:
    commit(people, budget, amount=1_000_000)
    assert selectors.line_figures(budget.supplies).available == 0


def test_a_commitment_dated_outside_the_year_is_refused(people: People, budget: Budget) -> None:
    with pytest.raises(OutsideFiscalPeriod):
        services.commit_expenditure(
            actor=people.clerk,
            line=budget.supplies,
            amount=1,
            purpose="用紙",
            committed_on=date(2027, 4, 2),
            payee_name="土佐文具",
        )


@pytest.mark.parametrize("amount", [-5, 0, "1000"])
def test_bad_amounts_are_refused(people: People, budget: Budget, amount: object) -> None:
    with pytest.raises(InvalidAmount):
        commit(people, budget, amount=amount)  # type: ignore[arg-type]


def test_a_teacher_or_accountant_cannot_commit(people: People, budget: Budget) -> None:
    with pytest.raises(RoleRequired):
        services.commit_expenditure(
            actor=people.accountant,
            line=budget.supplies,
            amount=1,
            purpose="用紙",
            committed_on=DAY,
            payee_name="土佐文具",
        )


def test_the_committer_cannot_inspect(people: People, budget: Budget) -> None:
    commitment = commit(people, budget)
    with pytest.raises(SelfApproval):
        services.inspect_delivery(actor=people.clerk, commitment=commitment, inspected_on=DAY)


def test_the_inspector_cannot_order(people: People, budget: Budget, vendor: Vendor) -> None:
    commitment = commit(people, budget, vendor)
    services.inspect_delivery(actor=people.inspector, commitment=commitment, inspected_on=DAY)
    with pytest.raises(SelfApproval):
        services.order_payment(actor=people.inspector, commitment=commitment, amount=1, pay_on=PAY_DAY)


def test_a_normal_commitment_is_not_ordered_before_inspection(people: People, budget: Budget, vendor: Vendor) -> None:
    commitment = commit(people, budget, vendor)
    with pytest.raises(WrongState):
        services.order_payment(actor=people.orderer, commitment=commitment, amount=1, pay_on=PAY_DAY)


def test_orders_cannot_exceed_the_commitment(people: People, budget: Budget, vendor: Vendor) -> None:
    commitment = commit(people, budget, vendor)
    services.inspect_delivery(actor=people.inspector, commitment=commitment, inspected_on=DAY)
    with pytest.raises(InvalidAmount):
        services.order_payment(actor=people.orderer, commitment=commitment, amount=300_001, pay_on=PAY_DAY)


def test_only_an_accountant_audits(people: People, budget: Budget, vendor: Vendor) -> None:
    commitment = commit(people, budget, vendor)
    services.inspect_delivery(actor=people.inspector, commitment=commitment, inspected_on=DAY)
    order = services.order_payment(actor=people.orderer, commitment=commitment, amount=300_000, pay_on=PAY_DAY)
    with pytest.raises(RoleRequired):
        services.audit_order(actor=people.finance, order=order, approve=True)


def test_the_auditor_cannot_pay_what_they_ordered(people: People, budget: Budget, vendor: Vendor) -> None:
    order = through_audit(people, budget, vendor)
    with pytest.raises(SelfApproval):
        services.pay_orders(actor=people.accountant, orders=[order], paid_on=PAY_DAY)


def test_a_returned_order_goes_back_to_the_division(people: People, budget: Budget, vendor: Vendor) -> None:
    commitment = commit(people, budget, vendor)
    services.inspect_delivery(actor=people.inspector, commitment=commitment, inspected_on=DAY)
    order = services.order_payment(actor=people.orderer, commitment=commitment, amount=300_000, pay_on=PAY_DAY)
    services.audit_order(actor=people.accountant, order=order, approve=False, note="請求書の日付が空欄")
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.INSPECTED


def test_a_transfer_payment_builds_the_zengin_file(people: People, budget: Budget, vendor: Vendor) -> None:
    order = through_audit(people, budget, vendor)
    batch = services.pay_orders(actor=people.cashier, orders=[order], paid_on=PAY_DAY)
    parsed = parse_file(bytes(batch.zengin_file))
    assert (parsed.kind.value, parsed.record_count, parsed.total_amount) == ("21", 1, 300_000)


def test_a_payment_is_paid_expenditure(people: People, budget: Budget, vendor: Vendor) -> None:
    order = through_audit(people, budget, vendor)
    services.pay_orders(actor=people.cashier, orders=[order], paid_on=PAY_DAY)
    assert selectors.line_figures(budget.supplies).paid == 300_000


def test_a_paid_commitment_is_marked_paid(people: People, budget: Budget, vendor: Vendor) -> None:
    order = through_audit(people, budget, vendor)
    services.pay_orders(actor=people.cashier, orders=[order], paid_on=PAY_DAY)
    assert Commitment.objects.get(pk=order.commitment_id).status == CommitmentStatus.PAID


def test_a_counter_payment_has_no_file(people: People, budget: Budget, vendor: Vendor) -> None:
    order = through_audit(people, budget, vendor, method=PaymentMethod.COUNTER)
    batch = services.pay_orders(actor=people.cashier, orders=[order], paid_on=PAY_DAY, method=PaymentMethod.COUNTER)
    assert batch.zengin_file is None


def test_transfer_needs_a_bank_account(people: People, budget: Budget) -> None:
    commitment = commit(people, budget)
    services.inspect_delivery(actor=people.inspector, commitment=commitment, inspected_on=DAY)
    with pytest.raises(FinanceError) as excinfo:
        services.order_payment(actor=people.orderer, commitment=commitment, amount=1, pay_on=PAY_DAY)
    assert excinfo.value.code == "finance_bank_account_required"


def test_a_payment_in_the_closing_period_belongs_to_the_old_year(
    people: People, budget: Budget, vendor: Vendor
) -> None:
    commitment = commit(people, budget, vendor)
    services.inspect_delivery(actor=people.inspector, commitment=commitment, inspected_on=DAY)
    order = services.order_payment(
        actor=people.orderer, commitment=commitment, amount=300_000, pay_on=date(2027, 5, 20)
    )
    services.audit_order(actor=people.accountant, order=order, approve=True)
    services.pay_orders(actor=people.cashier, orders=[order], paid_on=date(2027, 5, 31))
    assert JournalLine.objects.get(source_number=order.number).fiscal_year == 2026


def test_a_payment_after_31_may_is_refused(people: People, budget: Budget, vendor: Vendor) -> None:
    order = through_audit(people, budget, vendor)
    with pytest.raises(OutsideFiscalPeriod):
        services.pay_orders(actor=people.cashier, orders=[order], paid_on=date(2027, 6, 1))
    assert PaymentOrder.objects.get(pk=order.pk).status == OrderStatus.APPROVED


def test_a_refund_is_a_new_line_and_frees_the_budget(people: People, budget: Budget, vendor: Vendor) -> None:
    order = through_audit(people, budget, vendor)
    services.pay_orders(actor=people.cashier, orders=[order], paid_on=PAY_DAY)
    services.record_refund(actor=people.accountant, order=order, amount=50_000, on=date(2026, 12, 20), reason="過払い")
    figures = selectors.line_figures(budget.supplies)
    assert (figures.paid, figures.committed) == (250_000, 250_000)


def test_cancelling_a_commitment_releases_its_budget(people: People, budget: Budget) -> None:
    commitment = commit(people, budget)
    services.cancel_commitment(actor=people.clerk, commitment=commitment, on=DAY, reason="発注取りやめ")
    assert selectors.line_figures(budget.supplies).available == 1_000_000


def test_the_journal_keeps_the_cancelled_commitment(people: People, budget: Budget) -> None:
    commitment = commit(people, budget)
    services.cancel_commitment(actor=people.clerk, commitment=commitment, on=DAY, reason="発注取りやめ")
    assert list(
        JournalLine.objects.filter(line=budget.supplies, kind="commitment")
        .order_by("seq")
        .values_list("amount", flat=True)
    ) == [300_000, -300_000]


def test_a_correction_moves_the_commitment_to_another_setsu(people: People, budget: Budget) -> None:
    commitment = commit(people, budget)
    services.correct_classification(
        actor=people.finance, commitment=commitment, target=budget.other_kou, on=DAY, reason="科目誤り"
    )
    assert (selectors.line_figures(budget.supplies).committed, selectors.line_figures(budget.other_kou).committed) == (
        0,
        300_000,
    )


def test_a_correction_obeys_the_hard_stop(people: People, budget: Budget) -> None:
    commitment = commit(people, budget, amount=600_000)
    with pytest.raises(BudgetExceeded):
        services.correct_classification(
            actor=people.finance, commitment=commitment, target=budget.other_kou, on=DAY, reason="科目誤り"
        )


def test_an_advance_is_ordered_before_inspection_and_settled(people: People, budget: Budget, vendor: Vendor) -> None:
    commitment = commit(people, budget, vendor, kind=CommitmentKind.ADVANCE)
    order = services.order_payment(actor=people.orderer, commitment=commitment, amount=300_000, pay_on=PAY_DAY)
    services.audit_order(actor=people.accountant, order=order, approve=True)
    services.pay_orders(actor=people.cashier, orders=[order], paid_on=PAY_DAY)
    services.settle_advance(actor=people.orderer, commitment=commitment, actual_amount=240_000, on=date(2027, 1, 5))
    figures = selectors.line_figures(budget.supplies)
    assert (figures.paid, figures.committed) == (240_000, 240_000)


def test_an_advance_settled_above_what_was_paid_awaits_a_new_order(
    people: People, budget: Budget, vendor: Vendor
) -> None:
    commitment = commit(people, budget, vendor, kind=CommitmentKind.PREPAYMENT)
    order = services.order_payment(actor=people.orderer, commitment=commitment, amount=300_000, pay_on=PAY_DAY)
    services.audit_order(actor=people.accountant, order=order, approve=True)
    services.pay_orders(actor=people.cashier, orders=[order], paid_on=PAY_DAY)
    settled = services.settle_advance(
        actor=people.orderer, commitment=commitment, actual_amount=320_000, on=date(2027, 1, 5)
    )
    assert (settled.amount, settled.status) == (320_000, CommitmentStatus.INSPECTED)


def test_each_step_is_audited(people: People, budget: Budget, vendor: Vendor) -> None:
    order = through_audit(people, budget, vendor)
    services.pay_orders(actor=people.cashier, orders=[order], paid_on=PAY_DAY)
    actions = list(
        AuditEvent.objects.filter(
            action__in=[
                "finance.commit",
                "finance.inspect",
                "finance.order",
                "finance.order_audit",
                "finance.pay",
            ]
        )
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["finance.commit", "finance.inspect", "finance.order", "finance.order_audit", "finance.pay"]
