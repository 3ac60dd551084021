"""収納 (docs/domain/water_billing.md §6): payments at the counter or a convenience store, refunds of
over-payments, and 口座振替 — the kind 91 request file and the bank's result file, through common.zengin."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from common import audit
from common.csv_import import BOM, Column, RowError, RowReader, error_details, read_header
from common.dates import local_today
from common.errors import ApplicationError, ValidationFailed
from common.zengin import FileKind, Requester, RequesterBank, ZenginFile, ZenginRecord, build_file, parse_file
from water_billing import settings_keys
from water_billing.errors import (
    BillNotPayable,
    DebitAlreadyImported,
    DebitOtherRequester,
    DebitResultRefused,
    DebitSettingsMissing,
    NoDebitBills,
    NothingToRefund,
    PaymentsRefused,
    PeriodClosed,
)
from water_billing.models import Bill, BillState, Channel, DebitImport, Payment, Period, Surcharge
from water_billing.services import books, surcharges


def _check_open(paid_on: date) -> None:
    # The month closing in force now (a month closed today refuses a payment dated inside it).
    closed = settings_keys.closed_through(local_today())
    if closed is not None and paid_on <= closed:
        raise PeriodClosed(details={"paid_on": paid_on.isoformat(), "closed_through": closed.isoformat()})


def apply_payment(
    *, actor: Any, bill: Bill, amount: int, paid_on: date, channel: str, reference: str, plan: Any = None
) -> Payment:
    """A payment quoting a bill, allocated in the order of §7.3: the bill's own charge, then (once the bill is
    settled, its 延滞金 charged first when it was overdue) the connection's open 督促手数料 and 延滞金, the rest kept as
    預り金 on the bill. One entry: Dr 現金預金 / Cr 未収金 (bill and 付帯金) / Cr 預り金. Caller's transaction."""
    if bill.state == BillState.VOID:
        raise BillNotPayable()
    if amount <= 0:
        raise ValidationFailed("収納額は1円以上で入力してください。", code="payment_amount_invalid")
    _check_open(paid_on)
    applied = min(amount, max(bill.balance, 0))
    payment = Payment.objects.create(
        bill=bill, amount=applied, paid_on=paid_on, channel=channel, reference=reference[:40], plan=plan,
        recorded_by_id=getattr(actor, "pk", None), recorded_by_name=str(getattr(actor, "full_name", "") or "")[:100],
    )  # fmt: skip
    bill.paid_amount += applied
    bill.state = BillState.PAID if bill.paid_amount >= bill.total else BillState.UNPAID
    if bill.state == BillState.PAID:
        surcharges.charge_late_fee(bill=bill, paid_on=paid_on)
    to_claims = surcharges.allocate(
        connection=bill.connection, amount=amount - applied,
        how=surcharges.Recorded(actor=actor, paid_on=paid_on, channel=channel, reference=bill.number),
    ) if amount > applied else 0  # fmt: skip
    excess = amount - applied - to_claims
    if excess:
        payment.amount += excess
        payment.save(update_fields=["amount"])
        bill.paid_amount += excess
    bill.save(update_fields=["paid_amount", "state", "debit_result"])
    books.post(
        posted_on=paid_on,
        lines=[(books.CASH, amount, 0), (books.RECEIVABLE, 0, applied + to_claims), (books.DEPOSITS, 0, excess)],
        memo=f"水道料金収納 {Channel(channel).label} {bill.number}",
        source_type="water.payment",
        source_id=str(payment.pk),
    )
    return payment


def _payable(number: str) -> Bill | Surcharge | None:
    """The claim a payment quotes: a bill by its 請求番号, else a 督促手数料・延滞金 by its own number."""
    bill = Bill.objects.select_for_update().select_related("connection").filter(number=number).first()
    if bill is not None:
        return bill
    return Surcharge.objects.select_for_update().filter(number=number).first()


