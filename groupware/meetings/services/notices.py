"""The notifications of a meeting (docs/domain/meetings.md §8): its participants hear of an invitation, new
materials, a cancellation or a new date, or their removal in the notification centre of the town where they work
(``groupware.services.notifications.notify_where_they_work``), inside the announcing service's transaction. The
person who made the change is not notified of it."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from common.dates import TOKYO
from groupware.meetings.models import Meeting
from groupware.services.notifications import notify_where_they_work
from tenants.models import Person

KIND = "meeting"


def when(meeting: Meeting) -> str:
    start = meeting.starts_at.astimezone(TOKYO)
    return f"{start.month}月{start.day}日 {start:%H:%M}"


def _send(meeting: Meeting, recipient_ids: Iterable[int], actor: Person, text: str) -> int:
    ids = sorted({int(pk) for pk in recipient_ids} - {actor.pk})
    if not ids:
        return 0
    url = reverse("groupware:meetings:meeting", args=[meeting.pk])
    return notify_where_they_work(recipient_ids=ids, kind=KIND, text=text, url=url)


def _everyone(meeting: Meeting) -> list[int]:
    return list(meeting.participants.values_list("person_id", flat=True))


def invited(meeting: Meeting, person_ids: Iterable[int], actor: Person) -> int:
    text = f"{actor.full_name}さんから会議「{meeting.title}」({when(meeting)})に招待されました。"
    return _send(meeting, person_ids, actor, text)


def removed(meeting: Meeting, person_id: int, actor: Person) -> int:
    # The meeting page is no longer theirs to open (404): the notice links to their list of meetings instead.
    text = f"{actor.full_name}さんが会議「{meeting.title}」({when(meeting)})の参加者からあなたを外しました。"
    ids = [] if person_id == actor.pk else [person_id]
    return notify_where_they_work(recipient_ids=ids, kind=KIND, text=text, url=reverse("groupware:meetings:list"))


def materials_added(meeting: Meeting, name: str, actor: Person) -> int:
    text = f"会議「{meeting.title}」({when(meeting)})に会議資料「{name}」が追加されました。"
    return _send(meeting, _everyone(meeting), actor, text)


def cancelled(meeting: Meeting, actor: Person) -> int:
    text = f"会議「{meeting.title}」({when(meeting)})は中止になりました。理由: {meeting.cancel_reason}"
    return _send(meeting, _everyone(meeting), actor, text)


def rescheduled(meeting: Meeting, actor: Person, before: str) -> int:
    place = f"・{meeting.place}" if meeting.place else ""
    text = f"会議「{meeting.title}」の日時が変更されました: {before} → {when(meeting)}{place}"
    return _send(meeting, _everyone(meeting), actor, text)
