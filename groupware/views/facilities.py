"""The groupware's pages: facilities, bookings and notifications.
Thin: parse, call one service or selector, render."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.dates import TOKYO, local_today
from common.errors import ApplicationError
from groupware import selectors
from groupware.forms import (
    BookingForm,
)
from groupware.services import facilities as facility_service
from groupware.services import notifications as notification_service
from groupware.views._base import _day, _page
from tenants.access import person_of

# --- facilities ---------------------------------------------------------------------------------------------


@require_GET
def facilities_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    day = _day(request)
    facilities = list(selectors.facilities_for(actor=actor))
    start = selectors.day_start(day)
    bookings = selectors.bookings_between(
        facility_ids=[f.pk for f in facilities], start=start, end=start + timedelta(days=1)
    )
    by_facility: dict[int, list[Any]] = {f.pk: [] for f in facilities}
    for booking in bookings:
        by_facility[booking.facility_id].append(booking)
    return _page(
        request,
        "groupware/facilities.html",
        "facilities",
        day=day,
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
        rows=[(f, by_facility[f.pk]) for f in facilities],
        council_rows=selectors.council_facilities_for(actor=actor, day=day),
        actor_id=actor.pk,
        now=timezone.now(),
    )


def _book(request: HttpRequest, facility: Any, *, council_wide: bool) -> HttpResponse:
    actor = person_of(request)
    day = _day(request)
    initial = {
        "starts_at": datetime.combine(day, datetime.min.time().replace(hour=10), tzinfo=TOKYO),
        "ends_at": datetime.combine(day, datetime.min.time().replace(hour=11), tzinfo=TOKYO),
    }
    form = BookingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        book = facility_service.book_council_facility if council_wide else facility_service.book_facility
        try:
            booking = book(
                actor=actor,
                facility_id=facility.pk,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                purpose=data["purpose"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{facility.name}を予約しました({booking.get_status_display()})。")
            return redirect(f"{reverse('groupware:facilities')}?date={data['starts_at'].date().isoformat()}")
    return _page(request, "groupware/book.html", "facilities", facility=facility, form=form)


@require_http_methods(["GET", "POST"])
def book_view(request: HttpRequest, pk: int) -> HttpResponse:
    facility = selectors.facilities_for(actor=person_of(request)).filter(pk=pk).first()
    if facility is None:
        raise Http404
    return _book(request, facility, council_wide=False)


@require_http_methods(["GET", "POST"])
def council_book_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A council-shared facility booked from a town's host (docs/domain/groupware.md §3.5)."""
    rows = selectors.council_facilities_for(actor=person_of(request), day=_day(request))
    facility = next((f for f, _bookings in rows if f.pk == pk), None)
    if facility is None:
        raise Http404
    return _book(request, facility, council_wide=True)


@require_GET
def pending_bookings_view(request: HttpRequest) -> HttpResponse:
    return _page(
        request, "groupware/pending.html", "facilities", bookings=selectors.bookings_awaiting(actor=person_of(request))
    )


@require_POST
def booking_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        facility_service.decide_booking(
            actor=person_of(request), booking_id=pk, approve=request.POST.get("decision") == "approve"
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "予約を処理しました。")
    return redirect("groupware:pending_bookings")


@require_POST
def booking_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        facility_service.cancel_booking(actor=person_of(request), booking_id=pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "予約を取り消しました。")
    day = _day_of(request.POST.get("date", ""))
    return redirect(f"{reverse('groupware:facilities')}?date={day.isoformat()}")


@require_POST
def council_booking_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A council-shared facility's booking cancelled from a town's host by its booker or the facility's manager
    (docs/domain/groupware.md §3.6); back to the facility page of the day the form was on."""
    try:
        facility_service.cancel_council_booking(actor=person_of(request), booking_id=pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "協議会の施設の予約を取り消しました。")
    day = _day_of(request.POST.get("date", ""))
    return redirect(f"{reverse('groupware:facilities')}?date={day.isoformat()}")


def _day_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return local_today()


# --- notifications ------------------------------------------------------------------------------------------


@require_GET
def notifications_view(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "groupware/notifications.html",
        "notifications",
        notifications=selectors.notifications_for(actor=person_of(request)),
    )


@require_POST
def notifications_read_view(request: HttpRequest) -> HttpResponse:
    notification_service.mark_read(actor=person_of(request))
    return redirect("groupware:notifications")
