"""議事録 (minutes): a draft written by the participants, confirmed by the organiser; a confirmed version is
read-only and a later correction is a new version (docs/domain/meetings.md §5)."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from common import audit
from groupware.meetings.errors import MeetingCancelled, MeetingNotFound, MinutesConfirmed, MinutesInvalid
from groupware.meetings.models import Meeting, Minutes, MinutesState
from groupware.meetings.selectors import meetings_schema
from groupware.meetings.services.meetings import organised_meeting
from tenants.models import Person

BODY_MAX = 100_000


def _participating(actor: Person, meeting_id: int) -> Meeting:
    meeting = Meeting.objects.select_for_update().filter(pk=meeting_id).first()
    if meeting is None or not meeting.participants.filter(person_id=actor.pk).exists():
        raise MeetingNotFound()
    if meeting.is_cancelled:
        raise MeetingCancelled()
    return meeting


def save_draft(*, actor: Person, meeting_id: int, body: str, version: int | None = None) -> Minutes:
    """Write the draft: the open draft is updated, else a new version starts (after a confirmed one: a
    correction). ``version`` is the draft the writer edited: if it was confirmed meanwhile, the save is refused
    rather than silently starting a correction."""
    body = body.strip()
    if not body or len(body) > BODY_MAX:
        raise MinutesInvalid(f"議事録の本文を{BODY_MAX:,}文字以内で入力してください。", details={"field": "body"})
    with meetings_schema(), transaction.atomic():
        meeting = _participating(actor, meeting_id)
        draft = meeting.minutes.filter(state=MinutesState.DRAFT).first()
        if version is not None and (draft is None or draft.version != version):
            raise MinutesConfirmed()
        if draft is None:
            last = meeting.minutes.aggregate(last=Max("version"))["last"] or 0
            draft = Minutes(meeting=meeting, version=last + 1)
        draft.body = body
        draft.written_by_id, draft.written_by_name = actor.pk, actor.full_name
        draft.updated_at = timezone.now()
        draft.save()
        audit.record(
            actor=actor, action="meetings.minutes_save", obj=draft,
            details={"meeting": meeting.pk, "version": draft.version, "length": len(body)},
        )  # fmt: skip
    return draft


def confirm(*, actor: Person, meeting_id: int, version: int) -> Minutes:
    """The organiser confirms the draft ``version``: from then on it is read-only (its SHA-256 is audited)."""
    with meetings_schema(), transaction.atomic():
        meeting = organised_meeting(actor, meeting_id)
        minutes = meeting.minutes.select_for_update().filter(version=version).first()
        if minutes is None:
            raise MinutesInvalid("議事録が見つかりません。", code="minutes_not_found", status_code=404)
        if minutes.state != MinutesState.DRAFT:
            raise MinutesConfirmed("この版の議事録は確定済みです。")
        minutes.state = MinutesState.CONFIRMED
        minutes.confirmed_by_id, minutes.confirmed_by_name = actor.pk, actor.full_name
        minutes.confirmed_at = timezone.now()
        minutes.save(update_fields=["state", "confirmed_by_id", "confirmed_by_name", "confirmed_at"])
        audit.record(
            actor=actor, action="meetings.minutes_confirm", obj=minutes,
            details={"meeting": meeting.pk, "version": version,
                     "sha256": hashlib.sha256(minutes.body.encode()).hexdigest()},
        )  # fmt: skip
    return minutes


AUDIT_LABELS = {
    "meetings.minutes_save": "会議: 議事録(案)の保存",
    "meetings.minutes_confirm": "会議: 議事録の確定",
}
