"""The groupware's pages: portal and calendars: day, week, month, group week, entries, free slots, the iCalendar feed.
Thin: parse, call one service or selector, render."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.dates import TOKYO, local_today
from common.errors import ApplicationError
from groupware import ical, org, selectors, week_table
from groupware.forms import (
    REPEAT_CHOICES,
    EventForm,
    FreeSlotForm,
)
from groupware.people import staff_choices
from groupware.services import schedule
from groupware.views._base import _day, _ics, _page
from tenants import organisation
from tenants.access import person_of

# --- portal -------------------------------------------------------------------------------------------------


@require_GET
def home_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    today = local_today()
    start = selectors.day_start(today)
    approvals, approval_count = selectors.approvals_summary(actor=actor)
    return _page(
        request,
        "groupware/home.html",
        "home",
        today=today,
        occurrences=selectors.my_occurrences(person_id=actor.pk, start=start, end=start + timedelta(days=1)),
        notifications=[n for n in selectors.notifications_for(actor=actor, limit=10) if n.read_at is None],
        awaiting=selectors.bookings_awaiting(actor=actor),
        approvals=approvals,
        approval_count=approval_count,
        notices=[row for row in selectors.notices_for(actor=actor, limit=30) if not row.is_read][:10],
        bookings=selectors.my_bookings(actor=actor, since=timezone.now())[:10],
    )


# --- calendars ----------------------------------------------------------------------------------------------


@require_GET
def day_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    day = _day(request)
    start = selectors.day_start(day)
    return _page(
        request,
        "groupware/day.html",
        "schedule",
        day=day,
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
        occurrences=selectors.my_occurrences(person_id=actor.pk, start=start, end=start + timedelta(days=1)),
    )


@require_GET
def week_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    first = selectors.week_start(_day(request))
    week = selectors.group_week(viewer_id=actor.pk, people=[(actor.pk, actor.full_name)], first_day=first)
    return _page(
        request,
        "groupware/week.html",
        "schedule",
        week=week,
        cells=list(zip(week.days, week.rows[0].days, strict=True)),
        previous=first - timedelta(days=7),
        following=first + timedelta(days=7),
    )


@require_GET
def month_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    day = _day(request)
    first = day.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    grid_start = selectors.week_start(first)
    weeks = ((last - grid_start).days // 7) + 1
    span = selectors.group_week(
        viewer_id=actor.pk, people=[(actor.pk, actor.full_name)], first_day=grid_start, days=weeks * 7
    )
    cells = list(zip(span.days, span.rows[0].days, strict=True))
    return _page(
        request,
        "groupware/month.html",
        "schedule",
        month=first,
        weeks=[cells[n * 7 : n * 7 + 7] for n in range(weeks)],
        previous=(first - timedelta(days=1)).replace(day=1),
        following=last + timedelta(days=1),
    )


@require_GET
def group_week_view(request: HttpRequest) -> HttpResponse:
    """People in rows, days in columns: the members of a unit (and the units below it) on the week's Monday."""
    actor = person_of(request)
    town = org.current_town()
    first = selectors.week_start(_day(request))
    units = organisation.units_on(town, first)
    code = request.GET.get("unit", "")
    if not code:
        primary = organisation.primary_unit(actor, town, first)
        code = primary.code if primary else (units[0].code if units else "")
    people = org.members(town, code, first) if code else []
    focus = _focus(request, people)  # one member's row with every entry (week_table, docs §2.5)
    if focus is not None:
        people = [person for person in people if person[0] == focus]
    week = selectors.group_week(viewer_id=actor.pk, people=people, first_day=first)
    return _page(
        request,
        "groupware/group_week.html",
        "group",
        week=week,
        table_rows=week_table.render_table(week, unit_code=code, focus=focus),
        focus=focus,
        focus_name=people[0][1] if focus is not None else "",
        units=units,
        unit_code=code,
        previous=first - timedelta(days=7),
        following=first + timedelta(days=7),
    )


def _focus(request: HttpRequest, people: list[tuple[int, str]]) -> int | None:
    """The ``person`` asked for, if it is a member of the unit shown (anything else shows the whole unit)."""
    value = request.GET.get("person", "")
    if value.isdigit() and any(pk == int(value) for pk, _ in people):
        return int(value)
    return None


