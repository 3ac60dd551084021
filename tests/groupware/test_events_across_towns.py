"""Entries across towns (docs/domain/groupware.md §2.8): an entry with participants of another town or the council
is kept in the council's schema and appears in every participant's calendar, whichever town recorded it; a town
never sees another town's entry unless one of its own staff takes part."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django_tenants.utils import schema_context

from common.dates import TOKYO
from common.models import AuditEvent
from groupware import selectors
from groupware.models import Event, Notification
from groupware.services import schedule
from tests.conftest import HOSTS, make_client, person

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 6, 1)


def at(hour: int) -> datetime:
    return datetime(MONDAY.year, MONDAY.month, MONDAY.day, hour, tzinfo=TOKYO)


def week(schema: str, viewer: Any, someone: Any) -> list[Any]:
    with schema_context(schema):
        return selectors.occurrences_by_person(
            viewer_id=viewer.pk, person_ids=[someone.pk], start=at(0), end=at(0) + timedelta(days=7)
        ).get(someone.pk, [])


@pytest.fixture
def shimanto_clerk(towns: dict[str, Any], new_person: Any) -> Any:
    return new_person("xt_shimanto", shimanto="clerk")


def joint(actor: Any, others: list[Any], *, schema: str = "nakatosa", private: bool = False) -> Event:
    with schema_context(schema):
        return schedule.create_event(
            actor=actor, title="合同防災会議", starts_at=at(10), ends_at=at(11),
            participant_ids=[p.pk for p in others], is_private=private,
        )  # fmt: skip


def test_an_entry_with_another_towns_staff_is_kept_by_the_council(shimanto_clerk: Any) -> None:
    event = joint(person("tanaka"), [shimanto_clerk])
    with schema_context("council"):
        assert set(Event.objects.get(pk=event.pk).participants.values_list("person_id", flat=True)) == {
            person("tanaka").pk,
            shimanto_clerk.pk,
        }
    with schema_context("nakatosa"):
        assert not Event.objects.filter(title="合同防災会議").exists()


def test_it_appears_in_the_other_towns_participants_calendar(shimanto_clerk: Any) -> None:
    joint(person("tanaka"), [shimanto_clerk])
    assert [occ.title for occ in week("shimanto", shimanto_clerk, shimanto_clerk)] == ["合同防災会議"]


def test_it_appears_in_the_recording_towns_calendar_marked_as_council(shimanto_clerk: Any) -> None:
    joint(person("tanaka"), [shimanto_clerk])
    assert [(occ.title, occ.council) for occ in week("nakatosa", person("yamamoto"), person("tanaka"))] == [
        ("合同防災会議", True)
    ]


def test_an_entry_among_one_towns_staff_stays_in_the_town(towns: dict[str, Any]) -> None:
    event = joint(person("tanaka"), [person("yamamoto")])
    with schema_context("nakatosa"):
        assert Event.objects.filter(pk=event.pk, title="合同防災会議").exists()


def test_another_towns_meeting_without_this_towns_staff_is_busy_only(shimanto_clerk: Any) -> None:
    joint(person("council_staff"), [shimanto_clerk], schema="council")
    assert [occ.title for occ in week("nakatosa", person("tanaka"), shimanto_clerk)] == ["予定あり"]


def test_a_private_entry_across_towns_is_busy_for_a_colleague(shimanto_clerk: Any) -> None:
    joint(person("tanaka"), [shimanto_clerk], private=True)
    assert [occ.title for occ in week("nakatosa", person("yamamoto"), person("tanaka"))] == ["予定あり"]


def test_the_recording_town_trail_names_the_council_entry(shimanto_clerk: Any) -> None:
    event = joint(person("tanaka"), [shimanto_clerk])
    with schema_context("nakatosa"):
        assert AuditEvent.objects.filter(action="groupware.council_event_create", object_id=str(event.pk)).exists()


def test_the_participant_opens_it_on_their_towns_host(shimanto_clerk: Any) -> None:
    event = joint(person("tanaka"), [shimanto_clerk])
    page = make_client(HOSTS["shimanto"], shimanto_clerk).get(reverse("groupware:council_event", args=[event.pk]))
    assert "合同防災会議" in page.content.decode()


def test_a_town_not_taking_part_gets_404_for_the_entry(shimanto_clerk: Any) -> None:
    event = joint(person("council_staff"), [shimanto_clerk], schema="council")
    page = make_client(HOSTS["nakatosa"], person("tanaka")).get(reverse("groupware:council_event", args=[event.pk]))
    assert page.status_code == 404


def test_the_organiser_cancels_it_from_their_town(shimanto_clerk: Any) -> None:
    event = joint(person("tanaka"), [shimanto_clerk])
    client = make_client(HOSTS["nakatosa"], person("tanaka"))
    client.post(reverse("groupware:council_event_cancel", args=[event.pk]))
    assert week("shimanto", shimanto_clerk, shimanto_clerk) == []


def test_the_feed_carries_the_entry_across_towns(shimanto_clerk: Any) -> None:
    event = joint(person("tanaka"), [shimanto_clerk])
    with schema_context("shimanto"):
        found = selectors.events_of(person_id=shimanto_clerk.pk, since=at(0) - timedelta(days=1))
    assert [(e.pk, e.council_wide) for e in found] == [(event.pk, True)]


def test_the_other_towns_participant_is_notified_in_their_town(shimanto_clerk: Any) -> None:
    joint(person("tanaka"), [shimanto_clerk])
    with schema_context("shimanto"):
        assert Notification.objects.filter(recipient_id=shimanto_clerk.pk, kind="event").count() == 1
