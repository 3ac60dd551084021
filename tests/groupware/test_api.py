"""The groupware API: entries (with private ones masked), facilities, bookings (409 on a clash)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django_tenants.utils import schema_context

from common.dates import TOKYO, local_today
from groupware.models import Booking, FacilityKind
from groupware.services import facilities, schedule
from tests.conftest import person

pytestmark = pytest.mark.django_db


def tomorrow(hour: int) -> datetime:
    day = local_today() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO)


def test_entries_of_others_come_masked_when_private(client_for: Any) -> None:
    yamamoto = person("yamamoto")
    with schema_context("nakatosa"):
        schedule.create_event(
            actor=yamamoto, title="通院", starts_at=tomorrow(9), ends_at=tomorrow(10), is_private=True
        )
    response = client_for("tanaka", "nakatosa").get(
        "/api/v1/groupware/events/", {"start": tomorrow(0).date().isoformat(), "person": [yamamoto.pk]}
    )
    assert response.status_code == 200
    assert [row["title"] for row in response.json()] == ["予定あり"]


def test_an_entry_is_recorded_through_the_api(client_for: Any) -> None:
    response = client_for("tanaka", "nakatosa").post(
        "/api/v1/groupware/events/",
        {
            "title": "API会議",
            "starts_at": tomorrow(14).isoformat(),
            "ends_at": tomorrow(15).isoformat(),
            "rrule": "FREQ=DAILY;COUNT=2",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["rrule"] == "FREQ=DAILY;COUNT=2"


def test_an_end_before_the_start_is_a_400_with_the_code(client_for: Any) -> None:
    response = client_for("tanaka", "nakatosa").post(
        "/api/v1/groupware/events/",
        {"title": "x", "starts_at": tomorrow(15).isoformat(), "ends_at": tomorrow(14).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "period_invalid"


def test_a_clashing_booking_is_a_409(client_for: Any) -> None:
    with schema_context("nakatosa"):
        room = facilities.create_facility(actor=person("it_admin"), name="API会議室", kind=FacilityKind.ROOM)
    client = client_for("tanaka", "nakatosa")
    body = {"facility_id": room.pk, "starts_at": tomorrow(10).isoformat(), "ends_at": tomorrow(11).isoformat(),
            "purpose": "打合せ"}  # fmt: skip
    first = client.post("/api/v1/groupware/bookings/", body, content_type="application/json")
    second = client.post("/api/v1/groupware/bookings/", body, content_type="application/json")
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["code"] == "booking_clash"
    listed = client.get("/api/v1/groupware/bookings/", {"start": tomorrow(0).date().isoformat()})
    assert [row["id"] for row in listed.json()] == [first.json()["id"]]
    with schema_context("nakatosa"):
        assert Booking.objects.filter(facility=room).count() == 1


def test_facilities_list_only_what_the_person_may_book(client_for: Any) -> None:
    with schema_context("shimanto"):
        facilities.create_facility(actor=person("it_admin"), name="町民会議室", kind=FacilityKind.ROOM)
    names = [row["name"] for row in client_for("sato", "shimanto").get("/api/v1/groupware/facilities/").json()]
    assert "町民会議室" not in names
