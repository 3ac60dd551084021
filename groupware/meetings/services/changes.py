"""Changes to a meeting after it was recorded (docs/domain/meetings.md §2.4–§2.8): participants added or removed,
the date and place changed, the meeting cancelled (中止). The organiser makes them on the meeting page; the council's
情報システム担当 may add participants or cancel in the admin (an organiser who left, a meeting nobody can reach).
Each is one transaction in the council's schema with its audit row and the participants' notifications."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from common import audit
from groupware.errors import ParticipantUnknown
from groupware.meetings.errors import (
    MeetingCancelled,
    MeetingInvalid,
    MeetingNotFound,
    NotMeetingOrganiser,
    OrganiserNotRemovable,
)
from groupware.meetings.models import Meeting, Participant
from groupware.meetings.selectors import eligible_participants, meetings_schema
from groupware.meetings.services import notices
from groupware.meetings.services.meetings import organised_meeting
from groupware.services.schedule import check_period
from tenants.access import memberships_in_force
from tenants.models import Municipality, Person, Role

REASON_MAX = 200


def is_council_it_admin(actor: Person) -> bool:
    """The council's 情報システム担当 (a membership in force), who may act for an organiser (§2.6)."""
    council = memberships_in_force(actor).filter(municipality__kind=Municipality.Kind.COUNCIL)
    return council.filter(role=Role.IT_ADMIN).exists()


def _managed_meeting(actor: Person, meeting_id: int) -> tuple[Meeting, str]:
    """The meeting, locked, for its organiser or the council's IT staff, with who acts ("organiser"/"it_admin");
    a cancelled meeting is refused (call inside ``meetings_schema`` and a transaction)."""
    meeting = Meeting.objects.select_for_update().filter(pk=meeting_id).first()
    if meeting is not None and meeting.organiser_id == actor.pk:
        as_who = "organiser"
    elif meeting is not None and is_council_it_admin(actor):
        as_who = "it_admin"
    elif meeting is None or not meeting.participants.filter(person_id=actor.pk).exists():
        raise MeetingNotFound()
    else:
        raise NotMeetingOrganiser()
    if meeting.is_cancelled:
        raise MeetingCancelled()
    return meeting, as_who


def add_participants(*, actor: Person, meeting_id: int, participant_ids: Iterable[int]) -> list[Participant]:
    """Invite more people (staff of either town or the council, never a vendor, §2.1); those already taking part
    are refused, so that an invitation is never sent twice. The new participants are notified."""
    wanted = {int(pk) for pk in participant_ids}
    if not wanted:
        raise MeetingInvalid("追加する参加者を選んでください。", details={"field": "participants"})
    people = eligible_participants(wanted)
    unknown = sorted(wanted - set(people))
    if unknown:
        raise ParticipantUnknown(details={"field": "participants", "person_ids": unknown})
    with meetings_schema(), transaction.atomic():
        meeting, as_who = _managed_meeting(actor, meeting_id)
        already = sorted(set(meeting.participants.filter(person_id__in=wanted).values_list("person_id", flat=True)))
        if already:
            raise MeetingInvalid(
                "すでに参加者になっている職員が含まれています。",
                details={"field": "participants", "person_ids": already},
            )
        added = Participant.objects.bulk_create(
            Participant(meeting=meeting, person_id=pk, person_name=people[pk].name, affiliation=people[pk].affiliation)
            for pk in sorted(wanted)
        )
        audit.record(
            actor=actor, action="meetings.participants_add", obj=meeting,
            details={"added": sorted(wanted), "by": as_who},
        )  # fmt: skip
        notices.invited(meeting, wanted, actor)
    return added


def remove_participant(*, actor: Person, meeting_id: int, person_id: int) -> Participant:
    """The organiser takes someone off the meeting (§2.8): from then on they no longer see it (404) and are told so
    in their notification centre. The organiser cannot be removed; a cancelled meeting is read-only."""
    with meetings_schema(), transaction.atomic():
        meeting = organised_meeting(actor, meeting_id)
        if person_id == meeting.organiser_id:
            raise OrganiserNotRemovable(details={"field": "participant"})
        removed = meeting.participants.filter(person_id=person_id).first()
        if removed is None:
            raise ParticipantUnknown(details={"field": "participant", "person_ids": [person_id]})
        removed.delete()
        audit.record(
            actor=actor, action="meetings.participant_remove", obj=meeting,
            details={"removed": person_id, "attendance": removed.attendance},
        )  # fmt: skip
        notices.removed(meeting, person_id, actor)
    return removed


def cancel_meeting(*, actor: Person, meeting_id: int, reason: str) -> Meeting:
    """中止: the meeting stays, marked cancelled with who, when and why, and is read-only from then on (its
    documents and minutes stay readable). A reason is required; every participant is notified."""
    reason = " ".join(reason.split())
    if not reason or len(reason) > REASON_MAX:
        raise MeetingInvalid(f"中止の理由を{REASON_MAX}文字以内で入力してください。", details={"field": "reason"})
    with meetings_schema(), transaction.atomic():
        meeting, as_who = _managed_meeting(actor, meeting_id)
        meeting.cancelled_at = timezone.now()
        meeting.cancelled_by_id, meeting.cancelled_by_name = actor.pk, actor.full_name
        meeting.cancel_reason = reason
        meeting.save(update_fields=["cancelled_at", "cancelled_by_id", "cancelled_by_name", "cancel_reason"])
        audit.record(
            actor=actor, action="meetings.cancel", obj=meeting, details={"reason": reason, "by": as_who}
        )  # fmt: skip
        notices.cancelled(meeting, actor)
    return meeting


def reschedule_meeting(
    *, actor: Person, meeting_id: int, starts_at: datetime, ends_at: datetime, place: str | None = None
) -> Meeting:
    """The organiser moves the meeting (and may change its place); every participant is notified. A change that
    changes nothing is refused, so nobody is notified of nothing."""
    check_period(starts_at, ends_at)
    with meetings_schema(), transaction.atomic():
        meeting = organised_meeting(actor, meeting_id)
        new_place = meeting.place if place is None else " ".join(place.split())[:200]
        before = (meeting.starts_at, meeting.ends_at, meeting.place)
        if before == (starts_at, ends_at, new_place):
            raise MeetingInvalid("日時・場所が変わっていません。", details={"field": "starts_at"})
        was = notices.when(meeting)
        meeting.starts_at, meeting.ends_at, meeting.place = starts_at, ends_at, new_place
        meeting.save(update_fields=["starts_at", "ends_at", "place"])
        audit.record(
            actor=actor, action="meetings.reschedule", obj=meeting,
            details={"from": [before[0].isoformat(), before[1].isoformat(), before[2]],
                     "to": [starts_at.isoformat(), ends_at.isoformat(), new_place]},
        )  # fmt: skip
        notices.rescheduled(meeting, actor, was)
    return meeting


AUDIT_LABELS = {
    "meetings.participants_add": "会議: 参加者の追加",
    "meetings.participant_remove": "会議: 参加者の削除",
    "meetings.cancel": "会議: 会議の中止",
    "meetings.reschedule": "会議: 日時・場所の変更",
}
