"""The groupware pages end to end: portal, calendars, entries, the feed, facility booking; teachers' reach."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django_tenants.utils import schema_context

from common.dates import TOKYO, local_today
from groupware.models import Booking, Event, FacilityKind
from groupware.services import facilities, schedule
from tenants.access import MODULES
from tenants.models import Role
from tests.conftest import person

pytestmark = pytest.mark.django_db


def tomorrow(hour: int) -> datetime:
    day = local_today() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO)


def test_every_page_of_the_module_opens_for_a_clerk(client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    names = ("home", "day", "week", "month", "group_week", "free_slots", "feed", "event_new", "facilities",
             "pending_bookings", "notifications", "requests", "delegations", "form_define", "notices", "notice_new",
             "organisation", "transfers", "cabinet", "search")  # fmt: skip
    for name in names:
        response = client.get(reverse(f"groupware:{name}"))
        assert response.status_code == 200, name


def test_an_entry_made_on_the_page_shows_in_the_week(client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    start = tomorrow(9)
    response = client.post(
        reverse("groupware:event_new"),
        {
            "title": "予算ヒアリング",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "repeat": "FREQ=WEEKLY",
            "participants": [person("yamamoto").pk],
        },
    )
    assert response.status_code == 302
    week = client.get(response["Location"])
    assert "予算ヒアリング" in week.content.decode()


def test_an_end_before_the_start_shows_the_service_message(client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    start = tomorrow(9)
    response = client.post(
        reverse("groupware:event_new"),
        {
            "title": "逆転",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert "終了日時は開始日時より後にしてください。" in response.content.decode()
    with schema_context("nakatosa"):
        assert not Event.objects.filter(title="逆転").exists()


def test_the_feed_serves_the_owner_s_entries_until_revoked(client_for: Any) -> None:
    tanaka = person("tanaka")
    with schema_context("nakatosa"):
        schedule.create_event(actor=tanaka, title="定例会", starts_at=tomorrow(10), ends_at=tomorrow(11))
        token = schedule.issue_feed(actor=tanaka)
    anonymous = client_for(None, "nakatosa")
    url = reverse("calendar_feed:feed", args=[token])
    body = anonymous.get(url).content.decode()
    assert "SUMMARY:定例会" in body
    client_for("tanaka", "nakatosa").post(reverse("groupware:feed"), {"action": "revoke"})
    assert "定例会" not in anonymous.get(url).content.decode()


def test_the_export_is_icalendar_with_the_rule(client_for: Any) -> None:
    tanaka = person("tanaka")
    with schema_context("nakatosa"):
        schedule.create_event(
            actor=tanaka, title="朝礼", starts_at=tomorrow(8), ends_at=tomorrow(9), rrule="FREQ=WEEKLY;COUNT=4"
        )
    response = client_for("tanaka", "nakatosa").get(reverse("groupware:export"))
    assert response["Content-Type"].startswith("text/calendar")
    assert "RRULE:FREQ=WEEKLY;COUNT=4" in response.content.decode()


def test_a_clashing_booking_on_the_page_is_refused(client_for: Any) -> None:
    with schema_context("nakatosa"):
        room = facilities.create_facility(actor=person("it_admin"), name="第3会議室", kind=FacilityKind.ROOM)
        facilities.book_facility(
            actor=person("yamamoto"), facility_id=room.pk, starts_at=tomorrow(10), ends_at=tomorrow(12), purpose="研修"
        )
    response = client_for("tanaka", "nakatosa").post(
        reverse("groupware:book", args=[room.pk]),
        {
            "starts_at": tomorrow(11).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": tomorrow(13).strftime("%Y-%m-%dT%H:%M"),
            "purpose": "打合せ",
        },
    )
    assert "その時間帯は既に予約されています" in response.content.decode()
    with schema_context("nakatosa"):
        assert Booking.objects.filter(facility=room).count() == 1


def test_teachers_use_the_groupware_and_never_reach_personal_data_modules(client_for: Any) -> None:
    assert Role.TEACHER in MODULES["groupware"].roles
    assert Role.VENDOR not in MODULES["groupware"].roles
    # finance is left out on purpose: a teacher reaches only their own school's budget page there
    # (docs/domain/finance.md; finance.views.staff_page refuses the rest).
    for key in ("resident_records", "koseki", "payroll", "water_billing"):
        if key in MODULES:
            assert Role.TEACHER not in MODULES[key].roles, key
    teacher = client_for("sato", "shimanto")
    assert teacher.get(reverse("groupware:home")).status_code == 200
    assert teacher.get(reverse("resident_records:search")).status_code == 403
    assert teacher.get(reverse("koseki:search")).status_code == 403
