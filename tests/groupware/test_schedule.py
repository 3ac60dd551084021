"""予定: creation rules, repeating entries, private entries, the group week, free slots, the feed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from common.dates import TOKYO
from common.models import AuditEvent
from groupware import selectors
from groupware.errors import ParticipantUnknown, PeriodInvalid, RecurrenceInvalid
from groupware.models import Event, EventParticipant, Notification
from groupware.services import schedule
from tests.conftest import person

MONDAY = date(2026, 6, 1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


def test_an_entry_takes_its_organiser_and_participants_from_any_town(nakatosa: Any) -> None:
    tanaka, yamamoto, staff = person("tanaka"), person("yamamoto"), person("council_staff")
    event = schedule.create_event(
        actor=tanaka,
        title="協議会打合せ",
        starts_at=at(MONDAY, 10),
        ends_at=at(MONDAY, 11),
        participant_ids=[yamamoto.pk, staff.pk],
    )
    # With a council participant the entry is kept in the council's schema (§2.8), notified where each reads.
    with schema_context("council"):
        names = set(event.participants.values_list("person_name", flat=True))
        assert AuditEvent.objects.filter(action="groupware.event_create", object_id=str(event.pk)).exists()
        assert Notification.objects.filter(recipient_id=staff.pk, kind="event").count() == 1
    assert names == {tanaka.full_name, yamamoto.full_name, staff.full_name}
    assert Notification.objects.filter(recipient_id=yamamoto.pk, kind="event").count() == 1


def test_an_end_before_the_start_is_refused_and_nothing_is_written(nakatosa: Any) -> None:
    before = Event.objects.count()
    with pytest.raises(PeriodInvalid) as excinfo:
        schedule.create_event(actor=person("tanaka"), title="逆転", starts_at=at(MONDAY, 11), ends_at=at(MONDAY, 10))
    assert excinfo.value.code == "period_invalid"
    assert Event.objects.count() == before


def test_an_unknown_participant_is_refused(nakatosa: Any) -> None:
    with pytest.raises(ParticipantUnknown):
        schedule.create_event(
            actor=person("tanaka"),
            title="x",
            starts_at=at(MONDAY, 10),
            ends_at=at(MONDAY, 11),
            participant_ids=[999_999_999],
        )
    assert not EventParticipant.objects.filter(person_id=999_999_999).exists()


def test_a_broken_rule_is_refused(nakatosa: Any) -> None:
    with pytest.raises(RecurrenceInvalid):
        schedule.create_event(
            actor=person("tanaka"), title="x", starts_at=at(MONDAY, 10), ends_at=at(MONDAY, 11), rrule="FREQ=SOMETIMES"
        )


def test_a_weekly_series_appears_on_each_monday_and_ends_with_its_count(nakatosa: Any) -> None:
    tanaka = person("tanaka")
    event = schedule.create_event(
        actor=tanaka,
        title="係内ミーティング",
        starts_at=at(MONDAY, 9),
        ends_at=at(MONDAY, 9, 30),
        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3",
    )
    assert event.series_ends_at == at(MONDAY + timedelta(days=14), 9, 30)
    found = selectors.my_occurrences(person_id=tanaka.pk, start=at(MONDAY, 0), end=at(MONDAY + timedelta(days=35), 0))
    assert [occ.local_start for occ in found if occ.event_id == event.pk] == [
        at(MONDAY, 9),
        at(MONDAY + timedelta(days=7), 9),
        at(MONDAY + timedelta(days=14), 9),
    ]


def test_an_endless_series_is_found_years_later(nakatosa: Any) -> None:
    tanaka = person("tanaka")
    event = schedule.create_event(
        actor=tanaka, title="朝礼", starts_at=at(MONDAY, 8, 30), ends_at=at(MONDAY, 8, 45), rrule="FREQ=WEEKLY"
    )
    later = MONDAY + timedelta(weeks=200)
    found = selectors.my_occurrences(person_id=tanaka.pk, start=at(later, 0), end=at(later, 23))
    assert [occ.event_id for occ in found] == [event.pk]
    assert event.series_ends_at is None


def test_others_see_a_private_entry_only_as_busy(nakatosa: Any) -> None:
    tanaka, yamamoto = person("tanaka"), person("yamamoto")
    schedule.create_event(
        actor=tanaka, title="人間ドック", starts_at=at(MONDAY, 13), ends_at=at(MONDAY, 15), is_private=True
    )
    start, end = at(MONDAY, 0), at(MONDAY, 23)
    seen_by_other = selectors.occurrences_by_person(
        viewer_id=yamamoto.pk, person_ids=[tanaka.pk], start=start, end=end
    )[tanaka.pk]
    seen_by_self = selectors.my_occurrences(person_id=tanaka.pk, start=start, end=end)
    assert [occ.title for occ in seen_by_other] == ["予定あり"]
    assert [occ.title for occ in seen_by_self] == ["人間ドック"]


def test_the_group_week_reads_all_people_in_one_query_per_schema(nakatosa: Any) -> None:
    people = [person(name) for name in ("tanaka", "yamamoto", "council_staff")]
    for n, someone in enumerate(people):
        schedule.create_event(actor=someone, title=f"会議{n}", starts_at=at(MONDAY, 9 + n), ends_at=at(MONDAY, 10 + n))
        schedule.create_event(
            actor=someone, title="週次", starts_at=at(MONDAY, 16), ends_at=at(MONDAY, 17), rrule="FREQ=DAILY;COUNT=5"
        )
    with CaptureQueriesContext(connection) as queries:
        week = selectors.group_week(
            viewer_id=people[0].pk, people=[(p.pk, p.full_name) for p in people], first_day=MONDAY
        )
    # One read of the town's entries and one of the entries across towns in the council's schema.
    assert len([q for q in queries if "groupware_eventparticipant" in q["sql"]]) == 2
    assert [len(cell) for cell in week.rows[1].days] == [2, 1, 1, 1, 1, 0, 0]


def test_free_slots_avoid_everyone_s_entries(nakatosa: Any) -> None:
    tanaka, yamamoto = person("tanaka"), person("yamamoto")
    schedule.create_event(actor=tanaka, title="午前", starts_at=at(MONDAY, 8, 30), ends_at=at(MONDAY, 12))
    schedule.create_event(actor=yamamoto, title="午後", starts_at=at(MONDAY, 13), ends_at=at(MONDAY, 17, 15))
    slots = selectors.free_slots(person_ids=[tanaka.pk, yamamoto.pk], first_day=MONDAY, days=1, minutes=60)
    assert slots == [(at(MONDAY, 12), at(MONDAY, 13))]


def test_a_revoked_feed_token_opens_nothing(nakatosa: Any) -> None:
    tanaka = person("tanaka")
    token = schedule.issue_feed(actor=tanaka)
    assert selectors.feed_owner(token) == tanaka.pk
    schedule.revoke_feed(actor=tanaka)
    assert selectors.feed_owner(token) is None


def test_a_renewed_feed_revokes_the_old_url(nakatosa: Any) -> None:
    tanaka = person("tanaka")
    old = schedule.issue_feed(actor=tanaka)
    new = schedule.issue_feed(actor=tanaka)
    assert selectors.feed_owner(old) is None
    assert selectors.feed_owner(new) == tanaka.pk


def test_a_rule_without_a_weekday_follows_each_entry_s_own_start(nakatosa: Any) -> None:
    # Parsed rules are shared between entries (recurrence._template); each series keeps its own weekday and day.
    tanaka = person("tanaka")
    wednesday, friday = MONDAY + timedelta(days=2), MONDAY + timedelta(days=4)
    for day in (wednesday, friday):
        schedule.create_event(
            actor=tanaka,
            title=f"週次{day.day}",
            starts_at=at(day, 10),
            ends_at=at(day, 11),
            rrule="FREQ=WEEKLY;COUNT=2",
        )
    found = selectors.my_occurrences(person_id=tanaka.pk, start=at(MONDAY, 0), end=at(MONDAY + timedelta(days=14), 0))
    assert [occ.local_start.date() for occ in found] == [
        wednesday, friday, wednesday + timedelta(days=7), friday + timedelta(days=7),
    ]  # fmt: skip


def test_series_sharing_a_rule_and_start_keep_their_own_lengths_across_the_week_start(nakatosa: Any) -> None:
    # A series is expanded once per (rule, start) of a read and each entry adds its own length (§2.4); the
    # occurrence that began on the Sunday before and runs past midnight belongs to the week, the short one not.
    tanaka = person("tanaka")
    sunday = MONDAY - timedelta(days=1)
    for title, hours in (("夜間当番", 3), ("夜間点検", 1)):
        schedule.create_event(
            actor=tanaka, title=title, starts_at=at(sunday, 23), ends_at=at(sunday, 23) + timedelta(hours=hours),
            rrule="FREQ=DAILY;COUNT=2",
        )  # fmt: skip
    week = selectors.group_week(viewer_id=tanaka.pk, people=[(tanaka.pk, tanaka.full_name)], first_day=MONDAY)
    monday = [(occ.title, occ.local_start, occ.local_end) for occ in week.rows[0].days[0]]
    assert monday == [
        ("夜間当番", at(sunday, 23), at(MONDAY, 2)),
        ("夜間当番", at(MONDAY, 23), at(MONDAY + timedelta(days=1), 2)),
        ("夜間点検", at(MONDAY, 23), at(MONDAY + timedelta(days=1), 0)),
    ]
    assert [occ.title for occ in week.rows[0].days[1]] == ["夜間当番"]


def test_each_participant_keeps_the_span_of_its_entry(nakatosa: Any) -> None:
    # The calendar reads select a person's entries of a range on this copy, through its index (§2.3).
    tanaka, yamamoto = person("tanaka"), person("yamamoto")
    event = schedule.create_event(
        actor=tanaka, title="週次", starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 10), rrule="FREQ=WEEKLY;COUNT=3",
        participant_ids=[yamamoto.pk],
    )  # fmt: skip
    spans = set(EventParticipant.objects.filter(event=event).values_list("starts_at", "series_ends_at"))
    assert spans == {(event.starts_at, at(MONDAY + timedelta(days=14), 10))}
