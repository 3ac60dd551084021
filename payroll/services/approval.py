"""The one guard of the calculate → approve (by a second person) → lock sequence (§7.4–§7.5, §13.9, §13.11),
shared by the 給与計算, the 年末調整 and the 再年末調整. Each caller holds the row lock (``select_for_update``),
passes its own errors (their codes and messages are part of the API) and writes its own audit row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.utils import timezone

from common.errors import ApplicationError
from payroll.approval_models import APPROVED, LOCKED, REVIEW, ApprovalStamps
from payroll.services.common import actor_fields

Refusal = Callable[[], ApplicationError]


def refusal(error: type[ApplicationError], message: str | None = None) -> Refusal:
    """A factory of ``error`` with its own message, or the class's default message."""
    return partial(error, message) if message is not None else error


@dataclass(frozen=True)
class Refusals:
    """The errors one kind of record raises, as factories (a fresh exception each time). ``approver_missing``
    None: an approver who cannot be identified (a system job) may approve (the 給与計算's rule); otherwise both the
    approver and the calculator must be known."""

    locked: Refusal
    not_in_review: Refusal
    not_approved: Refusal
    self_approval: Refusal
    approver_missing: Refusal | None = None


def approve(record: ApprovalStamps, *, actor: Any, refusals: Refusals) -> None:
    """Stamp the approval of a calculated record in review; whoever calculated it cannot approve it."""
    by_id, by_name = actor_fields(actor)
    if record.locked:
        raise refusals.locked()
    if record.state != REVIEW or record.calculated_at is None:
        raise refusals.not_in_review()
    if by_id is None or record.calculated_by_id is None:
        if refusals.approver_missing is not None:
            raise refusals.approver_missing()
    elif by_id == record.calculated_by_id:
        raise refusals.self_approval()
    record.state = APPROVED
    record.approved_by_id, record.approved_by_name, record.approved_at = by_id, by_name, timezone.now()
    record.save(update_fields=["state", "approved_by_id", "approved_by_name", "approved_at"])


def lock(record: ApprovalStamps, *, refusals: Refusals, check: Callable[[], object] | None = None) -> None:
    """確定: an approved record is locked and never changes again; ``check`` is a further condition of this kind of
    record (e.g. its settlement month still open), run after the state checks."""
    if record.locked:
        raise refusals.locked()
    if record.state != APPROVED:
        raise refusals.not_approved()
    if check is not None:
        check()
    record.state = LOCKED
    record.locked_at = timezone.now()
    record.save(update_fields=["state", "locked_at"])
