"""Web会議 (docs/domain/meetings.md §6): a Jitsi-compatible link with an unguessable room on the server the council
configures, generated for a schedule entry (shown on its page) or a meeting; refused when no server is set."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django_tenants.utils import schema_context

from common.dates import TOKYO, local_today
from common.town_settings import record_setting
from groupware.errors import NotOrganiser
from groupware.meetings import selectors
from groupware.meetings.errors import WebMeetingUnconfigured
from groupware.meetings.models import WebMeeting
from groupware.meetings.services import meetings, web_meetings
from groupware.models import Event
from groupware.services import schedule
from tests.conftest import person

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 11, 10, 0, tzinfo=TOKYO)
SERVER = "https://meet.kyodo.example.lg.jp"


def _event(title: str = "オンライン打合せ", *, private: bool = False) -> Event:
    return schedule.create_event(
        actor=person("tanaka"), title=title, starts_at=START, ends_at=START + timedelta(hours=1),
        participant_ids=[person("yamamoto").pk], is_private=private,
    )  # fmt: skip


@override_settings(KYODO_WEB_MEETING_SERVER="")
def test_without_a_server_generation_is_refused() -> None:
    with schema_context("nakatosa"):
        event = _event()
        with pytest.raises(WebMeetingUnconfigured):
            web_meetings.for_event(actor=person("tanaka"), event_id=event.pk)
        assert not WebMeeting.objects.exists()


@override_settings(KYODO_WEB_MEETING_SERVER="http://meet.example.jp")
def test_a_server_without_https_is_refused() -> None:
    with schema_context("nakatosa"), pytest.raises(WebMeetingUnconfigured):
        web_meetings.for_event(actor=person("tanaka"), event_id=_event().pk)


@override_settings(KYODO_WEB_MEETING_SERVER=SERVER + "/")
def test_the_link_is_on_the_configured_server() -> None:
    with schema_context("nakatosa"):
        link = web_meetings.for_event(actor=person("tanaka"), event_id=_event().pk)
    assert link.url.startswith(SERVER + "/")


@override_settings(KYODO_WEB_MEETING_SERVER=SERVER)
def test_the_room_name_is_long_and_random() -> None:
    with schema_context("nakatosa"):
        first = web_meetings.for_event(actor=person("tanaka"), event_id=_event("一").pk)
        second = web_meetings.for_event(actor=person("tanaka"), event_id=_event("二").pk)
    assert len(first.room) >= 32
    assert first.room != second.room


@override_settings(KYODO_WEB_MEETING_SERVER=SERVER)
def test_generating_again_keeps_the_link() -> None:
    with schema_context("nakatosa"):
        event = _event()
        first = web_meetings.for_event(actor=person("tanaka"), event_id=event.pk)
        again = web_meetings.for_event(actor=person("tanaka"), event_id=event.pk)
    assert again.pk == first.pk


@override_settings(KYODO_WEB_MEETING_SERVER=SERVER)
def test_only_the_organiser_generates_it() -> None:
    with schema_context("nakatosa"):
        event = _event()
        with pytest.raises(NotOrganiser):
            web_meetings.for_event(actor=person("yamamoto"), event_id=event.pk)


@override_settings(KYODO_WEB_MEETING_SERVER="")
def test_the_councils_town_setting_names_the_server() -> None:
    with schema_context("council"):
        record_setting(
            actor=person("it_admin"), key=web_meetings.WEB_MEETING_SERVER, value=SERVER, effective_from=local_today()
        )
    with schema_context("nakatosa"):
        link = web_meetings.for_event(actor=person("tanaka"), event_id=_event().pk)
    assert link.server == SERVER


@override_settings(KYODO_WEB_MEETING_SERVER=SERVER)
def test_the_chat_reads_the_link_of_an_event() -> None:
    with schema_context("nakatosa"):
        event = _event()
        link = web_meetings.for_event(actor=person("tanaka"), event_id=event.pk)
        found = selectors.web_meeting_for_event(viewer_id=person("yamamoto").pk, event_id=event.pk)
    assert found == link


@override_settings(KYODO_WEB_MEETING_SERVER=SERVER)
def test_the_link_of_a_private_entry_is_not_shown_to_others() -> None:
    with schema_context("nakatosa"):
        event = _event(private=True)
        web_meetings.for_event(actor=person("tanaka"), event_id=event.pk)
        assert selectors.web_meeting_for_event(viewer_id=person("it_admin").pk, event_id=event.pk) is None


@override_settings(KYODO_WEB_MEETING_SERVER=SERVER)
def test_the_event_page_shows_the_link(client_for: Any) -> None:
    with schema_context("nakatosa"):
        event = _event()
    client = client_for("tanaka", "nakatosa")
    client.post(reverse("groupware:meetings:event_web_meeting", args=[event.pk]))
    page = client.get(reverse("groupware:event", args=[event.pk])).content.decode()
    with schema_context("nakatosa"):
        link = WebMeeting.objects.get(event_id=event.pk)
    assert f'data-web-meeting="{link.url}"' in page


@override_settings(KYODO_WEB_MEETING_SERVER="")
def test_the_event_page_says_why_no_link_was_generated(client_for: Any) -> None:
    with schema_context("nakatosa"):
        event = _event()
    response = client_for("tanaka", "nakatosa").post(
        reverse("groupware:meetings:event_web_meeting", args=[event.pk]), follow=True
    )
    assert "Web会議のサーバーが設定されていません。" in response.content.decode()


@override_settings(KYODO_WEB_MEETING_SERVER=SERVER)
def test_a_meeting_carries_its_link_on_its_page(client_for: Any) -> None:
    with schema_context("nakatosa"):
        meeting = meetings.create_meeting(
            actor=person("tanaka"), title="Web会議つき", starts_at=START, ends_at=START + timedelta(hours=1),
            participant_ids=[person("yamamoto").pk],
        )  # fmt: skip
        link = web_meetings.for_meeting(actor=person("tanaka"), meeting_id=meeting.pk)
    page = client_for("yamamoto", "shimanto").get(reverse("groupware:meetings:meeting", args=[meeting.pk]))
    assert f'data-web-meeting="{link.url}"' in page.content.decode()
