"""施設予約 (facility bookings): book, approve or reject, cancel (docs/domain/groupware.md §3).

Double booking is impossible because PostgreSQL refuses it (the exclusion constraint gw_booking_no_overlap);
the Python check of the rules before the insert gives better messages but is not what keeps two bookings apart.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from common import audit
from common.dates import local_today
from groupware import council, org
from groupware.errors import (
    BookingClash,
    BookingEnded,
    BookingNotFound,
    BookingNotPending,
    BookingRuleBroken,
    FacilityNotFound,
    NotFacilityManager,
    NotYourBooking,
)
from groupware.models import Booking, BookingStatus, Facility
from groupware.people import any_office_role, home_schemas, roles_here
from groupware.selectors import council_facility, facilities_for
from groupware.services.notifications import notify
from groupware.services.schedule import check_period
from tenants.access import MODULES
from tenants.models import Municipality, Person, Role

CONSTRAINT = "gw_booking_no_overlap"


def create_facility(
    *,
    actor: Person,
    name: str,
    kind: str,
    unit_code: str = "",
    unit_name: str = "",
    manager: Person | None = None,
    needs_approval: bool = False,
    max_minutes: int = 480,
    max_days_ahead: int = 90,
    description: str = "",
) -> Facility:
    if not name.strip():
        raise BookingRuleBroken("名称を入力してください。", code="facility_name_required")
    if needs_approval and manager is None:
        raise BookingRuleBroken("承認が必要な施設には管理者を指定してください。", code="facility_manager_required")
    if max_minutes < 15 or max_days_ahead < 1:
        raise BookingRuleBroken(
            "最長時間は15分以上、予約可能日数は1日以上にしてください。", code="facility_rule_invalid"
        )
    with transaction.atomic():
        facility = Facility.objects.create(
            name=name.strip(),
            kind=kind,
            unit_code=unit_code,
            unit_name=unit_name,
            manager_id=manager.pk if manager else None,
            manager_name=manager.full_name if manager else "",
            needs_approval=needs_approval,
            max_minutes=max_minutes,
            max_days_ahead=max_days_ahead,
            description=description,
        )
        audit.record(actor=actor, action="groupware.facility_create", obj=facility)
    return facility


def _is_overlap(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return getattr(getattr(cause, "diag", None), "constraint_name", None) == CONSTRAINT


def check_rules(facility: Facility, starts_at: datetime, ends_at: datetime, *, now: datetime) -> None:
    check_period(starts_at, ends_at)
    if starts_at < now - timedelta(minutes=5):
        raise BookingRuleBroken("過去の日時は予約できません。", code="booking_in_past")
    if ends_at - starts_at > timedelta(minutes=facility.max_minutes):
        raise BookingRuleBroken(
            f"{facility.name}の1回の予約は{facility.max_minutes}分までです。", code="booking_too_long"
        )
    if starts_at.astimezone(timezone.get_default_timezone()).date() > local_today() + timedelta(
        days=facility.max_days_ahead
    ):
        raise BookingRuleBroken(
            f"{facility.name}は{facility.max_days_ahead}日先までしか予約できません。", code="booking_too_far_ahead"
        )


def book_facility(*, actor: Person, facility_id: int, starts_at: datetime, ends_at: datetime, purpose: str) -> Booking:
    """Book a facility: confirmed at once, or pending for its manager when the facility needs approval."""
    facility = facilities_for(actor=actor).filter(pk=facility_id).first()
    if facility is None:
        raise FacilityNotFound()
    return _insert_booking(actor, facility, starts_at=starts_at, ends_at=ends_at, purpose=purpose)


def book_council_facility(
    *, actor: Person, facility_id: int, starts_at: datetime, ends_at: datetime, purpose: str
) -> Booking:
    """Book a council-shared facility from a town's host (docs/domain/groupware.md §3.5).

    The one place a town's booking crosses into the council's schema (groupware.council.in_council): the booking
    row, its audit row and the manager's notification are written there, next to the facility and under its
    exclusion constraint, so a town clerk and a council clerk (or the other town's) can never hold the same slot.
    The town's own trail gets a row naming the council booking. One transaction over both schemas (one
    connection): either both rows are written or neither."""
    town = org.current_town()
    if town.kind == Municipality.Kind.COUNCIL or not any_office_role(actor, town):
        raise FacilityNotFound()
    with transaction.atomic():
        with council.in_council() as found:
            facility = council_facility(facility_id) if found else None
            if facility is None:
                raise FacilityNotFound()
            booking = _insert_booking(
                actor, facility, starts_at=starts_at, ends_at=ends_at, purpose=purpose, town=town.schema_name
            )
        audit.record(
            actor=actor,
            action="groupware.council_booking_create",
            obj=(Booking, booking.pk, facility.name),
            details={"facility": facility.pk, "status": booking.status, "schema": "council"},
        )
    return booking


def _insert_booking(
    actor: Person, facility: Facility, *, starts_at: datetime, ends_at: datetime, purpose: str, town: str = ""
) -> Booking:
    """Check the facility's rules and insert the booking in the current schema; the exclusion constraint there
    refuses an overlapping one (BookingClash)."""
    purpose = purpose.strip()
    if not purpose or len(purpose) > 200:
        raise BookingRuleBroken("利用目的を200文字以内で入力してください。", code="purpose_required")
    check_rules(facility, starts_at, ends_at, now=timezone.now())
    status = BookingStatus.PENDING if facility.needs_approval else BookingStatus.CONFIRMED
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                facility=facility,
                starts_at=starts_at,
                ends_at=ends_at,
                purpose=purpose,
                status=status,
                booked_by_id=actor.pk,
                booked_by_name=actor.full_name,
            )
            details: dict[str, object] = {"facility": facility.pk, "status": status}
            if town:
                details["from_town"] = town
            audit.record(actor=actor, action="groupware.booking_create", obj=booking, details=details)
            if status == BookingStatus.PENDING and facility.manager_id:
                notify(
                    recipient_ids=[facility.manager_id],
                    kind="booking",
                    text=f"{facility.name}の予約の承認依頼({actor.full_name}さん)",
                    url="/groupware/bookings/pending/",
                )
    except IntegrityError as exc:
        if _is_overlap(exc):
            raise BookingClash(details={"facility": facility.pk}) from exc
        raise
    return booking


def decide_booking(*, actor: Person, booking_id: int, approve: bool) -> Booking:
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("facility").filter(pk=booking_id).first()
        if booking is None:
            raise BookingNotFound()
        if booking.facility.manager_id != actor.pk:
            raise NotFacilityManager()
        if booking.status != BookingStatus.PENDING:
            raise BookingNotPending()
        booking.status = BookingStatus.CONFIRMED if approve else BookingStatus.REJECTED
        booking.decided_by_id = actor.pk
        booking.decided_by_name = actor.full_name
        booking.save(update_fields=["status", "decided_by_id", "decided_by_name"])
        audit.record(actor=actor, action="groupware.booking_decide", obj=booking, details={"status": booking.status})
        _tell_booker(booking, f"{booking.facility.name}の予約が{booking.get_status_display()}になりました。")
    return booking


def _tell_booker(booking: Booking, text: str) -> None:
    """Notify the booker in their own notification centre: the current schema's for a town's booking; for a
    council booking (possibly made from a town's host, §3.5) the booker's home schema — their town's, or the
    council's for council staff (groupware.people.home_schemas), as the entries of §2.8."""
    if not council.on_council_host():
        notify(recipient_ids=[booking.booked_by_id], kind="booking", text=text, url="/groupware/facilities/")
        return
    for schema, ids in home_schemas([booking.booked_by_id]).items():
        with schema_context(schema):
            notify(recipient_ids=ids, kind="booking", text=text, url="/groupware/facilities/")


def cancel_booking(*, actor: Person, booking_id: int) -> Booking:
    """Cancel a live booking that has not ended: its booker or the facility's manager may (``not_your_booking``
    for anyone else, ``booking_ended`` once it is over); the slot is free again at once (docs/domain/groupware.md
    §3.4)."""
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",)).select_related("facility").filter(pk=booking_id).first()
        )
        if booking is None:
            raise BookingNotFound()
        _cancel(actor, booking, details={})
    return booking


