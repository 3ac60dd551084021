"""更正 and 精算 of commitments (docs/domain/finance.md §5–§6): moving a commitment to the right 節, and settling a
概算払・前金払 against what it actually cost."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from common import audit
from finance import rules
from finance.errors import FinanceError, WrongState
from finance.models import (
    BudgetLine,
    Commitment,
    CommitmentKind,
    CommitmentStatus,
    EntryKind,
    JournalLine,
    OrderStatus,
)
from finance.services.common import (
    journal_line,
    lock_lines,
    post,
    require_available,
    require_in_closing_period,
    require_role,
)
from finance.services.expenditure import ORDERERS, _lock_commitment, _reduce_commitment
from tenants.models import Person, Role


def _correction_lines(
    *, actor: Person, commitment: Commitment, source: BudgetLine, target: BudgetLine, paid: int, on: date, reason: str
) -> list[JournalLine]:
    """Reversing lines on ``source`` and new ones on ``target``: the commitment, and what was paid on it."""
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
    return lines


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
        lines = _correction_lines(
            actor=actor, commitment=commitment, source=source, target=target, paid=paid, on=on, reason=reason
        )
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


def _settle_difference(
    *, actor: Person, commitment: Commitment, line: BudgetLine, actual_amount: int, paid: int, on: date
) -> None:
    """Paid too much: a 戻入; too little: an additional commitment under the hard stop, left to be ordered; the
    status set accordingly (saved by the caller)."""
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
        _settle_difference(actor=actor, commitment=commitment, line=line, actual_amount=actual_amount, paid=paid, on=on)
        commitment.settled_on = on
        commitment.save(update_fields=["amount", "status", "settled_on"])
        audit.record(
            actor=actor, action="finance.settle", obj=commitment, details={"actual": actual_amount, "paid": paid}
        )
    return commitment
