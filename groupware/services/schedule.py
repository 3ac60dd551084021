"""予定 (schedule entries): create, cancel; the personal iCalendar feed (docs/domain/groupware.md §2)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from common import audit
from groupware import council, org, recurrence
from groupware.errors import EventNotFound, NotOrganiser, ParticipantUnknown, PeriodInvalid
from groupware.models import CalendarFeed, CalendarKind, Event, EventParticipant
from groupware.people import home_schemas, members_of, staff_names
from tenants.models import Municipality, Person

TITLE_MAX = 200


EARLIEST_YEAR, LATEST_YEAR = 2000, 2099


def check_period(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise PeriodInvalid(details={"field": "ends_at"})
    # Bounded so that expanding a series can never leave the calendar's range (and nobody books the year 1).
    if starts_at.year < EARLIEST_YEAR or ends_at.year > LATEST_YEAR:
        raise PeriodInvalid(
            f"日時は{EARLIEST_YEAR}年から{LATEST_YEAR}年までの間で入力してください。",
            code="period_out_of_range",
            details={"field": "starts_at"},
        )


def _check_calendar(calendar_kind: str, unit_code: str) -> None:
    if calendar_kind not in CalendarKind.values:
        raise PeriodInvalid("カレンダーの種別が正しくありません。", code="calendar_kind_invalid")
    if calendar_kind == CalendarKind.ORGANISATION and not unit_code:
        raise PeriodInvalid("組織の予定には組織を指定してください。", code="unit_required", details={"field": "unit"})


def _participants(owner: Person, participant_ids: Iterable[int]) -> tuple[set[int], dict[int, str]]:
    """The ids taking part (the organiser always among them) and their names; refused if one is not staff."""
    wanted = {int(pk) for pk in participant_ids} | {owner.pk}
    names = staff_names(wanted)
    unknown = sorted(wanted - set(names))
    if unknown:
        raise ParticipantUnknown(details={"field": "participants", "person_ids": unknown})
    return wanted, names


def create_event(
    *,
    actor: Person,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    participant_ids: Iterable[int] = (),
    description: str = "",
    location: str = "",
    all_day: bool = False,
    is_private: bool = False,
    rrule: str = "",
    calendar_kind: str = CalendarKind.PERSONAL,
    unit_code: str = "",
    unit_name: str = "",
    organiser: Person | None = None,
) -> Event:
    """Record a schedule entry; its organiser (the actor, or the applicant of an approved request) always takes
    part. Participants may be staff of any town or the council (docs/domain/groupware.md §1)."""
    title = title.strip()
    if not title or len(title) > TITLE_MAX:
        raise PeriodInvalid("件名を200文字以内で入力してください。", code="title_invalid", details={"field": "title"})
    check_period(starts_at, ends_at)
    rule = recurrence.normalise(rrule) if rrule.strip() else ""
    series_ends_at = recurrence.series_end(rule, starts_at, ends_at)
    _check_calendar(calendar_kind, unit_code)
    owner = organiser or actor
    wanted, names = _participants(owner, participant_ids)
    fields = {
        "title": title, "description": description, "location": location.strip(), "starts_at": starts_at,
        "ends_at": ends_at, "all_day": all_day, "is_private": is_private, "rrule": rule,
        "series_ends_at": series_ends_at, "calendar_kind": calendar_kind, "unit_code": unit_code,
        "unit_name": unit_name, "organiser_id": owner.pk, "organiser_name": owner.full_name,
    }  # fmt: skip
    town = org.current_town()
    outsiders = wanted - members_of(town, wanted) if town.kind != Municipality.Kind.COUNCIL else set()
    with transaction.atomic():
        if not outsiders:
            event = _store_event(actor, fields, wanted, names)
            _notify_participants(actor, wanted - {actor.pk}, title)
            return event
        # An entry across towns lives in the council's schema, where every participant's calendar reads it
        # (docs/domain/groupware.md §2.8); the recording town's trail names it, its own staff are notified here.
        with council.in_council() as found:
            if not found:
                raise ParticipantUnknown(details={"field": "participants", "person_ids": sorted(outsiders)})
            event = _store_event(actor, fields, wanted, names)
        audit.record(
            actor=actor,
            action="groupware.council_event_create",
            obj=(Event, event.pk, "予定"),
            details={"participants": sorted(wanted), "schema": "council"},
        )
        _notify_participants(actor, wanted - outsiders - {actor.pk}, title)
        for schema, ids in home_schemas(outsiders - {actor.pk}).items():
            with schema_context(schema):  # each outside participant's own notification centre
                _notify_participants(actor, ids, title)
    event.council_wide = True
    return event


def _store_event(actor: Person, fields: dict[str, Any], wanted: set[int], names: dict[int, str]) -> Event:
    """The entry, its participants and its audit row, in the current schema (inside the caller's transaction)."""
    event = Event.objects.create(**fields)
    EventParticipant.objects.bulk_create(
        EventParticipant(
            event=event, person_id=pk, person_name=names[pk], starts_at=event.starts_at,
            series_ends_at=event.series_ends_at,
        )
        for pk in sorted(wanted)
    )  # fmt: skip
    audit.record(
        actor=actor,
        action="groupware.event_create",
        obj=(Event, event.pk, "予定"),
        details={"participants": sorted(wanted), "repeats": bool(fields["rrule"])},
    )
    return event


def _notify_participants(actor: Person, recipients: set[int], title: str) -> None:
    if recipients:
        from groupware.services.notifications import notify

        notify(
            recipient_ids=sorted(recipients), kind="event", text=f"{actor.full_name}さんが予定に追加しました: {title}"
        )


def cancel_event(*, actor: Person, event_id: int, council_wide: bool = False) -> Event:
    """Cancel an entry (the whole series). Only its organiser may; the row stays, marked cancelled.
    ``council_wide``: an entry across towns, in the council's schema (§2.8)."""
    if council_wide:
        with council.in_council() as found:
            if not found:
                raise EventNotFound()
            return cancel_event(actor=actor, event_id=event_id)
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id, cancelled_at__isnull=True).first()
        if event is None:
            raise EventNotFound()
        if event.organiser_id != actor.pk:
            raise NotOrganiser()
        event.cancelled_at = timezone.now()
        event.save(update_fields=["cancelled_at"])
        audit.record(actor=actor, action="groupware.event_cancel", obj=(Event, event.pk, "予定"))
    return event


# --- the personal iCalendar feed --------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed(*, actor: Person) -> str:
    """A new secret feed token for the actor (shown once); any earlier feed of theirs is revoked."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeed.objects.filter(person_id=actor.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        feed = CalendarFeed.objects.create(person_id=actor.pk, token_hash=_hash(token))
        audit.record(actor=actor, action="groupware.feed_issue", obj=(CalendarFeed, feed.pk, "カレンダー配信URL"))
    return token


def revoke_feed(*, actor: Person) -> int:
    with transaction.atomic():
        count = CalendarFeed.objects.filter(person_id=actor.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit.record(actor=actor, action="groupware.feed_revoke", details={"revoked": count})
    return count


AUDIT_LABELS = {
    "groupware.event_create": "グループウェア: 予定の登録",
    "groupware.event_cancel": "グループウェア: 予定の取消",
    "groupware.council_event_create": "グループウェア: 町をまたぐ予定の登録(協議会に記録)",
    "groupware.feed_issue": "グループウェア: カレンダー配信URLの発行",
    "groupware.feed_revoke": "グループウェア: カレンダー配信URLの失効",
}
