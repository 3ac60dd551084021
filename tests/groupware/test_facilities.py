"""施設予約: the database refuses a double booking; the facility's rules; approval by the manager; who sees what."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.dates import TOKYO, local_today
from common.models import AuditEvent
from groupware import selectors
from groupware.errors import BookingClash, BookingRuleBroken, FacilityNotFound, NotFacilityManager, PeriodInvalid
from groupware.models import Booking, BookingStatus, Facility, FacilityKind, Notification
from groupware.services import facilities
from tests.conftest import person


def slot(days: int, hour: int, minutes: int = 60) -> tuple[datetime, datetime]:
    day = local_today() + timedelta(days=days)
    start = datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO)
    return start, start + timedelta(minutes=minutes)


@pytest.fixture
def room(nakatosa: Any) -> Facility:
    return facilities.create_facility(actor=person("it_admin"), name="第1会議室", kind=FacilityKind.ROOM)


def book(actor: Any, facility: Facility, days: int, hour: int, minutes: int = 60) -> Booking:
    start, end = slot(days, hour, minutes)
    return facilities.book_facility(
        actor=actor, facility_id=facility.pk, starts_at=start, ends_at=end, purpose="打合せ"
    )


def test_a_clashing_booking_is_refused_in_japanese_and_not_written(room: Facility) -> None:
    book(person("tanaka"), room, 1, 10, 90)
    with pytest.raises(BookingClash) as excinfo:
        book(person("yamamoto"), room, 1, 11)
    assert excinfo.value.code == "booking_clash"
    assert "既に予約されています" in excinfo.value.message
    assert Booking.objects.filter(facility=room).count() == 1


def test_back_to_back_bookings_do_not_clash(room: Facility) -> None:
    book(person("tanaka"), room, 1, 10)
    book(person("yamamoto"), room, 1, 11)
    assert Booking.objects.filter(facility=room, status=BookingStatus.CONFIRMED).count() == 2


def test_the_database_itself_refuses_an_overlap_that_skips_the_service(room: Facility) -> None:
    start, end = slot(1, 10)
    fields = {"facility": room, "purpose": "x", "status": "confirmed", "booked_by_id": 1, "booked_by_name": "x"}
    Booking.objects.create(starts_at=start, ends_at=end, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(starts_at=start + timedelta(minutes=30), ends_at=end, **fields)


def test_a_cancelled_booking_frees_its_slot(room: Facility) -> None:
    tanaka = person("tanaka")
    first = book(tanaka, room, 1, 10)
    facilities.cancel_booking(actor=tanaka, booking_id=first.pk)
    second = book(person("yamamoto"), room, 1, 10)
    assert second.status == BookingStatus.CONFIRMED


def test_a_booking_longer_than_the_rule_is_refused(nakatosa: Any) -> None:
    car = facilities.create_facility(
        actor=person("it_admin"), name="公用車1号", kind=FacilityKind.VEHICLE, max_minutes=120
    )
    with pytest.raises(BookingRuleBroken) as excinfo:
        book(person("tanaka"), car, 1, 9, 180)
    assert excinfo.value.code == "booking_too_long"
    assert not Booking.objects.filter(facility=car).exists()


def test_a_booking_too_far_ahead_is_refused(nakatosa: Any) -> None:
    hall = facilities.create_facility(
        actor=person("it_admin"), name="大会議室", kind=FacilityKind.ROOM, max_days_ahead=30
    )
    with pytest.raises(BookingRuleBroken) as excinfo:
        book(person("tanaka"), hall, 45, 10)
    assert excinfo.value.code == "booking_too_far_ahead"


def test_an_end_before_the_start_is_refused(room: Facility) -> None:
    start, end = slot(1, 10)
    with pytest.raises(PeriodInvalid) as excinfo:
        facilities.book_facility(actor=person("tanaka"), facility_id=room.pk, starts_at=end, ends_at=start, purpose="x")
    assert excinfo.value.code == "period_invalid"


def test_a_facility_needing_approval_waits_in_its_manager_s_inbox(nakatosa: Any) -> None:
    manager, tanaka = person("it_admin"), person("tanaka")
    hall = facilities.create_facility(
        actor=manager, name="町民ホール", kind=FacilityKind.ROOM, needs_approval=True, manager=manager
    )
    booking = book(tanaka, hall, 3, 13)
    assert booking.status == BookingStatus.PENDING
    assert [b.pk for b in selectors.bookings_awaiting(actor=manager)] == [booking.pk]
    assert Notification.objects.filter(recipient_id=manager.pk, kind="booking", read_at__isnull=True).exists()
    with pytest.raises(NotFacilityManager):
        facilities.decide_booking(actor=tanaka, booking_id=booking.pk, approve=True)
    decided = facilities.decide_booking(actor=manager, booking_id=booking.pk, approve=True)
    assert decided.status == BookingStatus.CONFIRMED
    assert AuditEvent.objects.filter(action="groupware.booking_decide", object_id=str(booking.pk)).exists()


def test_a_pending_booking_already_holds_its_slot(nakatosa: Any) -> None:
    manager = person("it_admin")
    hall = facilities.create_facility(
        actor=manager, name="町民ホール", kind=FacilityKind.ROOM, needs_approval=True, manager=manager
    )
    book(person("tanaka"), hall, 3, 13)
    with pytest.raises(BookingClash):
        book(person("yamamoto"), hall, 3, 13)


def test_a_school_gym_is_for_the_school_s_staff(
    nakatosa: Any, units: dict[str, Any], post: Any, new_person: Any
) -> None:
    teacher = new_person("gw_teacher", nakatosa="teacher")
    outsider = new_person("gw_other_teacher", nakatosa="teacher")
    post(teacher, units["school"])
    gym = facilities.create_facility(
        actor=person("it_admin"), name="体育館", kind=FacilityKind.ROOM, unit_code="S01", unit_name="久礼小学校"
    )
    town_room = facilities.create_facility(actor=person("it_admin"), name="第2会議室", kind=FacilityKind.ROOM)
    assert list(selectors.facilities_for(actor=teacher)) == [gym]
    assert list(selectors.facilities_for(actor=outsider)) == []
    with pytest.raises(FacilityNotFound):
        book(outsider, gym, 1, 10)
    assert town_room in selectors.facilities_for(actor=person("tanaka"))


def test_a_past_slot_is_refused(room: Facility) -> None:
    start = timezone.now() - timedelta(days=1)
    with pytest.raises(BookingRuleBroken) as excinfo:
        facilities.book_facility(
            actor=person("tanaka"),
            facility_id=room.pk,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            purpose="x",
        )
    assert excinfo.value.code == "booking_in_past"
