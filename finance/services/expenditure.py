"""Expenditure: 支出負担行為 → 検収 → 支出命令 → 会計管理者の審査 → 支払 → 支出済, with 戻入, 更正 and 精算.

Each step is a different person holding the step's duty (no self-approval), and a commitment never exceeds the
節's 予算現額 − 負担行為済額: the hard stop locks the 節's row inside the transaction. Rules:
docs/domain/finance.md §5–§6. 支払 and 戻入 are in finance.services.payments, 更正 and 精算 in
finance.services.corrections.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from common import audit
from common.serials import next_yearly_serial
from finance import rules
from finance.errors import DocumentNotFound, FinanceError, InvalidAmount, WrongState
from finance.models import (
    BudgetLine,
    Commitment,
    CommitmentCounter,
    CommitmentKind,
    CommitmentStatus,
    EntryKind,
    OrderCounter,
    OrderStatus,
    PaymentMethod,
    PaymentOrder,
    Side,
    Vendor,
)
from finance.services.common import (
    actor_name,
    journal_line,
    lock_lines,
    post,
    require_available,
    require_in_closing_period,
    require_in_year,
    require_open,
    require_other_person,
    require_role,
)
from finance.services.departments import allotment_on, commitment_department, require_within_allotment
from tenants.models import Person, Role

COMMITTERS = (Role.BUDGET_CLERK, Role.SCHOOL_OFFICE, Role.FINANCE_OFFICER)
ORDERERS = (Role.BUDGET_CLERK, Role.SCHOOL_OFFICE, Role.FINANCE_OFFICER)


def _number(counter: type[CommitmentCounter] | type[OrderCounter], prefix: str, year: int) -> str:
    return f"{prefix}{year}-{next_yearly_serial(counter, year=year):06d}"


def _commit_locked(
    *,
    actor: Person,
    line: BudgetLine,
    amount: int,
    purpose: str,
    committed_on: date,
    payee_name: str,
    vendor: Vendor | None,
    kind: str,
    department_code: str,
    department_name: str,
    source_key: str,
) -> Commitment:
    """The commitment itself; the caller holds ``line``'s row lock and the transaction."""
    year = line.fiscal_year
    require_open(year)
    require_in_year(year, committed_on, what="支出負担行為")
    require_available(line, amount, doing="支出負担行為を登録")
    commitment = Commitment.objects.create(
        number=_number(CommitmentCounter, "C", year.year),
        fiscal_year=year.year,
        line=line,
        kind=kind,
        status=CommitmentStatus.COMMITTED,
        vendor=vendor,
        payee_name=payee_name,
        amount=amount,
        purpose=purpose,
        committed_on=committed_on,
        department_code=department_code or line.department_code,
        department_name=department_name or line.department_name,
        source_key=source_key,
        committed_by_id=actor.pk,
        committed_by_name=actor_name(actor),
    )
    post(
        [
            journal_line(
                actor=actor,
                line=line,
                kind=EntryKind.COMMITMENT,
                amount=amount,
                posted_on=committed_on,
                source_type="commitment",
                source_number=commitment.number,
                memo=purpose,
            )
        ]
    )
    return commitment


def _check_commitment_input(*, line: BudgetLine, amount: int, purpose: str, payee_name: str, kind: str) -> int:
    amount = rules.require_amount(amount)
    if line.side != Side.EXPENDITURE:
        raise FinanceError("支出負担行為は歳出の節にのみ登録できます。")
    if not purpose.strip():
        raise FinanceError("件名・目的を入力してください。", code="finance_purpose_required")
    if not payee_name.strip():
        raise FinanceError("債権者を指定してください。", code="finance_payee_required")
    if kind not in CommitmentKind.values:
        raise FinanceError(f"支出負担行為の区分が正しくありません: {kind}")
    return amount


def commit_expenditure(
    *,
    actor: Person,
    line: BudgetLine,
    amount: int,
    purpose: str,
    committed_on: date,
    vendor: Vendor | None = None,
    payee_name: str = "",
    kind: str = CommitmentKind.NORMAL,
    department_code: str = "",
    department_name: str = "",
) -> Commitment:
    """支出負担行為 (地方自治法 第232条の3): refused above the 節's 予算現額 − 負担行為済額 (the hard stop)."""
    require_role(actor, *COMMITTERS, doing="支出負担行為")
    payee_name = vendor.name if vendor is not None else payee_name
    amount = _check_commitment_input(line=line, amount=amount, purpose=purpose, payee_name=payee_name, kind=kind)
    allotting = allotment_on(committed_on)  # 課への配当 (§5.7)
    if allotting and not department_code:
        department_code, department_name = commitment_department(actor, committed_on)
    with transaction.atomic():
        locked = lock_lines([line])[line.pk]
        if allotting:  # under the same row lock as the 節's own hard stop in _commit_locked
            require_within_allotment(locked, department_code or locked.department_code, amount)
        commitment = _commit_locked(
            actor=actor,
            line=locked,
            amount=amount,
            purpose=purpose.strip(),
            committed_on=committed_on,
            payee_name=payee_name.strip(),
            vendor=vendor,
            kind=kind,
            department_code=department_code,
            department_name=department_name,
            source_key="",
        )
        audit.record(
            actor=actor,
            action="finance.commit",
            obj=commitment,
            details={"line": locked.label, "amount": amount, "kind": kind},
        )
    return commitment


