"""ペーパーレス会議 (docs/domain/meetings.md): meetings in the council's schema seen by their participants from
either town, refused to everyone else; PDF documents checked by content and read audited; attendance; minutes from
draft to confirmed (read-only, corrections are new versions); bad input writes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tenants.utils import schema_context

from common.dates import TOKYO
from common.errors import PermissionDenied
from common.models import AuditEvent
from groupware.errors import FileTooLarge, ParticipantUnknown, PeriodInvalid
from groupware.meetings import selectors
from groupware.meetings.errors import (
    DocumentNotFound,
    DocumentNotPdf,
    MeetingInvalid,
    MeetingNotFound,
    MinutesConfirmed,
    NotMeetingOrganiser,
)
from groupware.meetings.models import Document, Meeting, Minutes, MinutesState, Participant
from groupware.meetings.services import meetings, minutes
from tests.conftest import person

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 10, 14, 0, tzinfo=TOKYO)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(name: str = "資料.pdf", body: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/pdf")


@pytest.fixture
def people(new_person: Any) -> dict[str, Any]:
    return {
        "organiser": person("tanaka"),  # 中土佐町
        "shimanto": person("yamamoto"),  # 四万十町 (and 中土佐町 応援)
        "teacher": person("sato"),  # 四万十町の教員
        "council": person("council_staff"),
        "outsider": new_person("mt_outsider", shimanto="clerk"),
    }


@pytest.fixture
def meeting(people: dict[str, Any]) -> Meeting:
    with schema_context("nakatosa"):
        return meetings.create_meeting(
            actor=people["organiser"], title="防災無線 打合せ", starts_at=START, ends_at=START + timedelta(hours=2),
            place="中土佐町役場", participant_ids=[people["shimanto"].pk, people["teacher"].pk, people["council"].pk],
        )  # fmt: skip


def _count(model: Any) -> int:
    with schema_context("council"):
        return int(model.objects.count())


# --- where a meeting lives, who sees it -------------------------------------------------------------------------


def test_a_meeting_lives_in_the_council_schema(meeting: Meeting) -> None:
    with schema_context("council"):
        assert Meeting.objects.filter(pk=meeting.pk, host_name="中土佐町").exists()


def test_the_council_organises_a_meeting_on_its_own_host(people: dict[str, Any]) -> None:
    # The council has no 団体コード: its meetings name it by name only (this failed with a NOT NULL violation).
    with schema_context("council"):
        meeting = meetings.create_meeting(
            actor=people["council"], title="幹事会", starts_at=START, ends_at=START + timedelta(hours=1),
            participant_ids=[people["organiser"].pk],
        )  # fmt: skip
        assert Meeting.objects.get(pk=meeting.pk).host_name == "高知県中西部電算協議会"


def test_the_organiser_takes_part(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("council"):
        ids = set(Participant.objects.filter(meeting=meeting).values_list("person_id", flat=True))
    assert people["organiser"].pk in ids


def test_participants_of_the_other_town_see_the_meeting(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("shimanto"):
        assert [m.pk for m in selectors.meetings_for(actor=people["shimanto"])] == [meeting.pk]


def test_a_non_participant_sees_nothing(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("shimanto"):
        assert selectors.meeting_page(actor=people["outsider"], meeting_id=meeting.pk) is None


def test_a_participant_reads_the_page_on_their_own_towns_host(meeting: Meeting, client_for: Any) -> None:
    response = client_for("yamamoto", "shimanto").get(reverse("groupware:meetings:meeting", args=[meeting.pk]))
    assert "防災無線 打合せ" in response.content.decode()


def test_a_teacher_attends(meeting: Meeting, client_for: Any) -> None:
    response = client_for("sato", "shimanto").get(reverse("groupware:meetings:meeting", args=[meeting.pk]))
    assert response.status_code == 200


def test_the_page_of_a_non_participant_is_404(meeting: Meeting, people: dict[str, Any], client_for: Any) -> None:
    from tests.conftest import HOSTS, make_client

    client = make_client(HOSTS["shimanto"], people["outsider"])
    assert client.get(reverse("groupware:meetings:meeting", args=[meeting.pk])).status_code == 404


def test_the_api_detail_of_a_non_participant_is_404(meeting: Meeting, people: dict[str, Any]) -> None:
    from tests.conftest import HOSTS, make_client

    client = make_client(HOSTS["shimanto"], people["outsider"])
    response = client.get(reverse("api:groupware:meetings:meeting", args=[meeting.pk]))
    assert response.json()["code"] == "meeting_not_found"


def test_a_vendor_never_reaches_the_meetings(client_for: Any) -> None:
    assert client_for("vendor", "council").get(reverse("groupware:meetings:list")).status_code == 403


def test_the_api_lists_and_details_a_meeting(meeting: Meeting, client_for: Any) -> None:
    client = client_for("yamamoto", "shimanto")
    listed = client.get(reverse("api:groupware:meetings:meetings")).json()
    detail = client.get(reverse("api:groupware:meetings:meeting", args=[meeting.pk])).json()
    assert [row["id"] for row in listed] == [meeting.pk]
    assert len(detail["participants"]) == 4


def test_the_api_list_reads_the_same_number_of_statements_for_more_meetings(
    meeting: Meeting, people: dict[str, Any], client_for: Any
) -> None:
    client = client_for("yamamoto", "shimanto")
    url = reverse("api:groupware:meetings:meetings")
    client.get(url)  # warm the caches (host routing, session)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    with schema_context("nakatosa"):
        for number in range(3):
            meetings.create_meeting(
                actor=people["organiser"], title=f"会議 {number}", starts_at=START, ends_at=START + timedelta(hours=1),
                participant_ids=[people["shimanto"].pk],
            )  # fmt: skip
    with CaptureQueriesContext(connection) as four:
        rows = client.get(url).json()
    assert len(rows) == 4
    assert len(four) == len(one)


# --- bad input writes nothing ---------------------------------------------------------------------------------


def test_an_end_before_the_start_is_refused(people: dict[str, Any]) -> None:
    before = _count(Meeting)
    with schema_context("nakatosa"), pytest.raises(PeriodInvalid):
        meetings.create_meeting(actor=people["organiser"], title="逆", starts_at=START, ends_at=START)
    assert _count(Meeting) == before


def test_a_participant_in_no_town_is_refused(people: dict[str, Any], new_person: Any) -> None:
    nobody = new_person("mt_nobody")
    before = _count(Meeting)
    with schema_context("nakatosa"), pytest.raises(ParticipantUnknown):
        meetings.create_meeting(
            actor=people["organiser"], title="会議", starts_at=START, ends_at=START + timedelta(hours=1),
            participant_ids=[nobody.pk],
        )  # fmt: skip
    assert _count(Meeting) == before


def test_a_vendor_cannot_be_a_participant(people: dict[str, Any]) -> None:
    with schema_context("nakatosa"), pytest.raises(ParticipantUnknown):
        meetings.create_meeting(
            actor=people["organiser"], title="会議", starts_at=START, ends_at=START + timedelta(hours=1),
            participant_ids=[person("vendor").pk],
        )  # fmt: skip


def test_a_blank_title_is_refused(people: dict[str, Any]) -> None:
    with schema_context("nakatosa"), pytest.raises(MeetingInvalid):
        meetings.create_meeting(actor=people["organiser"], title="  ", starts_at=START, ends_at=START + timedelta(1))


def test_the_form_shows_the_refusal_and_writes_nothing(client_for: Any) -> None:
    before = _count(Meeting)
    response = client_for("tanaka", "nakatosa").post(
        reverse("groupware:meetings:new"),
        {"title": "会議", "starts_at": "2026-12-10T15:00", "ends_at": "2026-12-10T14:00"},
    )
    assert "終了日時は開始日時より後にしてください。" in response.content.decode()
    assert _count(Meeting) == before


# --- agenda and documents -------------------------------------------------------------------------------------


def test_agenda_items_follow_each_other(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("nakatosa"):
        meetings.add_agenda_item(actor=people["organiser"], meeting_id=meeting.pk, title="開会")
        second = meetings.add_agenda_item(actor=people["organiser"], meeting_id=meeting.pk, title="議事")
    assert second.order == 2


def test_only_the_organiser_adds_to_the_agenda(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("shimanto"), pytest.raises(NotMeetingOrganiser):
        meetings.add_agenda_item(actor=people["shimanto"], meeting_id=meeting.pk, title="追加")


def test_a_stranger_is_told_the_meeting_does_not_exist(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("shimanto"), pytest.raises(MeetingNotFound):
        meetings.add_agenda_item(actor=people["outsider"], meeting_id=meeting.pk, title="追加")


def test_a_file_named_pdf_that_is_not_one_is_refused(meeting: Meeting, people: dict[str, Any]) -> None:
    before = _count(Document)
    with schema_context("nakatosa"), pytest.raises(DocumentNotPdf):
        meetings.upload_document(
            actor=people["organiser"], meeting_id=meeting.pk, upload=pdf("資料.pdf", b"MZ\x90\x00 not a pdf")
        )
    assert _count(Document) == before


def test_a_truncated_pdf_is_refused(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("nakatosa"), pytest.raises(DocumentNotPdf):
        meetings.upload_document(actor=people["organiser"], meeting_id=meeting.pk, upload=pdf(body=PDF[:40]))


def test_an_oversized_pdf_is_refused(meeting: Meeting, people: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.setattr(meetings, "MAX_DOCUMENT_BYTES", len(PDF) - 1)
    before = _count(Document)
    with schema_context("nakatosa"), pytest.raises(FileTooLarge):
        meetings.upload_document(actor=people["organiser"], meeting_id=meeting.pk, upload=pdf())
    assert _count(Document) == before


def test_a_document_of_an_unknown_agenda_item_is_refused(meeting: Meeting, people: dict[str, Any]) -> None:
    before = _count(Document)
    with schema_context("nakatosa"), pytest.raises(MeetingInvalid):
        meetings.upload_document(actor=people["organiser"], meeting_id=meeting.pk, upload=pdf(), agenda_item_id=999999)
    assert _count(Document) == before


def test_only_the_organiser_uploads(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("shimanto"), pytest.raises(NotMeetingOrganiser):
        meetings.upload_document(actor=people["shimanto"], meeting_id=meeting.pk, upload=pdf())


@pytest.fixture
def document(meeting: Meeting, people: dict[str, Any]) -> Document:
    with schema_context("nakatosa"):
        item = meetings.add_agenda_item(actor=people["organiser"], meeting_id=meeting.pk, title="議事")
        return meetings.upload_document(
            actor=people["organiser"], meeting_id=meeting.pk, upload=pdf(), agenda_item_id=item.pk
        )


def test_a_participant_reads_the_pdf_inline(meeting: Meeting, document: Document, client_for: Any) -> None:
    response = client_for("yamamoto", "shimanto").get(
        reverse("groupware:meetings:document_pdf", args=[meeting.pk, document.pk])
    )
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == PDF


def test_the_pdf_may_be_framed_by_the_site_only(meeting: Meeting, document: Document, client_for: Any) -> None:
    response = client_for("yamamoto", "shimanto").get(
        reverse("groupware:meetings:document_pdf", args=[meeting.pk, document.pk])
    )
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_the_viewer_page_frames_the_pdf(meeting: Meeting, document: Document, client_for: Any) -> None:
    response = client_for("yamamoto", "shimanto").get(
        reverse("groupware:meetings:document", args=[meeting.pk, document.pk])
    )
    pdf_url = reverse("groupware:meetings:document_pdf", args=[meeting.pk, document.pk])
    assert f'<iframe class="rr-preview mt-viewer" src="{pdf_url}"' in response.content.decode()


def test_every_read_of_a_document_is_audited(meeting: Meeting, document: Document, people: dict[str, Any]) -> None:
    with schema_context("shimanto"):
        selectors.open_document(actor=people["shimanto"], meeting_id=meeting.pk, document_id=document.pk)[1].close()
    with schema_context("council"):
        reads = AuditEvent.objects.filter(action="meetings.document_read", actor_id=people["shimanto"].pk)
        assert reads.count() == 1


def test_a_non_participant_cannot_read_a_document(meeting: Meeting, document: Document, people: Any) -> None:
    with schema_context("shimanto"), pytest.raises(DocumentNotFound):
        selectors.open_document(actor=people["outsider"], meeting_id=meeting.pk, document_id=document.pk)


def test_a_document_is_read_only_through_its_meeting(
    meeting: Meeting, document: Document, people: dict[str, Any]
) -> None:
    with schema_context("nakatosa"):
        other = meetings.create_meeting(
            actor=people["shimanto"], title="別の会議", starts_at=START, ends_at=START + timedelta(hours=1)
        )
    with schema_context("shimanto"), pytest.raises(DocumentNotFound):
        selectors.open_document(actor=people["shimanto"], meeting_id=other.pk, document_id=document.pk)


# --- attendance -----------------------------------------------------------------------------------------------


def test_the_organiser_records_attendance(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("nakatosa"):
        meetings.record_attendance(
            actor=people["organiser"], meeting_id=meeting.pk,
            attendance={people["shimanto"].pk: "online", people["teacher"].pk: "absent"},
        )  # fmt: skip
    with schema_context("council"):
        row = Participant.objects.get(meeting=meeting, person_id=people["shimanto"].pk)
    assert row.attendance == "online"


def test_attendance_of_a_stranger_is_refused(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("nakatosa"), pytest.raises(ParticipantUnknown):
        meetings.record_attendance(
            actor=people["organiser"], meeting_id=meeting.pk,
            attendance={people["shimanto"].pk: "present", people["outsider"].pk: "present"},
        )  # fmt: skip
    with schema_context("council"):
        assert Participant.objects.get(meeting=meeting, person_id=people["shimanto"].pk).attendance == ""


def test_an_unknown_attendance_value_is_refused(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("nakatosa"), pytest.raises(MeetingInvalid):
        meetings.record_attendance(
            actor=people["organiser"], meeting_id=meeting.pk, attendance={people["shimanto"].pk: "maybe"}
        )


def test_only_the_organiser_records_attendance(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("shimanto"), pytest.raises(PermissionDenied):
        meetings.record_attendance(
            actor=people["shimanto"], meeting_id=meeting.pk, attendance={people["shimanto"].pk: "present"}
        )


# --- minutes --------------------------------------------------------------------------------------------------


def test_a_participant_drafts_and_the_organiser_confirms(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("shimanto"):
        draft = minutes.save_draft(actor=people["shimanto"], meeting_id=meeting.pk, body="1 開会")
    with schema_context("nakatosa"):
        confirmed = minutes.confirm(actor=people["organiser"], meeting_id=meeting.pk, version=draft.version)
    assert confirmed.state == MinutesState.CONFIRMED


def test_only_the_organiser_confirms(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("shimanto"):
        draft = minutes.save_draft(actor=people["shimanto"], meeting_id=meeting.pk, body="1 開会")
        with pytest.raises(NotMeetingOrganiser):
            minutes.confirm(actor=people["shimanto"], meeting_id=meeting.pk, version=draft.version)


def test_saving_the_draft_again_updates_it(meeting: Meeting, people: dict[str, Any]) -> None:
    with schema_context("nakatosa"):
        minutes.save_draft(actor=people["organiser"], meeting_id=meeting.pk, body="初稿")
        minutes.save_draft(actor=people["organiser"], meeting_id=meeting.pk, body="第二稿", version=1)
    with schema_context("council"):
        assert list(Minutes.objects.filter(meeting=meeting).values_list("body", flat=True)) == ["第二稿"]


@pytest.fixture
def confirmed(meeting: Meeting, people: dict[str, Any]) -> Minutes:
    with schema_context("nakatosa"):
        draft = minutes.save_draft(actor=people["organiser"], meeting_id=meeting.pk, body="確定版")
        return minutes.confirm(actor=people["organiser"], meeting_id=meeting.pk, version=draft.version)


def test_a_correction_is_a_new_version(meeting: Meeting, confirmed: Minutes, people: dict[str, Any]) -> None:
    with schema_context("nakatosa"):
        correction = minutes.save_draft(actor=people["organiser"], meeting_id=meeting.pk, body="訂正版")
    assert correction.version == 2


def test_a_correction_leaves_the_confirmed_version(meeting: Meeting, confirmed: Minutes, people: Any) -> None:
    with schema_context("nakatosa"):
        minutes.save_draft(actor=people["organiser"], meeting_id=meeting.pk, body="訂正版")
    with schema_context("council"):
        assert Minutes.objects.get(pk=confirmed.pk).body == "確定版"


def test_confirming_twice_is_refused(meeting: Meeting, confirmed: Minutes, people: dict[str, Any]) -> None:
    with schema_context("nakatosa"), pytest.raises(MinutesConfirmed):
        minutes.confirm(actor=people["organiser"], meeting_id=meeting.pk, version=confirmed.version)


def test_a_draft_confirmed_meanwhile_is_not_overwritten(meeting: Meeting, confirmed: Minutes, people: Any) -> None:
    with schema_context("shimanto"), pytest.raises(MinutesConfirmed):
        minutes.save_draft(actor=people["shimanto"], meeting_id=meeting.pk, body="古い画面から", version=1)
    with schema_context("council"):
        assert Minutes.objects.filter(meeting=meeting).count() == 1


def test_the_database_refuses_to_change_confirmed_minutes(confirmed: Minutes) -> None:
    with schema_context("council"), pytest.raises(IntegrityError), transaction.atomic():
        Minutes.objects.filter(pk=confirmed.pk).update(body="改ざん")


def test_the_organiser_confirms_on_the_page(meeting: Meeting, people: dict[str, Any], client_for: Any) -> None:
    with schema_context("shimanto"):
        minutes.save_draft(actor=people["shimanto"], meeting_id=meeting.pk, body="1 開会")
    client_for("tanaka", "nakatosa").post(
        reverse("groupware:meetings:minutes_confirm", args=[meeting.pk]), {"version": "1"}
    )
    with schema_context("council"):
        assert Minutes.objects.get(meeting=meeting).state == MinutesState.CONFIRMED
