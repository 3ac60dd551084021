"""ペーパーレス会議: record a meeting, its agenda, its PDF documents and the attendance (docs/domain/meetings.md).

Every write runs in the council's schema (``meetings_schema``), where the meetings live, in one transaction with
its audit row; bad input is refused before anything is written.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max

from common import audit
from common.tenancy import current_schema
from groupware import org
from groupware.errors import FileTooLarge, ParticipantUnknown
from groupware.meetings.errors import (
    DocumentNotPdf,
    MeetingCancelled,
    MeetingInvalid,
    MeetingNotFound,
    NotMeetingOrganiser,
)
from groupware.meetings.models import AgendaItem, Attendance, Document, Meeting, Participant
from groupware.meetings.selectors import eligible_participants, meetings_schema
from groupware.meetings.services import notices
from groupware.services.schedule import check_period
from tenants.models import Person

TITLE_MAX = 200
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # §3.2
PDF_MAGIC = b"%PDF-"
PDF_TRAILER = b"%%EOF"
TRAILER_WINDOW = 2048  # the end-of-file marker sits near the end (a few bytes of padding may follow it)


def _title(text: str, field: str = "title", limit: int = TITLE_MAX) -> str:
    text = " ".join(text.split())
    if not text or len(text) > limit:
        raise MeetingInvalid(f"{limit}文字以内で入力してください。", details={"field": field})
    return text


def create_meeting(
    *,
    actor: Person,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    participant_ids: Iterable[int] = (),
    place: str = "",
    description: str = "",
) -> Meeting:
    """A meeting organised by the actor for the body of the current host (a town, or the council); the organiser
    always takes part. Participants are staff of either town or the council (§2)."""
    title = _title(title)
    check_period(starts_at, ends_at)
    wanted = {int(pk) for pk in participant_ids} | {actor.pk}
    people = eligible_participants(wanted)
    unknown = sorted(wanted - set(people))
    if unknown:
        raise ParticipantUnknown(details={"field": "participants", "person_ids": unknown})
    host = org.current_town()
    with meetings_schema(), transaction.atomic():
        meeting = Meeting.objects.create(
            title=title, starts_at=starts_at, ends_at=ends_at, place=" ".join(place.split())[:200],
            description=description.strip(), host_code=host.code or "", host_name=host.name,
            organiser_id=actor.pk, organiser_name=people[actor.pk].name,
        )  # fmt: skip
        Participant.objects.bulk_create(
            Participant(meeting=meeting, person_id=pk, person_name=people[pk].name, affiliation=people[pk].affiliation)
            for pk in sorted(wanted, key=lambda pk: (pk != actor.pk, pk))
        )
        audit.record(
            actor=actor,
            action="meetings.create",
            obj=meeting,
            details={"host": host.code or host.name, "participants": sorted(wanted)},
        )
        notices.invited(meeting, wanted, actor)
    return meeting


def organised_meeting(actor: Person, meeting_id: int) -> Meeting:
    """The meeting, locked, if the actor organises it and it was not cancelled (call inside ``meetings_schema`` and
    a transaction)."""
    meeting = Meeting.objects.select_for_update().filter(pk=meeting_id).first()
    if meeting is None or not meeting.participants.filter(person_id=actor.pk).exists():
        raise MeetingNotFound()
    if meeting.organiser_id != actor.pk:
        raise NotMeetingOrganiser()
    if meeting.is_cancelled:
        raise MeetingCancelled()
    return meeting


def add_agenda_item(*, actor: Person, meeting_id: int, title: str, presenter: str = "") -> AgendaItem:
    """The next item of the agenda (the organiser's)."""
    title = _title(title)
    presenter = " ".join(presenter.split())
    if len(presenter) > 100:
        raise MeetingInvalid("説明者は100文字以内で入力してください。", details={"field": "presenter"})
    with meetings_schema(), transaction.atomic():
        meeting = organised_meeting(actor, meeting_id)
        last = meeting.agenda.aggregate(last=Max("order"))["last"] or 0
        item = AgendaItem.objects.create(meeting=meeting, order=last + 1, title=title, presenter=presenter)
        audit.record(actor=actor, action="meetings.agenda_add", obj=item, details={"meeting": meeting.pk})
    return item


def _checked_pdf(upload: UploadedFile) -> str:
    """The SHA-256 of an upload that is a PDF by its content (not its name): it starts with ``%PDF-`` and ends
    with ``%%EOF`` (§3.1). Refused above 20 MB."""
    size = upload.size or 0
    if size > MAX_DOCUMENT_BYTES:
        raise FileTooLarge(
            f"「{upload.name}」は大きすぎます(会議資料は1ファイル20MBまで)。", details={"file": upload.name}
        )
    digest = hashlib.sha256()
    head, tail = b"", b""
    for chunk in upload.chunks():
        head = head or chunk[: len(PDF_MAGIC)]
        tail = (tail + chunk)[-TRAILER_WINDOW:]
        digest.update(chunk)
    upload.seek(0)
    if size == 0 or head != PDF_MAGIC or PDF_TRAILER not in tail:
        raise DocumentNotPdf(f"「{upload.name}」はPDFファイルではありません。", details={"file": upload.name})
    return digest.hexdigest()


def upload_document(
    *, actor: Person, meeting_id: int, upload: UploadedFile, agenda_item_id: int | None = None
) -> Document:
    """A PDF for the meeting (or one of its agenda items), stored in the groupware's file storage (the
    organiser's). The stored bytes are deleted again if the transaction fails."""
    sha256 = _checked_pdf(upload)
    storage = storages["groupware"]
    key = ""
    try:
        with meetings_schema(), transaction.atomic():
            meeting = organised_meeting(actor, meeting_id)
            item = meeting.agenda.filter(pk=agenda_item_id).first() if agenda_item_id else None
            if agenda_item_id and item is None:
                raise MeetingInvalid("議題が見つかりません。", details={"field": "agenda_item"})
            key = storage.save(f"{current_schema()}/meetings/{meeting.pk}/{uuid.uuid4().hex}.pdf", upload)
            document = Document.objects.create(
                meeting=meeting, agenda_item=item, name=(upload.name or "document.pdf")[:200], storage_key=key,
                size=upload.size or 0, sha256=sha256, uploaded_by_id=actor.pk, uploaded_by_name=actor.full_name,
            )  # fmt: skip
            audit.record(
                actor=actor, action="meetings.document_upload", obj=document,
                details={"meeting": meeting.pk, "size": document.size, "sha256": sha256},
            )  # fmt: skip
            notices.materials_added(meeting, document.name, actor)
    except Exception:
        if key:
            storage.delete(key)
        raise
    return document


def record_attendance(*, actor: Person, meeting_id: int, attendance: Mapping[int, str]) -> list[Participant]:
    """出欠: the organiser records who attended (in the room or on the Web), who was absent (§4)."""
    wrong = sorted(str(v) for v in attendance.values() if v not in Attendance.values)
    if wrong:
        raise MeetingInvalid(f"出欠の値が正しくありません: {', '.join(wrong)}", details={"field": "attendance"})
    with meetings_schema(), transaction.atomic():
        meeting = organised_meeting(actor, meeting_id)
        rows = {p.person_id: p for p in meeting.participants.all()}
        strangers = sorted(set(attendance) - set(rows))
        if strangers:
            raise ParticipantUnknown(
                "この会議の参加者ではない職員が含まれています。",
                details={"field": "attendance", "person_ids": strangers},
            )
        changed = [rows[pk] for pk, value in attendance.items() if rows[pk].attendance != value]
        for participant in changed:
            participant.attendance = attendance[participant.person_id]
        Participant.objects.bulk_update(changed, ["attendance"])
        audit.record(
            actor=actor, action="meetings.attendance", obj=meeting,
            details={"changed": {str(p.person_id): p.attendance for p in changed}},
        )  # fmt: skip
    return sorted(rows.values(), key=lambda p: p.pk)


AUDIT_LABELS = {
    "meetings.create": "会議: 会議の登録",
    "meetings.agenda_add": "会議: 議題の追加",
    "meetings.document_upload": "会議: 会議資料の登録",
    "meetings.document_read": "会議: 会議資料の閲覧",
    "meetings.attendance": "会議: 出欠の記録",
}
