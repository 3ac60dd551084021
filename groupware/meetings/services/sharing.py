"""「チャットで共有」: a participant posts a meeting's Web会議 link to a chat channel they reach, through the chat's
own service (docs/domain/meetings.md §6.5): the chat checks the channel, writes the message and its audit row and
delivers it live; this service only decides what may be shared and words the message."""

from __future__ import annotations

from django.urls import reverse

from common.dates import TOKYO
from groupware.chat import services as chat
from groupware.chat.errors import NotChannelMember
from groupware.chat.models import Message
from groupware.meetings.errors import MeetingCancelled, MeetingInvalid, MeetingNotFound
from groupware.meetings.models import Meeting, WebMeeting
from groupware.meetings.selectors import may_use_chat, meeting_for, meetings_schema
from tenants.models import Person


def message_text(meeting: Meeting, link: WebMeeting) -> str:
    starts, ends = meeting.starts_at.astimezone(TOKYO), meeting.ends_at.astimezone(TOKYO)
    lines = [
        f"【会議】{meeting.title}",
        f"日時: {starts.month}月{starts.day}日 {starts:%H:%M}〜{ends:%H:%M}",
        *([f"場所: {meeting.place}"] if meeting.place else []),
        f"Web会議: {link.url}",
        f"会議のページ(参加者のみ): {reverse('groupware:meetings:meeting', args=[meeting.pk])}",
    ]
    return "\n".join(lines)


def share_in_chat(*, actor: Person, meeting_id: int, channel_id: int) -> Message:
    """Post the meeting's title, time, place and Web会議 link to the channel, as the actor (a participant). Refused
    for a meeting without a link (``meeting_invalid``) or cancelled (``meeting_cancelled``), and for a channel the
    actor does not reach (the chat's ``channel_not_member``, also for someone the chat module does not admit);
    nothing is written then."""
    with meetings_schema():
        meeting = meeting_for(actor=actor, meeting_id=meeting_id)
        if meeting is None:
            raise MeetingNotFound()
        if meeting.is_cancelled:
            raise MeetingCancelled()
        link = WebMeeting.objects.filter(meeting=meeting).first()
        if link is None:
            raise MeetingInvalid("この会議にはWeb会議のURLが発行されていません。", details={"field": "channel"})
        body = message_text(meeting, link)
    if not may_use_chat(actor):
        raise NotChannelMember()
    return chat.post_message(actor=actor, channel_id=channel_id, body=body)
