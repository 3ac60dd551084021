"""「チャットで共有」 (docs/domain/meetings.md §6.5, chat.md §3.8): a participant posts a meeting's Web会議 link to a
chat channel they reach, through the chat's service; the chat page shows the link as a link. A channel the
participant does not reach, a meeting without a link or cancelled, a teacher: refused, nothing written."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse
from django_tenants.utils import schema_context

from common.dates import TOKYO
from groupware.chat import services as chat
from groupware.chat.errors import NotChannelMember
from groupware.chat.models import Channel, Message
from groupware.meetings.errors import MeetingCancelled, MeetingInvalid, MeetingNotFound
from groupware.meetings.models import Meeting
from groupware.meetings.services import changes, meetings, sharing, web_meetings
from tests.conftest import person

pytestmark = pytest.mark.django_db
SERVER = "https://meet.kyodo.example.jp"
START = datetime(2026, 12, 10, 14, 0, tzinfo=TOKYO)


@pytest.fixture
def meeting() -> Meeting:
    with schema_context("nakatosa"):
        return meetings.create_meeting(
            actor=person("tanaka"), title="共有する会議", starts_at=START, ends_at=START + timedelta(hours=1),
            place="本庁舎", participant_ids=[person("yamamoto").pk, person("sato").pk],
        )  # fmt: skip


@pytest.fixture
def channel() -> Channel:
    with schema_context("council"):
        return chat.create_channel(actor=person("it_admin"), kind="council", name="協議会全体(共有確認)")


@pytest.fixture
def linked(meeting: Meeting) -> str:
    with override_settings(KYODO_WEB_MEETING_SERVER=SERVER):
        return web_meetings.for_meeting(actor=person("tanaka"), meeting_id=meeting.pk).url


def _messages(channel: Channel) -> list[Message]:
    with schema_context("council"):
        return list(Message.objects.filter(channel_id=channel.pk))


def test_a_participant_shares_the_link_in_a_channel(meeting: Meeting, channel: Channel, linked: str) -> None:
    with schema_context("shimanto"):
        message = sharing.share_in_chat(actor=person("yamamoto"), meeting_id=meeting.pk, channel_id=channel.pk)
    assert message.author_name == "山本 健太"
    assert f"Web会議: {linked}" in message.body
    assert "【会議】共有する会議" in message.body
    assert "12月10日 14:00〜15:00" in message.body


def test_the_chat_page_shows_the_link_as_a_link(
    meeting: Meeting, channel: Channel, linked: str, client_for: Any
) -> None:
    with schema_context("nakatosa"):
        sharing.share_in_chat(actor=person("tanaka"), meeting_id=meeting.pk, channel_id=channel.pk)
    page = client_for("tanaka", "nakatosa").get(reverse("chat:channel", args=[channel.pk])).content.decode()
    assert f'<a href="{linked}" rel="noopener noreferrer" target="_blank">{linked}</a>' in page


def test_the_link_filter_escapes_everything_else() -> None:
    text = '<script>x</script> https://a.example/r?x=1&y="2" 「https://b.example/c」\n次'
    html = Template("{% load chat_text %}{{ t|chat_body }}").render(Context({"t": text}))
    assert "<script>" not in html
    assert '<a href="https://a.example/r?x=1&amp;y=" rel="noopener noreferrer" target="_blank">' in html
    assert '「<a href="https://b.example/c"' in html
    assert html.endswith("<br>次")


def test_a_channel_the_participant_does_not_reach_is_refused(meeting: Meeting, linked: str) -> None:
    with schema_context("shimanto"):
        other_town = chat.create_channel(actor=person("it_admin"), kind="town", name="四万十町(共有確認)")
    with schema_context("nakatosa"), pytest.raises(NotChannelMember):
        sharing.share_in_chat(actor=person("tanaka"), meeting_id=meeting.pk, channel_id=other_town.pk)
    assert _messages(other_town) == []


def test_a_teacher_whom_the_chat_does_not_admit_shares_nowhere(meeting: Meeting, channel: Channel, linked: str) -> None:
    with schema_context("shimanto"), pytest.raises(NotChannelMember):
        sharing.share_in_chat(actor=person("sato"), meeting_id=meeting.pk, channel_id=channel.pk)
    assert _messages(channel) == []


def test_nothing_is_shared_without_a_link_or_when_cancelled(meeting: Meeting, channel: Channel) -> None:
    with schema_context("nakatosa"):
        with pytest.raises(MeetingInvalid):
            sharing.share_in_chat(actor=person("tanaka"), meeting_id=meeting.pk, channel_id=channel.pk)
        changes.cancel_meeting(actor=person("tanaka"), meeting_id=meeting.pk, reason="中止")
        with pytest.raises(MeetingCancelled):
            sharing.share_in_chat(actor=person("tanaka"), meeting_id=meeting.pk, channel_id=channel.pk)
        with pytest.raises(MeetingNotFound):
            sharing.share_in_chat(actor=person("council_staff"), meeting_id=meeting.pk, channel_id=channel.pk)
    assert _messages(channel) == []


def test_the_meeting_page_offers_the_channels_and_shares(
    meeting: Meeting, channel: Channel, linked: str, client_for: Any
) -> None:
    client = client_for("tanaka", "nakatosa")
    page = client.get(reverse("groupware:meetings:meeting", args=[meeting.pk]))
    assert channel in page.context["share_channels"]
    response = client.post(reverse("groupware:meetings:share", args=[meeting.pk]), {"channel": channel.pk})
    assert response.status_code == 302
    assert len(_messages(channel)) == 1
    teacher = client_for("sato", "shimanto").get(reverse("groupware:meetings:meeting", args=[meeting.pk]))
    assert teacher.context["share_channels"] == []
