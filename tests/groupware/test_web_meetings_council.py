"""Web会議 of an entry across towns (docs/domain/meetings.md §6.3): the entry is kept in the council's schema
(groupware.md §2.8) and so is its link; its organiser generates it from the entry's page on their town's host,
and the participants of the other town see it on theirs, as for a town's own entry."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django_tenants.utils import schema_context

from common.dates import TOKYO
from groupware.errors import NotOrganiser
from groupware.meetings import selectors
from groupware.meetings.models import WebMeeting
from groupware.meetings.services import web_meetings
from groupware.models import Event
from groupware.services import schedule
from tests.conftest import person

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 14, 10, 0, tzinfo=TOKYO)
SERVER = "https://meet.kyodo.example.lg.jp"


@pytest.fixture
def shimanto_clerk(towns: dict[str, Any], new_person: Any) -> Any:
    return new_person("wm_shimanto", shimanto="clerk")


@pytest.fixture
def joint(shimanto_clerk: Any) -> Event:
    with schema_context("nakatosa"):
        event = schedule.create_event(
            actor=person("tanaka"), title="合同Web会議", starts_at=START, ends_at=START + timedelta(hours=1),
            participant_ids=[shimanto_clerk.pk],
        )  # fmt: skip
    with schema_context("council"):
        assert Event.objects.filter(pk=event.pk, title="合同Web会議").exists()  # kept by the council
    return event


@override_settings(KYODO_WEB_MEETING_SERVER=SERVER)
def test_the_link_is_kept_with_the_entry_in_the_councils_schema(joint: Event, shimanto_clerk: Any) -> None:
    with schema_context("nakatosa"):
        link = web_meetings.for_event(actor=person("tanaka"), event_id=joint.pk, council_wide=True)
        assert not WebMeeting.objects.filter(room=link.room).exists()
    with schema_context("council"):
        assert WebMeeting.objects.get(event_id=joint.pk).room == link.room
    with schema_context("shimanto"):
        seen = selectors.web_meeting_for_event(viewer_id=shimanto_clerk.pk, event_id=joint.pk, council_wide=True)
    assert seen is not None
    assert seen.url == link.url
    with schema_context("nakatosa"):
        again = web_meetings.for_event(actor=person("tanaka"), event_id=joint.pk, council_wide=True)
    assert again.pk == link.pk


@override_settings(KYODO_WEB_MEETING_SERVER=SERVER)
def test_only_the_organiser_generates_it(joint: Event, shimanto_clerk: Any) -> None:
    with schema_context("shimanto"), pytest.raises(NotOrganiser):
        web_meetings.for_event(actor=shimanto_clerk, event_id=joint.pk, council_wide=True)
    with schema_context("council"):
        assert not WebMeeting.objects.filter(event_id=joint.pk).exists()


@override_settings(KYODO_WEB_MEETING_SERVER=SERVER)
def test_the_entry_page_offers_and_then_shows_the_link(joint: Event, client_for: Any) -> None:
    organiser = client_for("tanaka", "nakatosa")
    page_url = reverse("groupware:council_event", args=[joint.pk])
    generate = reverse("groupware:meetings:council_event_web_meeting", args=[joint.pk])
    page = organiser.get(page_url).content.decode()
    assert 'id="web-meeting"' in page
    assert f'action="{generate}"' in page
    response = organiser.post(generate)
    assert response.status_code == 302
    assert response["Location"] == page_url
    with schema_context("council"):
        link = WebMeeting.objects.get(event_id=joint.pk)
    assert f'data-web-meeting="{link.url}"' in organiser.get(page_url).content.decode()
    other_town = client_for("wm_shimanto", "shimanto").get(page_url).content.decode()
    assert f'data-web-meeting="{link.url}"' in other_town
    assert generate not in other_town  # the participant does not generate


def test_a_participant_posting_the_generation_changes_nothing(joint: Event, client_for: Any) -> None:
    client = client_for("wm_shimanto", "shimanto")
    client.post(reverse("groupware:meetings:council_event_web_meeting", args=[joint.pk]))
    with schema_context("council"):
        assert not WebMeeting.objects.filter(event_id=joint.pk).exists()
