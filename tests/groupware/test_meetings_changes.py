"""Changes to a meeting after it was recorded and its notifications (docs/domain/meetings.md §2.4–§2.6, §8):
participants added, the date moved, the meeting cancelled (中止: still visible, read-only), each audited and
announced in the notification centre of the town where each participant works; bad input writes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tenants.utils import schema_context

from common.dates import TOKYO
from common.models import AuditEvent
from groupware.errors import ParticipantUnknown, PeriodInvalid
from groupware.meetings import selectors
from groupware.meetings.errors import MeetingCancelled, MeetingInvalid, MeetingNotFound, NotMeetingOrganiser
from groupware.meetings.models import Meeting, Participant
from groupware.meetings.services import changes, meetings, minutes, web_meetings
from groupware.models import Notification
from groupware.services.notifications import home_schemas
from tests.conftest import person

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 10, 14, 0, tzinfo=TOKYO)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def people(new_person: Any) -> dict[str, Any]:
    return {
        "organiser": person("tanaka"),  # 中土佐町
        "shimanto": new_person("mt_ch_shimanto", shimanto="clerk"),
        "teacher": person("sato"),  # 四万十町の教員
        "council": person("council_staff"),
        "it_admin": person("it_admin"),  # the council's 情報システム担当 (and both towns')
        "outsider": new_person("mt_ch_outsider", nakatosa="clerk"),
    }


@pytest.fixture
def meeting(people: dict[str, Any]) -> Meeting:
    with schema_context("nakatosa"):
        return meetings.create_meeting(
            actor=people["organiser"], title="防災無線 打合せ", starts_at=START, ends_at=START + timedelta(hours=2),
            place="中土佐町役場", participant_ids=[people["shimanto"].pk, people["council"].pk],
        )  # fmt: skip


def _inbox(schema: str, who: Any) -> list[Notification]:
    with schema_context(schema):
        return list(Notification.objects.filter(recipient_id=who.pk, kind="meeting").order_by("pk"))


def _audited(action: str, meeting: Meeting) -> list[AuditEvent]:
    with schema_context("council"):
        return list(AuditEvent.objects.filter(action=action, object_id=str(meeting.pk)))


def _participants(meeting: Meeting) -> set[int]:
    with schema_context("council"):
        return set(Participant.objects.filter(meeting_id=meeting.pk).values_list("person_id", flat=True))


# --- notifications --------------------------------------------------------------------------------------------


def test_the_invited_are_notified_where_they_work(meeting: Meeting, people: dict[str, Any]) -> None:
    [shimanto] = _inbox("shimanto", people["shimanto"])
    assert "防災無線 打合せ" in shimanto.text
    assert "12月10日 14:00" in shimanto.text
    assert shimanto.url == reverse("groupware:meetings:meeting", args=[meeting.pk])
    assert len(_inbox("council", people["council"])) == 1
    assert _inbox("nakatosa", people["organiser"]) == []  # the organiser is not told of their own meeting


def test_a_town_comes_before_the_council_for_the_notification_centre(people: dict[str, Any]) -> None:
    # it_admin works in both towns and the council: their centre is 中土佐町's (the lower 団体コード), not the
    # council's ("council" sorts before "town": the chat's mentions went to the council's centre).
    assert home_schemas([people["it_admin"].pk, people["council"].pk, people["shimanto"].pk]) == {
        people["it_admin"].pk: "nakatosa",
        people["council"].pk: "council",
        people["shimanto"].pk: "shimanto",
    }


def test_new_materials_are_announced_to_the_participants(meeting: Meeting, people: dict[str, Any]) -> None:
    upload = SimpleUploadedFile("資料1.pdf", PDF, content_type="application/pdf")
    meetings.upload_document(actor=people["organiser"], meeting_id=meeting.pk, upload=upload)
    assert "会議資料「資料1.pdf」" in _inbox("shimanto", people["shimanto"])[-1].text
    assert len(_inbox("council", people["council"])) == 2
    assert _inbox("nakatosa", people["organiser"]) == []


# --- participants added -------------------------------------------------------------------------------------


def test_the_organiser_adds_a_participant_who_is_invited(meeting: Meeting, people: dict[str, Any]) -> None:
    changes.add_participants(actor=people["organiser"], meeting_id=meeting.pk, participant_ids=[people["teacher"].pk])
    assert people["teacher"].pk in _participants(meeting)
    assert "招待されました" in _inbox("shimanto", people["teacher"])[0].text
    assert len(_inbox("shimanto", people["shimanto"])) == 1  # those already invited hear nothing new
    [row] = _audited("meetings.participants_add", meeting)
    assert row.details == {"added": [people["teacher"].pk], "by": "organiser"}
    assert selectors.meeting_page(actor=people["teacher"], meeting_id=meeting.pk) is not None


def test_someone_already_taking_part_is_refused(meeting: Meeting, people: dict[str, Any]) -> None:
    with pytest.raises(MeetingInvalid):
        changes.add_participants(
            actor=people["organiser"], meeting_id=meeting.pk, participant_ids=[people["teacher"].pk,
                                                                                people["shimanto"].pk],
        )  # fmt: skip
    assert people["teacher"].pk not in _participants(meeting)
    assert _inbox("shimanto", people["teacher"]) == []


def test_a_vendor_is_never_added(meeting: Meeting, people: dict[str, Any]) -> None:
    with pytest.raises(ParticipantUnknown):
        changes.add_participants(
            actor=people["organiser"], meeting_id=meeting.pk, participant_ids=[person("vendor").pk]
        )
    assert person("vendor").pk not in _participants(meeting)


def test_a_participant_who_does_not_organise_cannot_add(meeting: Meeting, people: dict[str, Any]) -> None:
    with pytest.raises(NotMeetingOrganiser):
        changes.add_participants(
            actor=people["shimanto"], meeting_id=meeting.pk, participant_ids=[people["teacher"].pk]
        )
    with pytest.raises(MeetingNotFound):
        changes.add_participants(
            actor=people["outsider"], meeting_id=meeting.pk, participant_ids=[people["teacher"].pk]
        )
    assert people["teacher"].pk not in _participants(meeting)


# --- rescheduled ---------------------------------------------------------------------------------------------


def test_moving_the_meeting_notifies_everyone_else(meeting: Meeting, people: dict[str, Any]) -> None:
    later = START + timedelta(days=1)
    changes.reschedule_meeting(
        actor=people["organiser"], meeting_id=meeting.pk, starts_at=later, ends_at=later + timedelta(hours=1),
        place="四万十町役場",
    )  # fmt: skip
    with schema_context("council"):
        assert Meeting.objects.get(pk=meeting.pk).place == "四万十町役場"
    text = _inbox("shimanto", people["shimanto"])[-1].text
    assert "12月10日 14:00 → 12月11日 14:00" in text
    assert "四万十町役場" in text
    [row] = _audited("meetings.reschedule", meeting)
    assert row.details["to"][2] == "四万十町役場"


def test_a_bad_or_empty_move_writes_nothing(meeting: Meeting, people: dict[str, Any]) -> None:
    with pytest.raises(PeriodInvalid):
        changes.reschedule_meeting(actor=people["organiser"], meeting_id=meeting.pk, starts_at=START, ends_at=START)
    with pytest.raises(MeetingInvalid):
        changes.reschedule_meeting(
            actor=people["organiser"], meeting_id=meeting.pk, starts_at=START, ends_at=START + timedelta(hours=2)
        )
    with pytest.raises(NotMeetingOrganiser):
        changes.reschedule_meeting(
            actor=people["shimanto"], meeting_id=meeting.pk, starts_at=START, ends_at=START + timedelta(hours=3)
        )
    assert _audited("meetings.reschedule", meeting) == []
    assert len(_inbox("shimanto", people["shimanto"])) == 1


# --- cancelled -------------------------------------------------------------------------------------------------


def test_a_cancelled_meeting_stays_visible_marked_and_everyone_is_told(meeting: Meeting, people: Any) -> None:
    changes.cancel_meeting(actor=people["organiser"], meeting_id=meeting.pk, reason="台風接近のため")
    [listed] = [m for m in selectors.meetings_for(actor=people["shimanto"]) if m.pk == meeting.pk]
    assert listed.is_cancelled
    assert listed.cancel_reason == "台風接近のため"
    assert "中止になりました" in _inbox("shimanto", people["shimanto"])[-1].text
    assert "台風接近のため" in _inbox("council", people["council"])[-1].text
    [row] = _audited("meetings.cancel", meeting)
    assert row.details == {"reason": "台風接近のため", "by": "organiser"}


def test_a_cancellation_needs_a_reason(meeting: Meeting, people: dict[str, Any]) -> None:
    with pytest.raises(MeetingInvalid):
        changes.cancel_meeting(actor=people["organiser"], meeting_id=meeting.pk, reason="  ")
    with schema_context("council"):
        assert not Meeting.objects.get(pk=meeting.pk).is_cancelled


def test_only_the_organiser_or_the_councils_it_staff_cancel(meeting: Meeting, people: dict[str, Any]) -> None:
    with pytest.raises(NotMeetingOrganiser):
        changes.cancel_meeting(actor=people["shimanto"], meeting_id=meeting.pk, reason="都合")
    with pytest.raises(MeetingNotFound):
        changes.cancel_meeting(actor=people["outsider"], meeting_id=meeting.pk, reason="都合")
    changes.cancel_meeting(actor=people["it_admin"], meeting_id=meeting.pk, reason="主催者の退職")
    [row] = _audited("meetings.cancel", meeting)
    assert row.details["by"] == "it_admin"
    assert "主催者の退職" in _inbox("nakatosa", people["organiser"])[-1].text  # the organiser is told too


def test_a_cancelled_meeting_is_read_only(meeting: Meeting, people: dict[str, Any]) -> None:
    organiser = people["organiser"]
    changes.cancel_meeting(actor=organiser, meeting_id=meeting.pk, reason="中止")
    upload = SimpleUploadedFile("資料.pdf", PDF, content_type="application/pdf")
    refused = [
        lambda: changes.cancel_meeting(actor=organiser, meeting_id=meeting.pk, reason="もう一度"),
        lambda: changes.add_participants(
            actor=organiser, meeting_id=meeting.pk, participant_ids=[people["teacher"].pk]
        ),
        lambda: changes.reschedule_meeting(
            actor=organiser, meeting_id=meeting.pk, starts_at=START, ends_at=START + timedelta(hours=3)
        ),
        lambda: meetings.add_agenda_item(actor=organiser, meeting_id=meeting.pk, title="議題"),
        lambda: meetings.upload_document(actor=organiser, meeting_id=meeting.pk, upload=upload),
        lambda: meetings.record_attendance(actor=organiser, meeting_id=meeting.pk, attendance={}),
        lambda: minutes.save_draft(actor=people["shimanto"], meeting_id=meeting.pk, body="案"),
        lambda: web_meetings.for_meeting(actor=organiser, meeting_id=meeting.pk),
    ]
    for action in refused:
        with pytest.raises(MeetingCancelled):
            action()
    assert len(_audited("meetings.cancel", meeting)) == 1


# --- pages ----------------------------------------------------------------------------------------------------


def test_the_organiser_adds_moves_and_cancels_on_the_page(meeting: Meeting, people: Any, client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    page = client.get(reverse("groupware:meetings:meeting", args=[meeting.pk]))
    assert "会議を中止する" in page.content.decode()
    assert people["teacher"].pk in dict(page.context["add_form"].fields["participants"].choices)
    url = reverse("groupware:meetings:participants", args=[meeting.pk])
    assert client.post(url, {"participants": [people["teacher"].pk]}).status_code == 302
    assert people["teacher"].pk in _participants(meeting)
    url = reverse("groupware:meetings:reschedule", args=[meeting.pk])
    moved = {"starts_at": "2026-12-11 10:00", "ends_at": "2026-12-11 11:00", "place": "協議会会議室"}
    assert client.post(url, moved).status_code == 302
    url = reverse("groupware:meetings:cancel", args=[meeting.pk])
    assert client.post(url, {"reason": "議題がなくなったため"}).status_code == 302
    page = client.get(reverse("groupware:meetings:meeting", args=[meeting.pk])).content.decode()
    assert 'data-meeting-state="cancelled"' in page
    assert "議題がなくなったため" in page
    assert "会議を中止する" not in page
    assert "議題を追加する" not in page


def test_a_participant_sees_no_organiser_forms_and_cannot_post_them(meeting: Meeting, client_for: Any) -> None:
    client = client_for("mt_ch_shimanto", "shimanto")
    assert "会議を中止する" not in client.get(reverse("groupware:meetings:meeting", args=[meeting.pk])).content.decode()
    client.post(reverse("groupware:meetings:cancel", args=[meeting.pk]), {"reason": "勝手に"})
    with schema_context("council"):
        assert not Meeting.objects.get(pk=meeting.pk).is_cancelled


def test_a_stranger_posting_a_cancellation_gets_404(meeting: Meeting, client_for: Any) -> None:
    client = client_for("mt_ch_outsider", "nakatosa")
    assert client.post(reverse("groupware:meetings:cancel", args=[meeting.pk]), {"reason": "x"}).status_code == 404


def test_the_api_shows_the_cancellation(meeting: Meeting, people: dict[str, Any], client_for: Any) -> None:
    changes.cancel_meeting(actor=people["organiser"], meeting_id=meeting.pk, reason="延期")
    data = client_for("tanaka", "nakatosa").get(f"/api/v1/groupware/meetings/{meeting.pk}/").json()
    assert data["cancel_reason"] == "延期"
    assert data["cancelled_at"]