def _lock_commitment(commitment: Commitment) -> Commitment:
    found = (
        Commitment.objects.select_for_update(of=("self",))
        .select_related("line", "line__fiscal_year", "line__fiscal_year__account", "vendor")
        .filter(pk=commitment.pk)
        .first()
    )
    if found is None:
        raise DocumentNotFound()
    require_open(found.line.fiscal_year)
    return found


def inspect_delivery(*, actor: Person, commitment: Commitment, inspected_on: date) -> Commitment:
    """検収 (地方自治法 第234条の2): by someone other than the one who committed."""
    require_role(actor, Role.BUDGET_CLERK, Role.SCHOOL_OFFICE, Role.FINANCE_OFFICER, doing="検収")
    with transaction.atomic():
        commitment = _lock_commitment(commitment)
        if commitment.status != CommitmentStatus.COMMITTED:
            raise WrongState(f"{commitment.number} は「{commitment.get_status_display()}」のため検収できません。")
        require_other_person(actor, [(commitment.committed_by_id, "支出負担行為")], doing="検収")
        require_in_closing_period(commitment.line.fiscal_year, inspected_on, what="検収")
        commitment.status = CommitmentStatus.INSPECTED
        commitment.inspected_on = inspected_on
        commitment.inspected_by_id = actor.pk
        commitment.inspected_by_name = actor_name(actor)
        commitment.save(update_fields=["status", "inspected_on", "inspected_by_id", "inspected_by_name"])
        audit.record(actor=actor, action="finance.inspect", obj=commitment)
    return commitment


def _paid_or_ordered(commitment: Commitment) -> int:
    return sum(commitment.orders.exclude(status=OrderStatus.RETURNED).values_list("amount", flat=True))


def order_payment(
    *,
    actor: Person,
    commitment: Commitment,
    amount: int,
    pay_on: date,
    method: str = PaymentMethod.TRANSFER,
) -> PaymentOrder:
    """支出命令 (地方自治法 第232条の4第1項). A normal commitment is ordered after its 検収; 概算払・前金払
    (施行令 第162条・第163条) before it, settled afterwards."""
    require_role(actor, *ORDERERS, doing="支出命令")
    amount = rules.require_amount(amount)
    if method not in PaymentMethod.values:
        raise FinanceError(f"支払方法が正しくありません: {method}")
    with transaction.atomic():
        commitment = _lock_commitment(commitment)
        ready = {CommitmentStatus.INSPECTED, CommitmentStatus.ORDERED}
        if commitment.kind != CommitmentKind.NORMAL:
            ready |= {CommitmentStatus.COMMITTED}
        if commitment.status not in ready:
            raise WrongState(f"{commitment.number} は「{commitment.get_status_display()}」のため支出命令できません。")
        require_other_person(
            actor,
            [(commitment.committed_by_id, "支出負担行為"), (commitment.inspected_by_id, "検収")],
            doing="支出命令",
        )
        require_in_closing_period(commitment.line.fiscal_year, pay_on, what="支払予定日")
        ordered = _paid_or_ordered(commitment)
        if ordered + amount > commitment.amount:
            raise InvalidAmount(
                f"支出命令額の合計が負担行為額を超えます(負担行為額 {commitment.amount:,}円、"
                f"命令済 {ordered:,}円、今回 {amount:,}円)。"
            )
        if method == PaymentMethod.TRANSFER:
            _require_bank_account(commitment)
        order = PaymentOrder.objects.create(
            number=_number(OrderCounter, "P", commitment.fiscal_year),
            commitment=commitment,
            amount=amount,
            pay_on=pay_on,
            method=method,
            status=OrderStatus.ORDERED,
            ordered_by_id=actor.pk,
            ordered_by_name=actor_name(actor),
        )
        commitment.status = CommitmentStatus.ORDERED
        commitment.save(update_fields=["status"])
        audit.record(
            actor=actor,
            action="finance.order",
            obj=order,
            details={"commitment": commitment.number, "amount": amount, "method": method},
        )
    return order


