"""付帯金 (docs/domain/water_billing.md §7.2, §7.3): the 督促手数料 charged with a 督促状 and the 延滞金 charged when an
overdue bill is paid become claims of their own (Dr 未収金 / Cr その他営業収益 or 雑収益), and a payment is allocated
to them in the documented order. Everything here runs inside the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from common.errors import ApplicationError, ValidationFailed
from water_billing import late_fee as rule
from water_billing import settings_keys
from water_billing.models import (
    Bill,
    Connection,
    Notice,
    Surcharge,
    SurchargeKind,
    SurchargePayment,
    SurchargeState,
)
from water_billing.services import books

PREFIX = {SurchargeKind.DUNNING_FEE: "F", SurchargeKind.LATE_FEE: "E"}


class SurchargeNotPayable(ApplicationError):
    code = "surcharge_not_payable"
    message = "この付帯金は納付済みか、入力された額が残額を超えています。"


def _name(actor: Any) -> str:
    return str(getattr(actor, "full_name", "") or "")[:100]


def _create(
    *, kind: str, connection: Connection, charged_on: date, amount: int, bill: Bill | None = None,
    notice: Notice | None = None, basis: dict[str, object] | None = None,
) -> Surcharge:  # fmt: skip
    claim = Surcharge.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:16]}",  # renamed from its row id below, in this transaction
        kind=kind, connection=connection, bill=bill, notice=notice, charged_on=charged_on, amount=amount,
        basis=basis or {},
    )  # fmt: skip
    claim.number = f"{PREFIX[SurchargeKind(kind)]}{claim.pk:09d}"  # what the customer quotes at the counter
    claim.save(update_fields=["number"])
    revenue = books.OTHER_REVENUE if kind == SurchargeKind.DUNNING_FEE else books.LATE_FEE_REVENUE
    books.post(
        posted_on=charged_on, lines=[(books.RECEIVABLE, amount, 0), (revenue, 0, amount)],
        memo=f"{SurchargeKind(kind).label} {connection.tap_number} {claim.number}", source_type="water.surcharge",
        source_id=claim.number,
    )  # fmt: skip
    return claim


def charge_dunning_fee(*, notice: Notice, amount: int) -> Surcharge:
    """督促手数料 of a 督促状 (地方自治法 第231条の3 第1項, the town's 条例): a claim, posted on the day of issue."""
    return _create(
        kind=SurchargeKind.DUNNING_FEE, connection=notice.connection, charged_on=notice.issued_on, amount=amount,
        notice=notice,
    )  # fmt: skip


@dataclass(frozen=True)
class LateFeeParams:
    services: frozenset[str]
    min_base: int
    rates: rule.Rates


def late_fee_params(on: date) -> LateFeeParams:
    """The town's 延滞金 settings for a claim due on ``on`` (§7.2), with every version of the two rates."""
    return LateFeeParams(
        services=settings_keys.late_fee_services(on),
        min_base=settings_keys.late_fee_min_base(on),
        rates=rule.Rates(
            first=settings_keys.schedule(settings_keys.LATE_FEE_FIRST_RATE),
            after=settings_keys.schedule(settings_keys.LATE_FEE_RATE),
        ),
    )


def _subject(bill: Bill, services: frozenset[str]) -> int:
    """The part of the bill that bears 延滞金 (§7.2: only the services the ordinance names)."""
    return (bill.water_pre_tax + bill.water_tax if "water" in services else 0) + (
        bill.sewer_pre_tax + bill.sewer_tax if "sewer" in services else 0
    )


def compute_late_fee(
    *, bill: Bill, until: date, payments: Sequence[tuple[date, int]], params: LateFeeParams | None = None
) -> rule.LateFee:
    """延滞金 of ``bill`` through ``until``, its partial payments lowering the balance. A bill of water and sewer
    whose ordinance charges 延滞金 on sewer only: each payment is taken as paying both parts in proportion."""
    params = params or late_fee_params(bill.due_on)
    subject = _subject(bill, params.services)
    if subject <= 0 or bill.total <= 0:
        return rule.LateFee(0)
    scaled = [(day, amount * subject // bill.total) for day, amount in payments]
    return rule.late_fee(
        principal=subject, due_on=bill.due_on, until=until, payments=scaled, rates=params.rates,
        min_base=params.min_base,
    )  # fmt: skip


def charge_late_fee(*, bill: Bill, paid_on: date) -> Surcharge | None:
    """On the payment that settles an overdue bill (§7.2): its 延滞金 from the day after the 納期限 to ``paid_on``
    becomes a claim (once per bill), or nothing when it rounds to nothing."""
    if paid_on <= bill.due_on or bill.surcharges.filter(kind=SurchargeKind.LATE_FEE).exists():
        return None
    # The settling payment is among them: dated ``paid_on``, it lowers the balance only from the day after.
    payments = [(p.paid_on, p.amount) for p in bill.payments.filter(amount__gt=0).order_by("paid_on", "pk")]
    fee = compute_late_fee(bill=bill, until=paid_on, payments=payments)
    if fee.amount <= 0:
        return None
    return _create(
        kind=SurchargeKind.LATE_FEE, connection=bill.connection, charged_on=paid_on, amount=fee.amount, bill=bill,
        basis={"bill": bill.number, **fee.basis()},
    )  # fmt: skip


def open_claims(connection: Connection) -> list[Surcharge]:
    """The connection's unpaid 付帯金 in the order a payment pays them (§7.3): 督促手数料 before 延滞金, each
    oldest first."""
    claims = Surcharge.objects.select_for_update().filter(connection=connection, state=SurchargeState.UNPAID)
    order = {SurchargeKind.DUNNING_FEE: 0, SurchargeKind.LATE_FEE: 1}
    return sorted(claims, key=lambda c: (order[SurchargeKind(c.kind)], c.charged_on, c.pk))


@dataclass(frozen=True)
class Recorded:
    actor: Any
    paid_on: date
    channel: str
    reference: str


def _pay(claim: Surcharge, amount: int, how: Recorded) -> None:
    SurchargePayment.objects.create(
        surcharge=claim, amount=amount, paid_on=how.paid_on, channel=how.channel, reference=how.reference[:40],
        recorded_by_id=getattr(how.actor, "pk", None), recorded_by_name=_name(how.actor),
    )  # fmt: skip
    claim.paid_amount += amount
    claim.state = SurchargeState.PAID if claim.paid_amount >= claim.amount else SurchargeState.UNPAID
    claim.save(update_fields=["paid_amount", "state"])


def allocate(*, connection: Connection, amount: int, how: Recorded) -> int:
    """What is left of a payment after its bill: to the open 付帯金 in order (§7.3); returns the yen used."""
    used = 0
    for claim in open_claims(connection):
        if used >= amount:
            break
        part = min(claim.balance, amount - used)
        _pay(claim, part, how)
        used += part
    return used


def pay_claim(*, claim: Surcharge, amount: int, how: Recorded) -> None:
    """A payment quoting the 付帯金's own number (its 納付書): at most its balance; posts Dr 現金預金 / Cr 未収金."""
    claim = Surcharge.objects.select_for_update().get(pk=claim.pk)
    if amount <= 0:
        raise ValidationFailed("収納額は1円以上で入力してください。", code="payment_amount_invalid")
    if amount > claim.balance:
        raise SurchargeNotPayable(details={"number": claim.number, "balance": claim.balance})
    _pay(claim, amount, how)
    books.post(
        posted_on=how.paid_on, lines=[(books.CASH, amount, 0), (books.RECEIVABLE, 0, amount)],
        memo=f"{SurchargeKind(claim.kind).label}収納 {claim.number}", source_type="water.surcharge_payment",
        source_id=claim.number,
    )  # fmt: skip