def _pay_surcharge(*, actor: Any, claim: Surcharge, amount: int, paid_on: date, channel: str, reference: str) -> None:
    _check_open(paid_on)
    surcharges.pay_claim(
        claim=claim, amount=amount,
        how=surcharges.Recorded(actor=actor, paid_on=paid_on, channel=channel, reference=reference),
    )  # fmt: skip


def record_payment(*, actor: Any, bill: Bill, amount: int, paid_on: date, channel: str, reference: str = "") -> Payment:
    """窓口 or コンビニ収納 of one bill (an over-payment pays the 付帯金, then is kept as 預り金 until refunded)."""
    if channel not in {Channel.COUNTER, Channel.CONVENIENCE}:
        raise ValidationFailed("収納方法が正しくありません。", code="payment_channel_invalid")
    with transaction.atomic():
        bill = Bill.objects.select_for_update().select_related("connection").get(pk=bill.pk)
        payment = apply_payment(
            actor=actor, bill=bill, amount=amount, paid_on=paid_on, channel=channel, reference=reference
        )
        audit.record(
            actor=actor,
            action="water.payment.record",
            obj=("water_billing.Bill", bill.number, bill.number),
            details={"amount": amount, "channel": channel, "paid_on": paid_on.isoformat()},
        )
    return payment


def record_surcharge_payment(
    *, actor: Any, claim: Surcharge, amount: int, paid_on: date, channel: str, reference: str = ""
) -> Surcharge:
    """窓口 or コンビニ収納 quoting a 督促手数料 or 延滞金 number (§7.3): at most its balance."""
    if channel not in {Channel.COUNTER, Channel.CONVENIENCE}:
        raise ValidationFailed("収納方法が正しくありません。", code="payment_channel_invalid")
    with transaction.atomic():
        _pay_surcharge(actor=actor, claim=claim, amount=amount, paid_on=paid_on, channel=channel, reference=reference)
        claim.refresh_from_db()
        audit.record(
            actor=actor,
            action="water.payment.surcharge",
            obj=("water_billing.Surcharge", claim.number, claim.number),
            details={"amount": amount, "channel": channel, "paid_on": paid_on.isoformat(), "kind": claim.kind},
        )
    return claim


def record_refund(*, actor: Any, bill: Bill, paid_on: date) -> Payment:
    """還付 of a bill's over-payment: Dr 預り金 / Cr 現金預金, recorded as a negative payment."""
    with transaction.atomic():
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        excess = bill.paid_amount - (0 if bill.state == BillState.VOID else bill.total)
        if excess <= 0:
            raise NothingToRefund()
        _check_open(paid_on)
        payment = Payment.objects.create(
            bill=bill, amount=-excess, paid_on=paid_on, channel=Channel.REFUND,
            recorded_by_id=getattr(actor, "pk", None),
            recorded_by_name=str(getattr(actor, "full_name", "") or "")[:100],
        )  # fmt: skip
        bill.paid_amount -= excess
        bill.save(update_fields=["paid_amount"])
        books.post(
            posted_on=paid_on,
            lines=[(books.DEPOSITS, excess, 0), (books.CASH, 0, excess)],
            memo=f"水道料金過誤納金の還付 {bill.number}",
            source_type="water.refund",
            source_id=str(payment.pk),
        )
        audit.record(
            actor=actor,
            action="water.payment.refund",
            obj=("water_billing.Bill", bill.number, bill.number),
            details={"amount": excess},
        )
    return payment


# --- 口座振替 (kind 91) ------------------------------------------------------------------------------------


def _customer_code(bill: Bill) -> str:
    return bill.number.rjust(20, "0")


def _requester(on: date) -> tuple[str, str, str, str]:
    from common.town_settings import setting_in_force

    code = setting_in_force(settings_keys.DEBIT_REQUESTER_CODE, on=on).strip()
    name = setting_in_force(settings_keys.DEBIT_REQUESTER_NAME, on=on).strip()
    bank = setting_in_force(settings_keys.DEBIT_BANK_CODE, on=on).strip()
    branch = setting_in_force(settings_keys.DEBIT_BRANCH_CODE, on=on).strip()
    if not (code and name and bank and branch):
        raise DebitSettingsMissing()
    return code, name, bank, branch


