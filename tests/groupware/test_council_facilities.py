"""Council-shared facilities booked from a town's host (docs/domain/groupware.md §3.5): the booking lives in the
council's schema under its exclusion constraint, audited in both trails; no double booking across towns."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django_tenants.utils import schema_context

from common.dates import TOKYO, local_today
from common.models import AuditEvent
from groupware import selectors
from groupware.errors import BookingClash, FacilityNotFound
from groupware.models import Booking, Facility, FacilityKind
from groupware.services import facilities
from tests.conftest import HOSTS, make_client, person

pytestmark = pytest.mark.django_db


def slot(hour: int) -> tuple[datetime, datetime]:
    day = local_today() + timedelta(days=1)
    start = datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO)
    return start, start + timedelta(hours=1)


@pytest.fixture
def hall(towns: dict[str, Any]) -> Facility:
    with schema_context("council"):
        return facilities.create_facility(actor=person("council_staff"), name="協議会大会議室", kind=FacilityKind.ROOM)


def book_from(schema: str, actor: Any, hall: Facility, hour: int) -> Booking:
    start, end = slot(hour)
    with schema_context(schema):
        return facilities.book_council_facility(
            actor=actor, facility_id=hall.pk, starts_at=start, ends_at=end, purpose="合同会議"
        )


def test_a_town_clerk_books_a_council_facility_into_the_council_schema(hall: Facility) -> None:
    booking = book_from("nakatosa", person("tanaka"), hall, 10)
    with schema_context("council"):
        assert Booking.objects.filter(pk=booking.pk, facility_id=hall.pk, booked_by_id=person("tanaka").pk).exists()


def test_the_booking_is_audited_in_the_council_and_the_town_trail(hall: Facility) -> None:
    booking = book_from("nakatosa", person("tanaka"), hall, 10)
    with schema_context("council"):
        assert AuditEvent.objects.filter(action="groupware.booking_create", object_id=str(booking.pk)).exists()
    with schema_context("nakatosa"):
        assert AuditEvent.objects.filter(action="groupware.council_booking_create", object_id=str(booking.pk)).exists()


def test_the_other_towns_clerk_cannot_take_the_same_slot(hall: Facility, new_person: Any) -> None:
    book_from("nakatosa", person("tanaka"), hall, 10)
    with pytest.raises(BookingClash):
        book_from("shimanto", new_person("cf_shimanto", shimanto="clerk"), hall, 10)


def test_a_council_clerk_cannot_take_a_slot_a_town_booked(hall: Facility) -> None:
    book_from("nakatosa", person("tanaka"), hall, 10)
    start, end = slot(10)
    with schema_context("council"), pytest.raises(BookingClash):
        facilities.book_facility(
            actor=person("council_staff"), facility_id=hall.pk, starts_at=start, ends_at=end, purpose="会議"
        )


def test_a_teacher_alone_cannot_book_a_council_facility(hall: Facility, new_person: Any) -> None:
    with pytest.raises(FacilityNotFound):
        book_from("nakatosa", new_person("cf_teacher", nakatosa="teacher"), hall, 10)


def test_a_refused_booking_leaves_the_town_on_its_own_schema(hall: Facility) -> None:
    book_from("nakatosa", person("tanaka"), hall, 10)
    with schema_context("nakatosa"):
        with pytest.raises(BookingClash):
            facilities.book_council_facility(
                actor=person("yamamoto"), facility_id=hall.pk, starts_at=slot(10)[0], ends_at=slot(10)[1], purpose="x"
            )
        assert connection.schema_name == "nakatosa"


def test_the_town_page_lists_and_books_the_council_facility(hall: Facility) -> None:
    client = make_client(HOSTS["nakatosa"], person("tanaka"))
    day = (local_today() + timedelta(days=1)).isoformat()
    listing = client.get(reverse("groupware:facilities"), {"date": day}).content.decode()
    assert f'data-council-facility="{hall.pk}"' in listing
    start, end = slot(14)
    response = client.post(
        reverse("groupware:council_book", args=[hall.pk]),
        {"starts_at": start.strftime("%Y-%m-%dT%H:%M"), "ends_at": end.strftime("%Y-%m-%dT%H:%M"), "purpose": "研修"},
    )
    assert response.status_code == 302
    with schema_context("council"):
        assert Booking.objects.filter(facility_id=hall.pk, purpose="研修").exists()


def test_the_council_host_offers_no_council_section(hall: Facility) -> None:
    with schema_context("council"):
        assert selectors.council_facilities_for(actor=person("council_staff"), day=local_today()) == []
