"""Expenditure: 支出負担行為 → 検収 → 支出命令 → 会計管理者の審査 → 支払 → 支出済, with 戻入, 更正 and 精算.

Each step is a different person holding the step's duty (no self-approval), and a commitment never exceeds the
節's 予算現額 − 負担行為済額: the hard stop locks the 節's row inside the transaction. Rules:
docs/domain/finance.md §5–§6.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction

from common import audit, town_settings
from common.serials import next_yearly_serial
from common.zengin import FileKind, Requester, RequesterBank, ZenginFile, ZenginRecord, build_file
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
    PaymentBatch,
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
from tenants.models import Person, Role

COMMITTERS = (Role.BUDGET_CLERK, Role.SCHOOL_OFFICE, Role.FINANCE_OFFICER)
ORDERERS = (Role.BUDGET_CLERK, Role.SCHOOL_OFFICE, Role.FINANCE_OFFICER)

REQUESTER_CODE = "finance.zengin_requester_code"
REQUESTER_NAME = "finance.zengin_requester_name"
REQUESTER_BANK = "finance.zengin_requester_bank"
SETTINGS = (
    town_settings.SettingSpec(REQUESTER_CODE, "総合振込の委託者コード(10桁)", "text", "0000000000"),
    town_settings.SettingSpec(REQUESTER_NAME, "総合振込の委託者名(半角カナ)", "text", "ｶｲｹｲｶﾝﾘｼﾔ"),
    town_settings.SettingSpec(
        REQUESTER_BANK,
        "指定金融機関の口座(銀行コード,銀行名カナ,支店コード,支店名カナ,種目,口座番号)",
        "text",
        "0000,ｼﾃｲｷﾝﾕｳｷｶﾝ,000,ﾎﾝﾃﾝ,1,0000000",
    ),
)


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
    with transaction.atomic():
        locked = lock_lines([line])[line.pk]
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


def _requester_bank() -> tuple[Requester, RequesterBank]:
    code = town_settings.setting_in_force(REQUESTER_CODE)
    name = town_settings.setting_in_force(REQUESTER_NAME)
    parts = [part.strip() for part in town_settings.setting_in_force(REQUESTER_BANK).split(",")]
    if len(parts) != 6:
        raise FinanceError("指定金融機関の口座の設定が正しくありません(6項目をカンマ区切り)。")
    bank = RequesterBank(
        code=parts[0],
        name=parts[1],
        branch_code=parts[2],
        branch_name=parts[3],
        account_type=parts[4],
        account_number=parts[5],
    )
    return Requester(code=code, name=name), bank


def pay_orders(
    *, actor: Person, orders: Sequence[PaymentOrder], paid_on: date, method: str = PaymentMethod.TRANSFER
) -> PaymentBatch:
    """支払: approved orders paid on ``paid_on``, by one 総合振込 file (common.zengin) or at the counter; each a
    journal line (支出済額). The file is built before anything is written, so a rejected record writes nothing."""
    require_role(actor, Role.ACCOUNTANT, doing="支払")
    if not orders:
        raise FinanceError("支払う支出命令を選んでください。", code="finance_nothing_to_pay")
    with transaction.atomic():
        locked = [_lock_order(order) for order in sorted(orders, key=lambda order: order.pk)]
        for order in locked:
            if order.status != OrderStatus.APPROVED:
                raise WrongState(f"{order.number} は「{order.get_status_display()}」のため支払できません。")
            if order.method != method:
                raise FinanceError(f"{order.number} の支払方法は「{order.get_method_display()}」です。")
            require_other_person(actor, [*_earlier_steps(order), (order.audited_by_id, "審査")], doing="支払")
            require_in_closing_period(order.commitment.line.fiscal_year, paid_on, what="支払")
        data = None
        if method == PaymentMethod.TRANSFER:
            requester, bank = _requester_bank()
            records = []
            for order in locked:
                vendor = order.commitment.vendor
                assert vendor is not None  # checked when ordered
                records.append(
                    ZenginRecord(
                        bank_code=vendor.bank_code,
                        branch_code=vendor.branch_code,
                        account_type=vendor.account_type or "1",
                        account_number=vendor.account_number,
                        name=vendor.account_holder_kana or vendor.name_kana,
                        amount=order.amount,
                        customer_code=order.number.replace("P", "").replace("-", "").zfill(20)[-20:],
                    )
                )
            data = build_file(
                ZenginFile(
                    kind=FileKind.TRANSFER, requester=requester, date=paid_on, bank=bank, records=records, truncate=True
                )
            ).data
        batch = PaymentBatch.objects.create(
            pay_on=paid_on,
            method=method,
            record_count=len(locked),
            total_amount=sum(o.amount for o in locked),
            zengin_file=data,
            created_by_id=actor.pk,
            created_by_name=actor_name(actor),
        )
        lines = []
        for order in locked:
            order.status = OrderStatus.PAID
            order.paid_on = paid_on
            order.paid_by_id = actor.pk
            order.paid_by_name = actor_name(actor)
            order.batch = batch
            order.save(update_fields=["status", "paid_on", "paid_by_id", "paid_by_name", "batch"])
            commitment = order.commitment
            lines.append(
                journal_line(
                    actor=actor,
                    line=commitment.line,
                    kind=EntryKind.PAYMENT,
                    amount=order.amount,
                    posted_on=paid_on,
                    source_type="order",
                    source_number=order.number,
                    memo=commitment.purpose,
                )
            )
            if _fully_paid(commitment):
                commitment.status = CommitmentStatus.PAID
                commitment.save(update_fields=["status"])
        post(lines)
        audit.record(
            actor=actor,
            action="finance.pay",
            obj=batch,
            details={"orders": [o.number for o in locked], "total": batch.total_amount, "method": method},
        )
    return batch


def _fully_paid(commitment: Commitment) -> bool:
    paid = sum(commitment.orders.filter(status=OrderStatus.PAID).values_list("amount", flat=True))
    return paid >= commitment.amount


def record_refund(*, actor: Person, order: PaymentOrder, amount: int, on: date, reason: str) -> PaymentOrder:
    """戻入 (地方自治法施行令 第159条): money paid back before the 出納閉鎖 returns to the 節 it was paid from, as new
    journal lines lowering 支出済額 and 負担行為済額 — the payment itself is never edited."""
    require_role(actor, Role.ACCOUNTANT, doing="戻入")
    amount = rules.require_amount(amount)
    if not reason.strip():
        raise FinanceError("戻入の理由を入力してください。", code="finance_reason_required")
    with transaction.atomic():
        order = _lock_order(order)
        commitment = order.commitment
        lock_lines([commitment.line])
        if order.status != OrderStatus.PAID:
            raise WrongState(f"{order.number} は支払済ではないため戻入できません。")
        require_in_closing_period(commitment.line.fiscal_year, on, what="戻入")
        if amount > order.amount:
            raise InvalidAmount(f"戻入額 {amount:,}円 が支払額 {order.amount:,}円 を超えています。")
        _reduce_commitment(
            actor=actor,
            commitment=commitment,
            amount=amount,
            on=on,
            paid=True,
            memo=f"戻入: {reason}",
            source=order.number,
        )
        audit.record(actor=actor, action="finance.refund", obj=order, details={"amount": amount, "reason": reason})
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


def correct_classification(
    *, actor: Person, commitment: Commitment, target: BudgetLine, on: date, reason: str
) -> Commitment:
    """更正: a commitment (and what was paid on it) booked to the wrong 節 moves to ``target`` by reversing lines
    on the old 節 and new lines on the new one; the hard stop applies to the new 節."""
    require_role(actor, Role.FINANCE_OFFICER, Role.ACCOUNTANT, doing="更正")
    if not reason.strip():
        raise FinanceError("更正の理由を入力してください。", code="finance_reason_required")
    with transaction.atomic():
        commitment = _lock_commitment(commitment)
        source = commitment.line
        if target.pk == source.pk or target.fiscal_year_id != source.fiscal_year_id or target.side != source.side:
            raise FinanceError("更正先は同じ年度の別の歳出の節を指定してください。", code="finance_correction_target")
        locked = lock_lines([source, target])
        source, target = locked[source.pk], locked[target.pk]
        require_in_closing_period(source.fiscal_year, on, what="更正")
        require_available(target, commitment.amount, doing="更正")
        paid = sum(commitment.orders.filter(status=OrderStatus.PAID).values_list("amount", flat=True))
        memo = f"更正: {source.label} → {target.label} {reason}"
        lines = [
            journal_line(
                actor=actor,
                line=source,
                kind=EntryKind.COMMITMENT,
                amount=-commitment.amount,
                posted_on=on,
                source_type="correction",
                source_number=commitment.number,
                memo=memo,
            ),
            journal_line(
                actor=actor,
                line=target,
                kind=EntryKind.COMMITMENT,
                amount=commitment.amount,
                posted_on=on,
                source_type="correction",
                source_number=commitment.number,
                memo=memo,
            ),
        ]
        if paid:
            lines += [
                journal_line(
                    actor=actor,
                    line=source,
                    kind=EntryKind.PAYMENT,
                    amount=-paid,
                    posted_on=on,
                    source_type="correction",
                    source_number=commitment.number,
                    memo=memo,
                ),
                journal_line(
                    actor=actor,
                    line=target,
                    kind=EntryKind.PAYMENT,
                    amount=paid,
                    posted_on=on,
                    source_type="correction",
                    source_number=commitment.number,
                    memo=memo,
                ),
            ]
        post(lines)
        commitment.line = target
        commitment.save(update_fields=["line"])
        audit.record(
            actor=actor,
            action="finance.correct",
            obj=commitment,
            details={"from": source.label, "to": target.label, "reason": reason},
        )
    return commitment


def settle_advance(*, actor: Person, commitment: Commitment, actual_amount: int, on: date) -> Commitment:
    """精算 of a 概算払 or 前金払: the difference is a 戻入 (paid too much) or an additional commitment under the
    hard stop, ordered as usual afterwards (paid too little)."""
    require_role(actor, *ORDERERS, doing="精算")
    actual_amount = rules.require_amount(actual_amount, allow_zero=True)
    with transaction.atomic():
        commitment = _lock_commitment(commitment)
        if commitment.kind == CommitmentKind.NORMAL:
            raise WrongState(f"{commitment.number} は概算払・前金払ではないため精算はありません。")
        if commitment.settled_on is not None:
            raise WrongState(f"{commitment.number} は精算済です。")
        line = lock_lines([commitment.line])[commitment.line_id]
        require_in_closing_period(line.fiscal_year, on, what="精算")
        paid = sum(commitment.orders.filter(status=OrderStatus.PAID).values_list("amount", flat=True))
        if commitment.orders.filter(status__in=[OrderStatus.ORDERED, OrderStatus.APPROVED]).exists():
            raise WrongState(f"{commitment.number} には未払の支出命令があります。支払後に精算してください。")
        difference = actual_amount - paid
        if difference < 0:
            _reduce_commitment(
                actor=actor,
                commitment=commitment,
                amount=-difference,
                on=on,
                paid=True,
                memo="精算による戻入",
                source=commitment.number,
            )
        elif difference > 0:
            extra = max(0, actual_amount - commitment.amount)
            if extra:
                require_available(line, extra, doing="精算の追加負担")
                post(
                    [
                        journal_line(
                            actor=actor,
                            line=line,
                            kind=EntryKind.COMMITMENT,
                            amount=extra,
                            posted_on=on,
                            source_type="commitment",
                            source_number=commitment.number,
                            memo="精算による追加",
                        )
                    ]
                )
                commitment.amount += extra
            commitment.status = CommitmentStatus.INSPECTED
        if difference <= 0:
            # An advance paid in full and not exceeded: what was not paid is released.
            unpaid = commitment.amount - actual_amount
            if unpaid > 0:
                _reduce_commitment(
                    actor=actor,
                    commitment=commitment,
                    amount=unpaid,
                    on=on,
                    paid=False,
                    memo="精算による減額",
                    source=commitment.number,
                )
            commitment.status = CommitmentStatus.SETTLED
        commitment.settled_on = on
        commitment.save(update_fields=["amount", "status", "settled_on"])
        audit.record(
            actor=actor, action="finance.settle", obj=commitment, details={"actual": actual_amount, "paid": paid}
        )
    return commitment