@dataclass(frozen=True)
class DebitFile:
    data: bytes
    count: int
    total: int
    filename: str


def build_debit_request(*, actor: Any, period: Period, debit_on: date) -> DebitFile:
    """The 91 request file of the period's unpaid bills of customers paying by debit (§6)."""
    code, name, bank, branch = _requester(local_today())
    bills = list(
        Bill.objects.filter(period=period, state=BillState.UNPAID)
        .exclude(connection__bank_code="")
        .exclude(connection__account_number="")
        .select_related("connection")
        .order_by("number")
    )
    if not bills:
        raise NoDebitBills()
    records = [
        ZenginRecord(
            bank_code=b.connection.bank_code, bank_name="", branch_code=b.connection.branch_code, branch_name="",
            account_type=b.connection.account_type or "1", account_number=b.connection.account_number,
            name=b.connection.account_holder_kana or b.connection.user_kana, amount=b.balance, new_code="0",
            customer_code=_customer_code(b),
        )
        for b in bills
    ]  # fmt: skip
    result = build_file(
        ZenginFile(
            kind=FileKind.DEBIT,
            requester=Requester(code=code, name=name),
            date=debit_on,
            bank=RequesterBank(code=bank, name="", branch_code=branch, branch_name=""),
            records=records,
            truncate=True,
        )
    )
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="water.debit.request",
            obj=("water_billing.Period", period.code, period.code),
            personal_data=True,
            purpose="口座振替依頼ファイルの作成",
            details={"count": result.record_count, "total": result.total_amount, "debit_on": debit_on.isoformat()},
        )
    return DebitFile(result.data, result.record_count, result.total_amount, f"kouhuri-{period.code}.dat")


@dataclass(frozen=True)
class DebitOutcome:
    succeeded: int
    failed: int
    collected: int
    reasons: dict[str, int]


def import_debit_result(*, actor: Any, data: bytes, debit_on: date) -> DebitOutcome:
    """The bank's result file, reconciled line by line (§6); any problem refuses the whole file."""
    parsed = parse_file(data, result=True)
    if not parsed.ok or parsed.kind != FileKind.DEBIT:
        problems = [{"record": p.record, "code": p.code, "message": p.message} for p in parsed.problems][:100]
        raise DebitResultRefused(details={"problems": problems})
    code, _, _, _ = _requester(local_today())
    header = parsed.header.fields if parsed.header is not None else {}
    if str(header.get("requester_code") or "").strip() != code:
        raise DebitOtherRequester(details={"requester_code": header.get("requester_code")})
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        if DebitImport.objects.filter(digest=digest).exists():
            raise DebitAlreadyImported()
        numbers = {r.customer_code.lstrip("0") or "0": r for r in parsed.results}
        bills = {
            b.number.lstrip("0"): b
            for b in Bill.objects.select_for_update()
            .select_related("connection")
            .filter(number__in=[r.customer_code[-16:] for r in parsed.results])
        }
        problems = []
        for key, result in numbers.items():
            bill = bills.get(key)
            if bill is None:
                problems.append({"record": result.record, "code": "unknown_bill", "message": "請求が見つかりません。"})
            elif bill.state == BillState.VOID or (result.succeeded and result.amount != bill.balance):
                problems.append(
                    {"record": result.record, "code": "amount_mismatch", "message": "請求額と引落金額が一致しません。"}
                )
        if problems:
            raise DebitResultRefused(details={"problems": problems})
        succeeded = failed = collected = 0
        reasons: dict[str, int] = {}
        for key, result in numbers.items():
            bill = bills[key]
            if result.succeeded:
                bill.debit_result = result.label
                apply_payment(actor=actor, bill=bill, amount=result.amount, paid_on=debit_on, channel=Channel.DEBIT,
                       reference=f"振替結果{debit_on:%m%d}")  # fmt: skip
                succeeded += 1
                collected += result.amount
            else:
                bill.debit_result = f"{result.code} {result.label}"[:40]
                bill.save(update_fields=["debit_result"])
                failed += 1
                reasons[result.label] = reasons.get(result.label, 0) + 1
        DebitImport.objects.create(
            digest=digest, debit_on=debit_on, succeeded=succeeded, failed=failed,
            recorded_by_id=getattr(actor, "pk", None),
            recorded_by_name=str(getattr(actor, "full_name", "") or "")[:100],
        )  # fmt: skip
        audit.record(
            actor=actor,
            action="water.debit.result",
            obj=("water_billing.DebitImport", digest[:16], debit_on.isoformat()),
            details={"succeeded": succeeded, "failed": failed, "collected": collected, "reasons": reasons},
        )
    return DebitOutcome(succeeded, failed, collected, reasons)