def _require_bank_account(commitment: Commitment) -> None:
    vendor = commitment.vendor
    if vendor is None or not (vendor.bank_code and vendor.branch_code and vendor.account_number):
        raise FinanceError(
            "口座振込には債権者の口座(金融機関・支店・口座番号)の登録が必要です。窓口払を選ぶか口座を登録してください。",
            code="finance_bank_account_required",
        )


def _lock_order(order: PaymentOrder) -> PaymentOrder:
    found = (
        PaymentOrder.objects.select_for_update(of=("self",))
        .select_related(
            "commitment",
            "commitment__line",
            "commitment__line__fiscal_year",
            "commitment__line__fiscal_year__account",
            "commitment__vendor",
        )
        .filter(pk=order.pk)
        .first()
    )
    if found is None:
        raise DocumentNotFound()
    require_open(found.commitment.line.fiscal_year)
    return found


def _earlier_steps(order: PaymentOrder) -> list[tuple[int | None, str]]:
    commitment = order.commitment
    return [
        (commitment.committed_by_id, "支出負担行為"),
        (commitment.inspected_by_id, "検収"),
        (order.ordered_by_id, "支出命令"),
    ]


def audit_order(*, actor: Person, order: PaymentOrder, approve: bool, note: str = "") -> PaymentOrder:
    """会計管理者の審査 (地方自治法 第232条の4第2項): approve, or return to the 課 with a note."""
    require_role(actor, Role.ACCOUNTANT, doing="支出命令の審査")
    with transaction.atomic():
        order = _lock_order(order)
        if order.status != OrderStatus.ORDERED:
            raise WrongState(f"{order.number} は「{order.get_status_display()}」のため審査できません。")
        require_other_person(actor, _earlier_steps(order), doing="審査")
        if not approve and not note.strip():
            raise FinanceError("差戻しの理由を入力してください。", code="finance_note_required")
        order.status = OrderStatus.APPROVED if approve else OrderStatus.RETURNED
        order.audited_by_id = actor.pk
        order.audited_by_name = actor_name(actor)
        order.audit_note = note.strip()[:200]
        order.save(update_fields=["status", "audited_by_id", "audited_by_name", "audit_note"])
        if not approve:
            commitment = order.commitment
            if not commitment.orders.exclude(status=OrderStatus.RETURNED).exists():
                commitment.status = (
                    CommitmentStatus.INSPECTED if commitment.inspected_by_id else CommitmentStatus.COMMITTED
                )
                commitment.save(update_fields=["status"])
        audit.record(
            actor=actor, action="finance.order_audit", obj=order, details={"approved": approve, "note": note.strip()}
        )
    return order


def _reduce_commitment(
    *, actor: Person, commitment: Commitment, amount: int, on: date, paid: bool, memo: str, source: str
) -> None:
    lines = [
        journal_line(
            actor=actor,
            line=commitment.line,
            kind=EntryKind.COMMITMENT,
            amount=-amount,
            posted_on=on,
            source_type="commitment",
            source_number=source,
            memo=memo,
        )
    ]
    if paid:
        lines.append(
            journal_line(
                actor=actor,
                line=commitment.line,
                kind=EntryKind.PAYMENT,
                amount=-amount,
                posted_on=on,
                source_type="order",
                source_number=source,
                memo=memo,
            )
        )
    post(lines)
    commitment.amount -= amount
    commitment.save(update_fields=["amount"])


def cancel_commitment(*, actor: Person, commitment: Commitment, on: date, reason: str) -> Commitment:
    """取消: a commitment not yet ordered is cancelled by a negative journal line; its budget is free again."""
    require_role(actor, *COMMITTERS, doing="支出負担行為の取消")
    if not reason.strip():
        raise FinanceError("取消の理由を入力してください。", code="finance_reason_required")
    with transaction.atomic():
        commitment = _lock_commitment(commitment)
        lock_lines([commitment.line])
        if commitment.orders.exclude(status=OrderStatus.RETURNED).exists():
            raise WrongState(
                f"{commitment.number} は支出命令済のため取り消せません(戻入または更正で処理してください)。"
            )
        if commitment.status == CommitmentStatus.CANCELLED:
            raise WrongState(f"{commitment.number} は既に取り消されています。")
        require_in_closing_period(commitment.line.fiscal_year, on, what="取消")
        _reduce_commitment(
            actor=actor,
            commitment=commitment,
            amount=commitment.amount,
            on=on,
            paid=False,
            memo=f"取消: {reason}",
            source=commitment.number,
        )
        commitment.status = CommitmentStatus.CANCELLED
        commitment.save(update_fields=["status"])
        audit.record(actor=actor, action="finance.commit_cancel", obj=commitment, details={"reason": reason})
    return commitment
