"""Removing a participant from a meeting (docs/domain/meetings.md §2.8): the organiser only, never the organiser
themselves, audited, the removed person told in the notification centre of the town where they work and no longer
able to see the meeting; a refusal writes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django_tenants.utils import schema_context

from common.dates import TOKYO
from common.models import AuditEvent
from groupware.errors import ParticipantUnknown
from groupware.meetings import selectors
from groupware.meetings.errors import (
    MeetingCancelled,
    MeetingNotFound,
    NotMeetingOrganiser,
    OrganiserNotRemovable,
)
from groupware.meetings.models import Meeting, Participant
from groupware.meetings.services import changes, meetings
from groupware.models import Notification
from tests.conftest import person

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 10, 14, 0, tzinfo=TOKYO)


@pytest.fixture
def people(new_person: Any) -> dict[str, Any]:
    return {
        "organiser": person("tanaka"),  # 中土佐町
        "shimanto": new_person("mt_rm_shimanto", shimanto="clerk"),
        "council": person("council_staff"),
        "it_admin": person("it_admin"),
        "outsider": new_person("mt_rm_outsider", nakatosa="clerk"),
    }


@pytest.fixture
def meeting(people: dict[str, Any]) -> Meeting:
    with schema_context("nakatosa"):
        return meetings.create_meeting(
            actor=people["organiser"], title="河川カメラ 更新打合せ", starts_at=START,
            ends_at=START + timedelta(hours=1), place="中土佐町役場",
            participant_ids=[people["shimanto"].pk, people["council"].pk],
        )  # fmt: skip


def _participants(meeting: Meeting) -> set[int]:
    with schema_context("council"):
        return set(Participant.objects.filter(meeting_id=meeting.pk).values_list("person_id", flat=True))


def _removals(meeting: Meeting) -> list[AuditEvent]:
    with schema_context("council"):
        return list(AuditEvent.objects.filter(action="meetings.participant_remove", object_id=str(meeting.pk)))


def _inbox(schema: str, who: Any) -> list[Notification]:
    with schema_context(schema):
        return list(Notification.objects.filter(recipient_id=who.pk, kind="meeting").order_by("pk"))


def test_the_organiser_removes_a_participant_who_is_told_and_loses_the_meeting(
    meeting: Meeting, people: dict[str, Any]
) -> None:
    removed = people["shimanto"]
    changes.remove_participant(actor=people["organiser"], meeting_id=meeting.pk, person_id=removed.pk)
    assert _participants(meeting) == {people["organiser"].pk, people["council"].pk}
    [row] = _removals(meeting)
    assert row.details == {"removed": removed.pk, "attendance": ""}
    assert row.actor_id == people["organiser"].pk
    notice = _inbox("shimanto", removed)[-1]  # after the invitation
    assert "参加者からあなたを外しました" in notice.text
    assert notice.url == reverse("groupware:meetings:list")  # not the meeting page, which is no longer theirs
    assert len(_inbox("council", people["council"])) == 1  # the others hear nothing of it (the invitation only)
    assert selectors.meeting_page(actor=removed, meeting_id=meeting.pk) is None


@pytest.mark.parametrize(
    ("who", "error"),
    [("shimanto", NotMeetingOrganiser), ("outsider", MeetingNotFound), ("it_admin", MeetingNotFound)],
)
def test_only_the_organiser_removes(meeting: Meeting, people: dict[str, Any], who: str, error: type) -> None:
    with pytest.raises(error):
        changes.remove_participant(actor=people[who], meeting_id=meeting.pk, person_id=people["council"].pk)
    assert people["council"].pk in _participants(meeting)
    assert _removals(meeting) == []


def test_the_organiser_cannot_be_removed(meeting: Meeting, people: dict[str, Any]) -> None:
    with pytest.raises(OrganiserNotRemovable):
        changes.remove_participant(actor=people["organiser"], meeting_id=meeting.pk, person_id=people["organiser"].pk)
    assert people["organiser"].pk in _participants(meeting)
    assert _removals(meeting) == []


def test_someone_not_taking_part_is_refused(meeting: Meeting, people: dict[str, Any]) -> None:
    with pytest.raises(ParticipantUnknown):
        changes.remove_participant(actor=people["organiser"], meeting_id=meeting.pk, person_id=people["outsider"].pk)
    assert _removals(meeting) == []
    assert _inbox("nakatosa", people["outsider"]) == []


def test_a_cancelled_meeting_keeps_its_participants(meeting: Meeting, people: dict[str, Any]) -> None:
    changes.cancel_meeting(actor=people["organiser"], meeting_id=meeting.pk, reason="延期")
    with pytest.raises(MeetingCancelled):
        changes.remove_participant(actor=people["organiser"], meeting_id=meeting.pk, person_id=people["council"].pk)
    assert people["council"].pk in _participants(meeting)


def test_the_organiser_removes_on_the_page(meeting: Meeting, people: dict[str, Any], client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    page = client.get(reverse("groupware:meetings:meeting", args=[meeting.pk])).content.decode()
    url = reverse("groupware:meetings:participant_remove", args=[meeting.pk, people["council"].pk])
    assert f'action="{url}"' in page
    own = reverse("groupware:meetings:participant_remove", args=[meeting.pk, people["organiser"].pk])
    assert own not in page  # no button for the organiser
    response = client.post(url, follow=True)
    assert "参加者から外しました" in response.content.decode()
    assert people["council"].pk not in _participants(meeting)
    refused = client.post(own, follow=True)
    assert "主催者は参加者から外せません。" in refused.content.decode()


def test_a_participant_sees_no_remove_button_and_cannot_post_it(
    meeting: Meeting, people: dict[str, Any], client_for: Any
) -> None:
    client = client_for("mt_rm_shimanto", "shimanto")
    url = reverse("groupware:meetings:participant_remove", args=[meeting.pk, people["council"].pk])
    assert url not in client.get(reverse("groupware:meetings:meeting", args=[meeting.pk])).content.decode()
    client.post(url)
    assert people["council"].pk in _participants(meeting)
    assert client_for("mt_rm_outsider", "nakatosa").post(url).status_code == 404
