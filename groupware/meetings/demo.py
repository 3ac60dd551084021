"""Demo meetings (``manage.py seed_demo``): a council meeting with its agenda, PDFs and confirmed minutes, a
town's meeting with a draft of its minutes, and a town's meeting cancelled (中止) with its reason
(docs/domain/meetings.md §10). They live in the council's schema."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from common.dates import TOKYO, local_today
from groupware.meetings.documents import agenda_pdf
from groupware.meetings.errors import WebMeetingUnconfigured
from groupware.meetings.models import Attendance, Meeting
from groupware.meetings.services import changes, meetings, minutes, web_meetings
from tenants.models import Municipality, Person

COUNCIL_TITLE = "第3回 広域連携協議会 幹事会"
TOWN_TITLE = "防災行政無線の共同運用 打合せ"
CANCELLED_TITLE = "庁舎間ネットワーク切替 リハーサル"
CANCEL_REASON = "台風接近のため延期します。日程は改めて連絡します。"
COUNCIL_MINUTES = """1 共同調達の進捗について
  事務局から説明があり、了承された。
2 令和9年度の負担金について
  両町で持ち帰り検討する。
3 学校ネットワークの更新について
  次回報告する。"""


def _people(*usernames: str) -> dict[str, Person]:
    return {p.username: p for p in Person.objects.filter(username__in=usernames)}


def _at(days: int, hour: int, minutes_: int = 0) -> datetime:
    return datetime.combine(local_today() + timedelta(days=days), time(hour, minutes_), tzinfo=TOKYO)


def _meeting(
    organiser: Person, title: str, days: int, place: str, participants: list[Person], agenda: list[tuple[str, str]]
) -> Meeting:
    meeting = meetings.create_meeting(
        actor=organiser, title=title, starts_at=_at(days, 14), ends_at=_at(days, 16), place=place,
        participant_ids=[p.pk for p in participants],
    )  # fmt: skip
    items = [
        meetings.add_agenda_item(actor=organiser, meeting_id=meeting.pk, title=item, presenter=presenter)
        for item, presenter in agenda
    ]
    pdf = SimpleUploadedFile("次第.pdf", agenda_pdf(meeting, items), content_type="application/pdf")
    meetings.upload_document(actor=organiser, meeting_id=meeting.pk, upload=pdf)
    pdf = SimpleUploadedFile(f"資料1_{items[0].title}.pdf", agenda_pdf(meeting, items[:1]), "application/pdf")
    meetings.upload_document(actor=organiser, meeting_id=meeting.pk, upload=pdf, agenda_item_id=items[0].pk)
    return meeting


def _council_meeting(people: dict[str, Person]) -> str:
    organiser = people["council_staff"]
    meeting = _meeting(
        organiser, COUNCIL_TITLE, -7, "協議会会議室",
        [people[name] for name in ("tanaka", "yamamoto", "it_admin", "sato") if name in people],
        [("共同調達の進捗について", "協議会事務局"), ("令和9年度の負担金について", "協議会事務局"),
         ("学校ネットワークの更新について", "四万十町教育委員会")],
    )  # fmt: skip
    present = {p.pk: Attendance.PRESENT for p in people.values() if p.username != "sato"}
    meetings.record_attendance(actor=organiser, meeting_id=meeting.pk, attendance=present)
    draft = minutes.save_draft(actor=people["tanaka"], meeting_id=meeting.pk, body=COUNCIL_MINUTES)
    minutes.confirm(actor=organiser, meeting_id=meeting.pk, version=draft.version)
    return meeting.title


def _town_meeting(people: dict[str, Person]) -> str:
    organiser = people["tanaka"]
    meeting = _meeting(
        organiser, TOWN_TITLE, 3, "中土佐町役場 2階会議室",
        [people["yamamoto"]],
        [("現行設備の課題", "中土佐町 町民課"), ("共同運用の範囲", "四万十町 町民課")],
    )  # fmt: skip
    minutes.save_draft(actor=organiser, meeting_id=meeting.pk, body="(当日記入)")
    # Without a configured Web会議 server the demo has no link: the meeting page says so.
    with suppress(WebMeetingUnconfigured):
        web_meetings.for_meeting(actor=organiser, meeting_id=meeting.pk)
    return meeting.title


def _cancelled_meeting(people: dict[str, Person]) -> str:
    organiser = people["tanaka"]
    participants = [people[name] for name in ("yamamoto", "it_admin") if name in people]
    meeting = _meeting(
        organiser, CANCELLED_TITLE, 5, "中土佐町役場 サーバー室", participants,
        [("切替手順の確認", "中土佐町 総務課"), ("切戻しの判断基準", "協議会事務局")],
    )  # fmt: skip
    changes.cancel_meeting(actor=organiser, meeting_id=meeting.pk, reason=CANCEL_REASON)
    return f"{meeting.title}(中止)"


def seed_demo(write: Callable[[str], None]) -> None:
    schemas = set(Municipality.objects.values_list("schema_name", flat=True))
    if not {"council", "nakatosa"} <= schemas:
        return
    people = _people("council_staff", "tanaka", "yamamoto", "it_admin", "sato")
    if not {"council_staff", "tanaka", "yamamoto"} <= set(people):
        return
    with schema_context("council"):
        if Meeting.objects.filter(title=COUNCIL_TITLE).exists():
            write("  council: meetings already seeded, left as they are")
            return
        titles = [_council_meeting(people)]
    with schema_context("nakatosa"):
        titles.append(_town_meeting(people))
        titles.append(_cancelled_meeting(people))
    write(f"  council: meetings {'、'.join(titles)}")
