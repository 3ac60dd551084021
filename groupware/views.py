"""The groupware's pages: portal, calendars (day, week, month, group week), entries, free slots, the feed,
facilities and bookings, notifications. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.dates import TOKYO, local_today
from common.errors import ApplicationError
from groupware import ical, org, selectors
from groupware.errors import NotDelegated
from groupware.forms import (
    REPEAT_CHOICES,
    BookingForm,
    CommentBodyForm,
    CommentForm,
    DelegationForm,
    EventForm,
    FolderForm,
    FormDefinitionForm,
    FreeSlotForm,
    NoticeForm,
    RequestForm,
    TransferForm,
    UploadForm,
)
from groupware.people import staff_choices
from groupware.services import bulletin, cabinet, personnel, schedule, workflow
from groupware.services import facilities as facility_service
from groupware.services import notifications as notification_service
from tenants import organisation
from tenants.access import person_of
from tenants.models import Role

WEEKDAYS = "月火水木金土日"


def _day(request: HttpRequest, name: str = "date") -> date:
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return local_today()


def _page(request: HttpRequest, template: str, nav: str, **context: Any) -> HttpResponse:
    actor = person_of(request)
    return render(
        request,
        template,
        {"nav": nav, "unread": selectors.unread_count(actor=actor), "weekdays": WEEKDAYS, **context},
    )


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- portal -------------------------------------------------------------------------------------------------


@require_GET
def home_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    today = local_today()
    start = selectors.day_start(today)
    return _page(
        request,
        "groupware/home.html",
        "home",
        today=today,
        occurrences=selectors.my_occurrences(person_id=actor.pk, start=start, end=start + timedelta(days=1)),
        notifications=[n for n in selectors.notifications_for(actor=actor, limit=10) if n.read_at is None],
        awaiting=selectors.bookings_awaiting(actor=actor),
        approvals=selectors.requests_awaiting(actor=actor),
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
    week = selectors.group_week(viewer_id=actor.pk, people=people, first_day=first)
    return _page(
        request,
        "groupware/group_week.html",
        "group",
        week=week,
        units=units,
        unit_code=code,
        previous=first - timedelta(days=7),
        following=first + timedelta(days=7),
    )


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


@require_GET
def event_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = person_of(request)
    event = selectors.event_for(viewer_id=actor.pk, event_id=pk)
    if event is None:
        raise Http404
    return _page(request, "groupware/event.html", "schedule", event=event, is_organiser=event.organiser_id == actor.pk)


@require_POST
def event_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        schedule.cancel_event(actor=person_of(request), event_id=pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("groupware:week")
    messages.success(request, "予定を取り消しました。")
    return redirect("groupware:week")


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
    )


@require_http_methods(["GET", "POST"])
def book_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = person_of(request)
    facility = selectors.facilities_for(actor=actor).filter(pk=pk).first()
    if facility is None:
        raise Http404
    day = _day(request)
    initial = {
        "starts_at": datetime.combine(day, datetime.min.time().replace(hour=10), tzinfo=TOKYO),
        "ends_at": datetime.combine(day, datetime.min.time().replace(hour=11), tzinfo=TOKYO),
    }
    form = BookingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            booking = facility_service.book_facility(
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
    return redirect("groupware:home")


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


# --- workflow -----------------------------------------------------------------------------------------------


def _refused(form: Any, exc: ApplicationError, prefix: str = "") -> None:
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    name = f"{prefix}{field}" if field else None
    form.add_error(name if name in form.fields else None, exc.message)


@require_GET
def requests_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    return _page(
        request,
        "groupware/requests.html",
        "workflow",
        forms=selectors.active_forms(),
        awaiting=selectors.requests_awaiting(actor=actor),
        mine=selectors.my_requests(actor=actor),
    )


@require_http_methods(["GET", "POST"])
def request_new_view(request: HttpRequest, form_id: int) -> HttpResponse:
    actor = person_of(request)
    definition = next((f for f in selectors.active_forms() if f.pk == form_id), None)
    if definition is None:
        raise Http404
    principals = selectors.principals_for(actor=actor, kind="apply")
    form = RequestForm(request.POST or None, request.FILES or None, definition=definition, people=principals or None)
    if request.method == "POST" and form.is_valid():
        applicant_id = form.cleaned_data.get("applicant")
        applicant = next((p for p in _people(principals) if p.pk == applicant_id), None) if applicant_id else None
        try:
            created = workflow.submit_request(
                actor=actor,
                form_id=definition.pk,
                title=form.cleaned_data["title"],
                data=form.values(),
                applicant=applicant,
                files=request.FILES.getlist("files"),
            )
        except ApplicationError as exc:
            _refused(form, exc, prefix="f_")
        else:
            messages.success(request, f"申請 {created.number} を提出しました。")
            return redirect("groupware:request", pk=created.pk)
    return _page(request, "groupware/request_new.html", "workflow", form=form, definition=definition)


def _people(rows: list[tuple[int, str]]) -> list[Any]:
    from tenants.models import Person

    return list(Person.objects.filter(pk__in=[pk for pk, _ in rows]))


@require_GET
def request_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = person_of(request)
    found = selectors.request_for(actor=actor, request_id=pk)
    if found is None:
        raise Http404
    steps = list(found.steps.all())
    active = next((s for s in steps if s.order == found.current_step and s.state == "active"), None)
    return _page(
        request,
        "groupware/request.html",
        "workflow",
        req=found,
        steps=steps,
        can_decide=any(r.pk == found.pk for r in selectors.requests_awaiting(actor=actor)),
        is_owner=actor.pk in {found.applicant_id, found.submitted_by_id},
        can_confirm=any(actor.pk in s.approver_ids for s in steps if s.kind == "circulate" and s.state == "done"),
        active=active,
        comment_form=CommentForm(),
    )


@require_POST
def request_action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = person_of(request)
    comment = request.POST.get("comment", "")[:500]
    operations = {
        "approve": lambda: workflow.approve_request(actor=actor, request_id=pk, comment=comment),
        "return": lambda: workflow.return_request(actor=actor, request_id=pk, comment=comment),
        "resubmit": lambda: workflow.resubmit_request(actor=actor, request_id=pk),
        "withdraw": lambda: workflow.withdraw_request(actor=actor, request_id=pk),
        "confirm": lambda: workflow.confirm_circulation(actor=actor, request_id=pk),
    }
    if action not in operations:
        raise Http404
    try:
        operations[action]()
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "処理しました。")
    return redirect("groupware:request", pk=pk)


@require_GET
def request_file_view(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    try:
        attachment, handle = selectors.open_attachment(actor=person_of(request), request_id=pk, attachment_id=file_id)
    except ApplicationError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


@require_http_methods(["GET", "POST"])
def form_define_view(request: HttpRequest) -> HttpResponse:
    form = FormDefinitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            defined = workflow.define_form(
                actor=person_of(request),
                code=data["code"],
                name=data["name"],
                description=data["description"],
                fields=form.field_list(),
                steps=[workflow.StepSpec(kind, ids, manager) for kind, ids, manager in form.step_list()],
                allows_attachments=data["allows_attachments"],
                route_editable=data["route_editable"],
                creates=data["creates"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"申請様式「{defined.name}」を登録しました。")
            return redirect("groupware:requests")
    return _page(request, "groupware/form_define.html", "workflow", form=form, people=staff_choices())


@require_http_methods(["GET", "POST"])
def delegations_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    form = DelegationForm(request.POST or None, initial={"valid_from": local_today()}, people=staff_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        proxy = next(iter(_people([(data["proxy"], "")])), None)
        try:
            if proxy is None:
                raise NotDelegated("代理者が見つかりません。")
            workflow.delegate(
                actor=actor,
                kind=data["kind"],
                principal=actor,
                proxy=proxy,
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "代理を設定しました。")
            return redirect("groupware:delegations")
    return _page(
        request, "groupware/delegations.html", "workflow", form=form, delegations=selectors.delegations_of(actor=actor)
    )


# --- bulletin -----------------------------------------------------------------------------------------------


@require_GET
def notices_view(request: HttpRequest) -> HttpResponse:
    rows = selectors.notices_for(actor=person_of(request))
    category = request.GET.get("category", "")
    if category.isdigit():
        rows = [r for r in rows if not r.council_wide and r.notice.category_id == int(category)]
    return _page(
        request, "groupware/notices.html", "bulletin", rows=rows, categories=selectors.categories(), category=category
    )


@require_http_methods(["GET", "POST"])
def notice_new_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    town = org.current_town()
    units = [(u.code, u.name) for u in organisation.units_on(town, local_today())]
    form = NoticeForm(
        request.POST or None,
        request.FILES or None,
        units=units,
        categories=[(c.pk, c.name) for c in selectors.categories()],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = bulletin.post_notice(
                actor=actor,
                title=data["title"],
                body=data["body"],
                scope=data["scope"],
                unit_code=data["unit_code"] or "",
                category_id=data["category"],
                publish_from=data["publish_from"],
                expires_at=data["expires_at"],
                allow_comments=data["allow_comments"],
                files=request.FILES.getlist("attachments"),
            )
        except ApplicationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "お知らせを掲示しました。")
            return redirect("groupware:notice", pk=notice.pk)
    return _page(request, "groupware/notice_new.html", "bulletin", form=form)


def _notice(request: HttpRequest, pk: int, *, council_wide: bool) -> HttpResponse:
    actor = person_of(request)
    try:
        bulletin.record_read(actor=actor, notice_id=pk, council_wide=council_wide)
    except ApplicationError as exc:
        raise Http404 from exc
    page = selectors.notice_page(actor=actor, notice_id=pk, council_wide=council_wide)
    if page is None:
        raise Http404
    return _page(
        request,
        "groupware/notice.html",
        "bulletin",
        page=page,
        council_wide=council_wide,
        comment_form=CommentBodyForm(),
    )


@require_GET
def notice_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _notice(request, pk, council_wide=False)


@require_GET
def council_notice_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _notice(request, pk, council_wide=True)


def _comment(request: HttpRequest, pk: int, *, council_wide: bool) -> HttpResponse:
    form = CommentBodyForm(request.POST)
    target = "groupware:council_notice" if council_wide else "groupware:notice"
    if form.is_valid():
        try:
            bulletin.add_comment(
                actor=person_of(request), notice_id=pk, body=form.cleaned_data["body"], council_wide=council_wide
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "コメントを1000文字以内で入力してください。")
    return redirect(target, pk=pk)


@require_POST
def notice_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _comment(request, pk, council_wide=False)


@require_POST
def council_notice_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _comment(request, pk, council_wide=True)


def _notice_file(request: HttpRequest, pk: int, file_id: int, *, council_wide: bool) -> FileResponse:
    try:
        attachment, handle = selectors.open_notice_attachment(
            actor=person_of(request), notice_id=pk, attachment_id=file_id, council_wide=council_wide
        )
    except ApplicationError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


@require_GET
def notice_file_view(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    return _notice_file(request, pk, file_id, council_wide=False)


@require_GET
def council_notice_file_view(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    return _notice_file(request, pk, file_id, council_wide=True)


# --- organisation -------------------------------------------------------------------------------------------


@require_GET
def organisation_view(request: HttpRequest) -> HttpResponse:
    town = org.current_town()
    day = _day(request)
    units = organisation.units_on(town, day)
    members: dict[int, list[Any]] = {unit.pk: [] for unit in units}
    for posting in organisation.postings_on(day, municipality=town).order_by("-is_manager", "person__full_name_kana"):
        members.setdefault(posting.unit_id, []).append(posting)
    depth: dict[int, int] = {}
    for unit in units:
        depth[unit.pk] = depth.get(unit.parent_id, -1) + 1 if unit.parent_id else 0
    ordered = _tree_order(units)
    return _page(
        request,
        "groupware/organisation.html",
        "organisation",
        day=day,
        rows=[(unit, depth.get(unit.pk, 0), members.get(unit.pk, [])) for unit in ordered],
    )


def _tree_order(units: list[Any]) -> list[Any]:
    children: dict[int | None, list[Any]] = {}
    known = {unit.pk for unit in units}
    for unit in sorted(units, key=lambda u: (u.sort_order, u.code)):
        children.setdefault(unit.parent_id if unit.parent_id in known else None, []).append(unit)
    ordered: list[Any] = []

    def walk(parent: int | None) -> None:
        for unit in children.get(parent, []):
            ordered.append(unit)
            walk(unit.pk)

    walk(None)
    return ordered


@require_http_methods(["GET", "POST"])
def transfers_view(request: HttpRequest) -> HttpResponse:
    """人事異動: upload the CSV → preview (nothing written) → apply in one step."""
    import base64
    import binascii

    actor = person_of(request)
    form = TransferForm(request.POST or None, request.FILES or None)
    preview = None
    payload = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "apply":
                try:
                    content = base64.b64decode(data["payload"] or "", validate=True)
                except binascii.Error as exc:
                    raise personnel.TransferFileInvalid() from exc
                plan = personnel.apply_transfer_file(actor=actor, effective_on=data["effective_on"], data=content)
                messages.success(request, f"人事異動({len(plan.lines)}件)を{data['effective_on']}付で適用しました。")
                return redirect(f"{reverse('groupware:organisation')}?date={data['effective_on'].isoformat()}")
            upload = data["file"]
            if upload is None:
                raise personnel.TransferFileInvalid("CSVファイルを選んでください。")
            if upload.size > personnel.MAX_BYTES:
                raise personnel.TransferFileInvalid("ファイルが大きすぎます(2MBまで)。", code="file_too_large")
            content = upload.read()
            preview = personnel.preview_transfers(actor=actor, effective_on=data["effective_on"], data=content)
            payload = base64.b64encode(content).decode()
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    return _page(request, "groupware/transfers.html", "organisation", form=form, preview=preview, payload=payload)


# --- cabinet ------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def cabinet_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    town = org.current_town()
    form = FolderForm(
        request.POST or None,
        units=[(u.code, u.name) for u in organisation.units_on(town, local_today())],
        roles=[(value, str(label)) for value, label in Role.choices],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cabinet.create_folder(
                actor=actor,
                name=data["name"],
                unit_code=data["unit_code"] or "",
                roles=data["roles"],
                max_file_bytes=data["max_mb"] * 1024 * 1024,
            )
        except ApplicationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "フォルダを作成しました。")
            return redirect("groupware:cabinet")
    return _page(request, "groupware/cabinet.html", "cabinet", folders=selectors.folders_for(actor=actor), form=form)


@require_http_methods(["GET", "POST"])
def folder_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = person_of(request)
    folder = selectors.folder_for(actor=actor, folder_id=pk)
    if folder is None:
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        replaces = request.POST.get("file_id", "")
        try:
            cabinet.upload_file(
                actor=actor,
                folder_id=folder.pk,
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
                file_id=int(replaces) if replaces.isdigit() else None,
            )
        except ApplicationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "ファイルを登録しました。")
            return redirect("groupware:folder", pk=folder.pk)
    return _page(
        request, "groupware/folder.html", "cabinet", folder=folder, files=selectors.files_in(folder=folder), form=form
    )


@require_GET
def file_view(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.file_for(actor=person_of(request), file_id=pk)
    if item is None:
        raise Http404
    return _page(
        request, "groupware/file.html", "cabinet", item=item, versions=list(item.versions.all()), form=UploadForm()
    )


@require_GET
def file_download_view(request: HttpRequest, pk: int) -> FileResponse:
    version = request.GET.get("version", "")
    try:
        item, _row, handle = selectors.open_file(
            actor=person_of(request), file_id=pk, version=int(version) if version.isdigit() else None
        )
    except ApplicationError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=item.name)


# --- search -------------------------------------------------------------------------------------------------


@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    term = request.GET.get("q", "").strip()[:100]
    hits = selectors.search_all(actor=person_of(request), term=term) if term else []
    return _page(request, "groupware/search.html", "search", term=term, hits=hits)