def _may_use_council_facilities(actor: Person, town: Municipality) -> bool:
    """A town's office staff: a role in force here that the role registry grants the groupware
    (tenants.access.MODULES), a teacher's alone excepted (docs/domain/groupware.md §3.5)."""
    allowed = MODULES["groupware"].roles - {Role.TEACHER}
    return town.kind != Municipality.Kind.COUNCIL and bool(roles_here(actor, town) & allowed)


def cancel_council_booking(*, actor: Person, booking_id: int) -> Booking:
    """Cancel a council-shared facility's booking from a town's host (docs/domain/groupware.md §3.6).

    Its booker or the facility's manager may, while it is live and has not ended; the booking is cancelled in the
    council's schema (the slot is free at once under gw_booking_no_overlap), with the council's audit row, and the
    town's trail gets ``groupware.council_booking_cancel``. Anyone else is refused (``not_your_booking``), an
    ended booking too (``booking_ended``); a refusal changes nothing."""
    town = org.current_town()
    if not _may_use_council_facilities(actor, town):
        raise BookingNotFound()
    with transaction.atomic():
        with council.in_council() as found:
            booking = None
            if found:
                booking = (
                    Booking.objects.select_for_update(of=("self",))
                    .select_related("facility")
                    .filter(pk=booking_id, facility__unit_code="")
                    .first()
                )
            if booking is None:
                raise BookingNotFound()
            _cancel(actor, booking, details={"from_town": town.schema_name})
        audit.record(
            actor=actor,
            action="groupware.council_booking_cancel",
            obj=(Booking, booking.pk, booking.facility.name),
            details={"facility": booking.facility_id, "schema": "council"},
        )
    return booking


def _cancel(actor: Person, booking: Booking, *, details: dict[str, object]) -> None:
    """The checks and the write shared by both cancellations; the caller holds the row locked."""
    if actor.pk not in {booking.booked_by_id, booking.facility.manager_id}:
        raise NotYourBooking()
    if booking.status not in {BookingStatus.PENDING, BookingStatus.CONFIRMED}:
        raise BookingNotPending("取り消せる予約ではありません(取消済み・却下済み)。", code="booking_not_live")
    if booking.ends_at <= timezone.now():
        raise BookingEnded()
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status"])
    audit.record(actor=actor, action="groupware.booking_cancel", obj=booking, details=details)
    if actor.pk != booking.booked_by_id:  # the manager cancelled it: the booker is told
        _tell_booker(
            booking,
            f"{booking.facility.name}の予約({timezone.localtime(booking.starts_at):%m/%d %H:%M})"
            "は施設の管理者により取り消されました。",
        )


AUDIT_LABELS = {
    "groupware.facility_create": "グループウェア: 施設・設備の登録",
    "groupware.booking_create": "グループウェア: 施設の予約",
    "groupware.booking_decide": "グループウェア: 施設予約の承認・却下",
    "groupware.booking_cancel": "グループウェア: 施設予約の取消",
    "groupware.council_booking_create": "グループウェア: 協議会の施設の予約(町から)",
    "groupware.council_booking_cancel": "グループウェア: 協議会の施設の予約の取消(町から)",
}
