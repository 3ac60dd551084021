"""The meetings' admin (docs/domain/meetings.md §9): the council's IT staff on the council host read meetings and
may only invite participants or cancel through the audited services; nothing is added, edited or deleted."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django_tenants.utils import schema_context

from common.dates import TOKYO
from common.models import AuditEvent
from groupware.meetings.models import Meeting, Participant
from groupware.meetings.services import meetings
from groupware.models import Notification
from tests.conftest import HOSTS, make_client, person

pytestmark = pytest.mark.django_db
START = datetime(2026, 12, 10, 14, 0, tzinfo=TOKYO)
URL = "/admin/groupware_meetings/meeting/"


@pytest.fixture
def meeting() -> Meeting:
    with schema_context("nakatosa"):
        return meetings.create_meeting(
            actor=person("tanaka"), title="管理画面の会議", starts_at=START, ends_at=START + timedelta(hours=1),
            participant_ids=[person("yamamoto").pk],
        )  # fmt: skip


def _council_admin() -> Any:
    return make_client(HOSTS["council"], person("it_admin"))


def _meeting(pk: int) -> Meeting:
    with schema_context("council"):
        return Meeting.objects.get(pk=pk)


def test_the_council_it_staff_list_and_read_meetings(meeting: Meeting) -> None:
    client = _council_admin()
    listed = client.get(URL)
    assert listed.status_code == 200
    assert meeting.pk in {m.pk for m in listed.context["cl"].result_list}
    page = client.get(f"{URL}{meeting.pk}/change/")
    assert page.status_code == 200
    assert "山本 健太" in page.content.decode()


def test_no_meeting_is_added_or_deleted_in_the_admin(meeting: Meeting) -> None:
    client = _council_admin()
    assert client.get(f"{URL}add/").status_code == 403
    assert client.post(f"{URL}{meeting.pk}/delete/", {"post": "yes"}).status_code == 403
    assert _meeting(meeting.pk).title == "管理画面の会議"


def test_a_field_posted_in_the_admin_is_not_changed(meeting: Meeting) -> None:
    response = _council_admin().post(f"{URL}{meeting.pk}/change/", {"title": "書き換え", "reason": "",
                                                                     "add_usernames": ""})  # fmt: skip
    assert response.status_code == 200  # the form refuses: nothing to do
    assert _meeting(meeting.pk).title == "管理画面の会議"


def _post(client: Any, pk: int, **data: str) -> Any:
    inlines: dict[str, str] = {}
    for prefix in ("participants", "agenda", "documents", "minutes"):
        inlines |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return client.post(f"{URL}{pk}/change/", {"add_usernames": "", "reason": "", **inlines, **data})


def test_cancelling_in_the_admin_goes_through_the_audited_service(meeting: Meeting) -> None:
    response = _post(_council_admin(), meeting.pk, reason="主催者の異動")
    assert response.status_code == 302, response.content.decode()[:3000]
    cancelled = _meeting(meeting.pk)
    assert cancelled.cancel_reason == "主催者の異動"
    assert cancelled.cancelled_by_name == "岡林 誠"
    with schema_context("council"):
        [row] = AuditEvent.objects.filter(action="meetings.cancel", object_id=str(meeting.pk))
        assert row.details["by"] == "it_admin"
        assert not AuditEvent.objects.filter(action__startswith="admin.", object_id=str(meeting.pk)).exists()
    with schema_context("nakatosa"):
        assert Notification.objects.filter(recipient_id=person("tanaka").pk, kind="meeting").exists()
    # a cancelled meeting is read-only, in the admin too
    assert _post(_council_admin(), meeting.pk, add_usernames="sato").status_code == 403


def test_participants_are_invited_by_staff_id_in_the_admin(meeting: Meeting) -> None:
    assert _post(_council_admin(), meeting.pk, add_usernames="sato").status_code == 302
    with schema_context("council"):
        assert Participant.objects.filter(meeting_id=meeting.pk, person_id=person("sato").pk).exists()
    refused = _post(_council_admin(), meeting.pk, add_usernames="vendor nobody-here")
    assert refused.status_code == 200
    assert "nobody-here" in refused.content.decode()
    assert _post(_council_admin(), meeting.pk, add_usernames="vendor").status_code == 200  # a vendor never


def test_a_town_host_shows_no_meetings(meeting: Meeting) -> None:
    client = make_client(HOSTS["nakatosa"], person("it_admin"))
    assert client.get(URL).status_code in {302, 403, 404}
    assert client.get(f"{URL}{meeting.pk}/change/").status_code in {302, 403, 404}


def test_a_clerk_of_the_council_does_not_reach_the_admin(meeting: Meeting) -> None:
    assert make_client(HOSTS["council"], person("council_staff")).get(URL).status_code in {302, 403}
