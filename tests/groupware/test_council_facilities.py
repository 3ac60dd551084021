"""Council-shared facilities booked from a town's host (docs/domain/groupware.md §3.5): the booking lives in the
council's schema under its exclusion constraint, audited in both trails; no double booking across towns."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django_tenants.utils import schema_context

from common.dates import TOKYO, local_today
from common.models import AuditEvent
from groupware import selectors
from groupware.errors import BookingClash, BookingEnded, BookingNotFound, FacilityNotFound, NotYourBooking
from groupware.models import Booking, BookingStatus, Facility, FacilityKind, Notification
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


# --- cancelling from the town's host (docs/domain/groupware.md §3.6) ------------------------------------------


def cancel_from(schema: str, actor: Any, booking: Booking) -> Booking:
    with schema_context(schema):
        return facilities.cancel_council_booking(actor=actor, booking_id=booking.pk)


def status_of(booking: Booking) -> str:
    with schema_context("council"):
        return Booking.objects.get(pk=booking.pk).status


def test_the_booker_cancels_from_the_town_host_and_the_slot_is_free(hall: Facility, new_person: Any) -> None:
    booking = book_from("nakatosa", person("tanaka"), hall, 10)
    cancel_from("nakatosa", person("tanaka"), booking)
    assert status_of(booking) == BookingStatus.CANCELLED
    again = book_from("shimanto", new_person("cf_again", shimanto="clerk"), hall, 10)  # no BookingClash
    assert status_of(again) == BookingStatus.CONFIRMED


def test_the_cancellation_is_audited_in_both_trails(hall: Facility) -> None:
    booking = book_from("nakatosa", person("tanaka"), hall, 10)
    cancel_from("nakatosa", person("tanaka"), booking)
    with schema_context("council"):
        row = AuditEvent.objects.get(action="groupware.booking_cancel", object_id=str(booking.pk))
        assert row.details == {"from_town": "nakatosa"}
    with schema_context("nakatosa"):
        assert AuditEvent.objects.filter(action="groupware.council_booking_cancel", object_id=str(booking.pk)).exists()


def test_the_facility_manager_may_cancel_from_a_town_host(hall: Facility, new_person: Any) -> None:
    manager = new_person("cf_manager", nakatosa="clerk", council="council_staff")
    with schema_context("council"):
        Facility.objects.filter(pk=hall.pk).update(manager_id=manager.pk, manager_name=manager.full_name)
    booking = book_from("nakatosa", person("tanaka"), hall, 10)
    cancel_from("nakatosa", manager, booking)
    assert status_of(booking) == BookingStatus.CANCELLED


def test_someone_elses_booking_is_refused_and_nothing_changes(hall: Facility) -> None:
    booking = book_from("nakatosa", person("tanaka"), hall, 10)
    with pytest.raises(NotYourBooking) as refused:
        cancel_from("nakatosa", person("yamamoto"), booking)
    assert refused.value.message == "この予約を取り消せるのは、予約した本人と施設の管理者だけです。"
    assert status_of(booking) == BookingStatus.CONFIRMED
    with schema_context("council"):
        assert not AuditEvent.objects.filter(action="groupware.booking_cancel").exists()
    with schema_context("nakatosa"):
        assert not AuditEvent.objects.filter(action="groupware.council_booking_cancel").exists()


def test_an_ended_booking_cannot_be_cancelled(hall: Facility) -> None:
    booking = book_from("nakatosa", person("tanaka"), hall, 10)
    with time_machine.travel(booking.ends_at + timedelta(minutes=1)), pytest.raises(BookingEnded) as refused:
        cancel_from("nakatosa", person("tanaka"), booking)
    assert refused.value.message == "終了した予約は取り消せません。"
    assert status_of(booking) == BookingStatus.CONFIRMED


def test_a_teacher_alone_cannot_cancel_and_a_town_booking_is_not_a_council_one(hall: Facility, new_person: Any) -> None:
    teacher = new_person("cf_teacher2", nakatosa="teacher")
    booking = book_from("nakatosa", person("tanaka"), hall, 10)
    with pytest.raises(BookingNotFound):
        cancel_from("nakatosa", teacher, booking)
    with pytest.raises(BookingNotFound):  # the council's host cancels through its own page (cancel_booking)
        cancel_from("council", person("council_staff"), booking)
    assert status_of(booking) == BookingStatus.CONFIRMED


def test_the_town_page_offers_the_cancel_button_to_the_booker_only(hall: Facility) -> None:
    booking = book_from("nakatosa", person("tanaka"), hall, 10)
    day = (local_today() + timedelta(days=1)).isoformat()
    mine = make_client(HOSTS["nakatosa"], person("tanaka")).get(reverse("groupware:facilities"), {"date": day})
    assert f'data-cancel-council-booking="{booking.pk}"' in mine.content.decode()
    other = make_client(HOSTS["nakatosa"], person("yamamoto")).get(reverse("groupware:facilities"), {"date": day})
    assert f'data-cancel-council-booking="{booking.pk}"' not in other.content.decode()


def test_the_cancel_page_frees_the_slot_and_a_refusal_says_why(hall: Facility) -> None:
    booking = book_from("nakatosa", person("tanaka"), hall, 10)
    url = reverse("groupware:council_booking_cancel", args=[booking.pk])
    day = booking.starts_at.astimezone(TOKYO).date().isoformat()
    refused = make_client(HOSTS["nakatosa"], person("yamamoto")).post(url, {"date": day}, follow=True)
    assert "この予約を取り消せるのは、予約した本人と施設の管理者だけです。" in refused.content.decode()
    assert status_of(booking) == BookingStatus.CONFIRMED
    done = make_client(HOSTS["nakatosa"], person("tanaka")).post(url, {"date": day})
    assert done.status_code == 302
    assert done["Location"].endswith(f"?date={day}")
    assert status_of(booking) == BookingStatus.CANCELLED


def test_the_booker_is_told_in_their_towns_centre_when_the_manager_cancels(hall: Facility, new_person: Any) -> None:
    manager = new_person("cf_manager2", nakatosa="clerk", council="council_staff")
    with schema_context("council"):
        Facility.objects.filter(pk=hall.pk).update(manager_id=manager.pk, manager_name=manager.full_name)
    booking = book_from("nakatosa", person("tanaka"), hall, 10)
    cancel_from("nakatosa", manager, booking)
    with schema_context("nakatosa"):
        told = Notification.objects.get(recipient_id=person("tanaka").pk, kind="booking")
        assert "管理者により取り消されました" in told.text
    with schema_context("council"):
        assert not Notification.objects.filter(recipient_id=person("tanaka").pk).exists()


def test_the_councils_decision_reaches_the_town_booker(towns: dict[str, Any]) -> None:
    """A pending council booking made from a town was decided on the council's host, and the booker was
    notified in the council's schema, where a town clerk never reads."""
    with schema_context("council"):
        room = facilities.create_facility(
            actor=person("council_staff"), name="協議会応接室", kind=FacilityKind.ROOM,
            needs_approval=True, manager=person("council_staff"),
        )  # fmt: skip
    booking = book_from("nakatosa", person("tanaka"), room, 10)
    with schema_context("council"):
        facilities.decide_booking(actor=person("council_staff"), booking_id=booking.pk, approve=True)
    with schema_context("nakatosa"):
        assert Notification.objects.filter(recipient_id=person("tanaka").pk, text__contains="協議会応接室").exists()