# --- コンビニ収納 / 窓口 payments imported as CSV ---------------------------------------------------------------

PAYMENT_COLUMNS = [
    Column("bill", "請求番号", required=True),
    Column("paid_on", "収納日", required=True),
    Column("amount", "収納額", required=True),
    Column("reference", "収納機関の受付番号"),
]
PAYMENT_LABELS = {c.name: c.label for c in PAYMENT_COLUMNS}


def import_payments(*, actor: Any, data: bytes, channel: str = Channel.CONVENIENCE) -> dict[str, int]:
    """The 収納代行 (コンビニ) settlement file as CSV (請求番号,収納日,収納額[,受付番号]): every row checked by the
    rules of ``record_payment`` (bill payable, amount, month not closed), all recorded or none."""
    text = data.removeprefix(BOM).decode("utf-8", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    errors: list[RowError] = []
    if not rows:
        raise PaymentsRefused(details=error_details([RowError(1, "", "ファイルが空です。")]))
    header = read_header(rows[0], PAYMENT_COLUMNS, errors, layout_doc="docs/domain/water_billing.md §6")
    if errors:
        raise PaymentsRefused(details=error_details(errors))
    today = local_today()
    total = 0
    with transaction.atomic():
        for number, row in enumerate(rows[1:], start=2):
            values = {column.name: cell for column, cell in zip(header, row, strict=False) if column is not None}
            reader = RowReader(number, values, errors, today, PAYMENT_LABELS)
            bill_number = reader.text("bill", required=True, max_length=20)
            paid_on = reader.day("paid_on", required=True)
            raw = reader.values.get("amount", "").strip()
            amount = int(raw) if raw.isdigit() else None
            if amount is None:
                reader.error("amount", "収納額は1円以上の整数で入力してください。")
            claim = _payable(bill_number) if bill_number else None
            if bill_number and claim is None:
                reader.error("bill", f"請求番号「{bill_number}」の請求がありません。")
            if claim is None or paid_on is None or amount is None:
                continue
            try:
                # A savepoint per row: a refused row leaves nothing, and the file is refused as a whole below.
                with transaction.atomic():
                    reference = reader.values.get("reference", "").strip()
                    if isinstance(claim, Bill):
                        apply_payment(actor=actor, bill=claim, amount=amount, paid_on=paid_on, channel=channel,
                               reference=reference)  # fmt: skip
                    else:
                        _pay_surcharge(actor=actor, claim=claim, amount=amount, paid_on=paid_on, channel=channel,
                                       reference=reference)  # fmt: skip
            except ApplicationError as exc:
                reader.error("amount", exc.message)
                continue
            total += amount
        if errors:
            transaction.set_rollback(True)
        else:
            audit.record(
                actor=actor,
                action="water.payment.import",
                obj=None,
                details={"rows": len(rows) - 1, "total": total, "channel": channel},
            )
    if errors:
        raise PaymentsRefused(details=error_details(errors))
    return {"rows": len(rows) - 1, "total": total}
