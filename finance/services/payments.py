"""支払 and 戻入 of approved 支出命令 (docs/domain/finance.md §5–§6): one 総合振込 file (common.zengin) or the
counter, each payment a journal line; a 戻入 returns money to the 節 it was paid from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction

from common import audit, town_settings
from common.zengin import FileKind, Requester, RequesterBank, ZenginFile, ZenginRecord, build_file
from finance import rules
from finance.errors import FinanceError, InvalidAmount, WrongState
from finance.models import (
    Commitment,
    CommitmentStatus,
    EntryKind,
    JournalLine,
    OrderStatus,
    PaymentBatch,
    PaymentMethod,
    PaymentOrder,
)
from finance.services.common import (
    actor_name,
    journal_line,
    lock_lines,
    post,
    require_in_closing_period,
    require_other_person,
    require_role,
)
from finance.services.expenditure import _earlier_steps, _lock_order, _reduce_commitment
from tenants.models import Person, Role

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


def _transfer_file(locked: list[PaymentOrder], paid_on: date) -> bytes:
    """The 総合振込 file of ``locked``, built before anything is written."""
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
    return build_file(
        ZenginFile(kind=FileKind.TRANSFER, requester=requester, date=paid_on, bank=bank, records=records, truncate=True)
    ).data


def _mark_paid(*, actor: Person, locked: list[PaymentOrder], paid_on: date, batch: PaymentBatch) -> list[JournalLine]:
    """Each order paid in ``batch``, and its commitment too once fully paid; returns the orders' journal lines."""
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
    return lines


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
        data = _transfer_file(locked, paid_on) if method == PaymentMethod.TRANSFER else None
        batch = PaymentBatch.objects.create(
            pay_on=paid_on,
            method=method,
            record_count=len(locked),
            total_amount=sum(o.amount for o in locked),
            zengin_file=data,
            created_by_id=actor.pk,
            created_by_name=actor_name(actor),
        )
        lines = _mark_paid(actor=actor, locked=locked, paid_on=paid_on, batch=batch)
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