@require_http_methods(["GET", "POST"])
def event_new_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    day = _day(request)
    initial = {
        "starts_at": datetime.combine(day, datetime.min.time().replace(hour=9), tzinfo=TOKYO),
        "ends_at": datetime.combine(day, datetime.min.time().replace(hour=10), tzinfo=TOKYO),
    }
    form = EventForm(request.POST or None, initial=initial, people=staff_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = schedule.create_event(
                actor=actor,
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                all_day=data["all_day"],
                location=data["location"],
                description=data["description"],
                is_private=data["is_private"],
                rrule=form.rule(),
                participant_ids=data["participants"],
            )
        except ApplicationError as exc:
            field = exc.details.get("field") if isinstance(exc.details, dict) else None
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, f"予定「{event.title}」を登録しました。")
            return redirect(f"{reverse('groupware:week')}?date={data['starts_at'].date().isoformat()}")
    return _page(request, "groupware/event_form.html", "schedule", form=form, repeat_choices=REPEAT_CHOICES)


def _event(request: HttpRequest, pk: int, *, council_wide: bool) -> HttpResponse:
    actor = person_of(request)
    event = selectors.event_for(viewer_id=actor.pk, event_id=pk, council_wide=council_wide)
    if event is None:
        raise Http404
    return _page(request, "groupware/event.html", "schedule", event=event, is_organiser=event.organiser_id == actor.pk)


@require_GET
def event_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _event(request, pk, council_wide=False)


@require_GET
def council_event_view(request: HttpRequest, pk: int) -> HttpResponse:
    """An entry across towns, kept in the council's schema (docs/domain/groupware.md §2.8)."""
    return _event(request, pk, council_wide=True)


def _cancel(request: HttpRequest, pk: int, *, council_wide: bool) -> HttpResponse:
    try:
        schedule.cancel_event(actor=person_of(request), event_id=pk, council_wide=council_wide)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("groupware:week")
    messages.success(request, "予定を取り消しました。")
    return redirect("groupware:week")


@require_POST
def event_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _cancel(request, pk, council_wide=False)


@require_POST
def council_event_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _cancel(request, pk, council_wide=True)


@require_GET
def event_export_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = person_of(request)
    event = selectors.event_for(viewer_id=actor.pk, event_id=pk)
    if event is None:
        raise Http404
    return _ics(ical.calendar_of([event], name=event.title), f"event-{event.pk}.ics")


@require_GET
def export_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    since = timezone.now() - timedelta(days=90)
    body = ical.calendar_of(selectors.events_of(person_id=actor.pk, since=since), name=f"{actor.full_name}の予定")
    return _ics(body, "schedule.ics")


@require_GET
def free_slots_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    form = FreeSlotForm(
        request.GET or None,
        initial={"people": [actor.pk], "first_day": local_today(), "days": 5, "minutes": 60},
        people=staff_choices(),
    )
    slots: list[tuple[datetime, datetime]] | None = None
    if form.is_valid():
        data = form.cleaned_data
        slots = selectors.free_slots(
            person_ids=data["people"], first_day=data["first_day"], days=data["days"], minutes=data["minutes"]
        )
    return _page(request, "groupware/free_slots.html", "schedule", form=form, slots=slots)


@require_http_methods(["GET", "POST"])
def feed_view(request: HttpRequest) -> HttpResponse:
    """Issue (or renew) and revoke the secret iCalendar feed URL; the token is shown once."""
    actor = person_of(request)
    token = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            schedule.revoke_feed(actor=actor)
            messages.success(request, "配信URLを無効にしました。")
            return redirect("groupware:feed")
        token = schedule.issue_feed(actor=actor)
    url = request.build_absolute_uri(reverse("calendar_feed:feed", args=[token])) if token else None
    return _page(request, "groupware/feed.html", "schedule", url=url, has_feed=selectors.has_feed(actor=actor))


@login_not_required
@require_GET
def feed_ics_view(request: HttpRequest, token: str) -> HttpResponse:
    """The personal feed, for calendar clients (no session: the secret URL is the credential). An unknown or
    revoked token gets an empty calendar, so a client left subscribed learns nothing and keeps working."""
    person_id = selectors.feed_owner(token)
    since = timezone.now() - timedelta(days=90)
    events = selectors.events_of(person_id=person_id, since=since) if person_id is not None else []
    response = HttpResponse(ical.calendar_of(events, name="Kyodo 予定"), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
