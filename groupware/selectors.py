"""Reads of the groupware: calendars and the group week, free slots, facilities, notifications, the feed.
The cabinet's reads live in groupware.selectors_cabinet and are re-exported here.

The group week reads every event of every person shown in one query (participants joined to events in the
range), then expands repeating events in Python through dateutil (docs/domain/groupware.md §2).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from common import audit
from common.dates import TOKYO, local_today
from groupware import council, org, recurrence, search
from groupware.errors import RequestNotFound
from groupware.models import (
    Booking,
    BookingStatus,
    CabinetFile,
    CalendarFeed,
    Delegation,
    Event,
    EventParticipant,
    Facility,
    Notice,
    NoticeAttachment,
    NoticeCategory,
    NoticeComment,
    NoticeRead,
    NoticeScope,
    Notification,
    RequestAttachment,
    RequestStatus,
    RequestStep,
    StepState,
    WorkflowForm,
    WorkflowRequest,
)
from groupware.people import any_office_role, office_staff, roles_here
from groupware.selectors_cabinet import file_for as file_for
from groupware.selectors_cabinet import files_in as files_in
from groupware.selectors_cabinet import folder_for as folder_for
from groupware.selectors_cabinet import folders_for
from groupware.selectors_cabinet import open_file as open_file
from tenants.models import Municipality, Person, Role

BUSY_LABEL = "予定あり"
WORK_START = time(8, 30)
WORK_END = time(17, 15)


@dataclass(frozen=True)
class Occurrence:
    event_id: int
    starts_at: datetime
    ends_at: datetime
    title: str  # 「予定あり」 for a private event the viewer does not take part in
    location: str
    all_day: bool
    masked: bool
    repeats: bool

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(TOKYO)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(TOKYO)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TOKYO)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _in_range(start: datetime, end: datetime) -> Q:
    return Q(event__starts_at__lt=end, event__cancelled_at__isnull=True) & (
        Q(event__series_ends_at__gt=start) | Q(event__series_ends_at__isnull=True)
    )


def occurrences_by_person(
    *, viewer_id: int, person_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[Occurrence]]:
    """Every occurrence in [start, end) of the events each person takes part in — one query for all of them.

    A private event is shown to the others as 「予定あり」 with no title or place (docs/domain/groupware.md §2)."""
    rows = list(
        EventParticipant.objects.filter(_in_range(start, end), person_id__in=list(person_ids)).values_list(
            "person_id",
            "event_id",
            "event__title",
            "event__location",
            "event__starts_at",
            "event__ends_at",
            "event__all_day",
            "event__is_private",
            "event__rrule",
        )
    )
    private = {event_id for _, event_id, *_rest, is_private, _rule in rows if is_private}
    visible_private = (
        set(
            EventParticipant.objects.filter(event_id__in=private, person_id=viewer_id).values_list(
                "event_id", flat=True
            )
        )
        if private
        else set()
    )
    found: dict[int, list[Occurrence]] = defaultdict(list)
    expanded: dict[int, list[tuple[datetime, datetime]]] = {}
    for person_id, event_id, title, location, starts_at, ends_at, all_day, is_private, rule in rows:
        if event_id not in expanded:
            expanded[event_id] = recurrence.occurrences(rule, starts_at, ends_at, window_start=start, window_end=end)
        masked = is_private and event_id not in visible_private
        for occ_start, occ_end in expanded[event_id]:
            found[person_id].append(
                Occurrence(
                    event_id=event_id,
                    starts_at=occ_start,
                    ends_at=occ_end,
                    title=BUSY_LABEL if masked else title,
                    location="" if masked else location,
                    all_day=all_day,
                    masked=masked,
                    repeats=bool(rule),
                )
            )
    for occurrences in found.values():
        occurrences.sort(key=lambda occ: (occ.starts_at, occ.event_id))
    return found


@dataclass(frozen=True)
class WeekRow:
    person_id: int
    name: str
    days: list[list[Occurrence]]


@dataclass(frozen=True)
class GroupWeek:
    days: list[date]
    rows: list[WeekRow]


def group_week(*, viewer_id: int, people: Sequence[tuple[int, str]], first_day: date, days: int = 7) -> GroupWeek:
    """The group week view: people in rows, days in columns."""
    dates = [first_day + timedelta(days=n) for n in range(days)]
    start, end = day_start(dates[0]), day_start(dates[-1] + timedelta(days=1))
    found = occurrences_by_person(viewer_id=viewer_id, person_ids=[pk for pk, _ in people], start=start, end=end)
    rows = []
    for person_id, name in people:
        cells: list[list[Occurrence]] = [[] for _ in dates]
        for occ in found.get(person_id, []):
            first = max(occ.local_start.date(), dates[0])
            last = min((occ.local_end - timedelta(microseconds=1)).date(), dates[-1])
            while first <= last:
                cells[(first - dates[0]).days].append(occ)
                first += timedelta(days=1)
        rows.append(WeekRow(person_id=person_id, name=name, days=cells))
    return GroupWeek(days=dates, rows=rows)


def my_occurrences(*, person_id: int, start: datetime, end: datetime) -> list[Occurrence]:
    return occurrences_by_person(viewer_id=person_id, person_ids=[person_id], start=start, end=end).get(person_id, [])


def free_slots(
    *,
    person_ids: Sequence[int],
    first_day: date,
    days: int,
    minutes: int,
    step_minutes: int = 30,
    limit: int = 20,
) -> list[tuple[datetime, datetime]]:
    """Slots of ``minutes`` within office hours (08:30–17:15, weekdays) when none of the people is busy."""
    start, end = day_start(first_day), day_start(first_day + timedelta(days=days))
    found = occurrences_by_person(viewer_id=0, person_ids=person_ids, start=start, end=end)
    busy = sorted((occ.starts_at, occ.ends_at) for occurrences in found.values() for occ in occurrences)
    length, step = timedelta(minutes=minutes), timedelta(minutes=step_minutes)
    slots: list[tuple[datetime, datetime]] = []
    for n in range(days):
        day = first_day + timedelta(days=n)
        if day.weekday() >= 5:
            continue
        slot = datetime.combine(day, WORK_START, tzinfo=TOKYO)
        closing = datetime.combine(day, WORK_END, tzinfo=TOKYO)
        while slot + length <= closing and len(slots) < limit:
            if not any(b_start < slot + length and b_end > slot for b_start, b_end in busy):
                slots.append((slot, slot + length))
                slot += length
            else:
                slot += step
    return slots


def event_for(*, viewer_id: int, event_id: int) -> Event | None:
    """One event with its participants; a private one only for those taking part in it."""
    event = Event.objects.filter(pk=event_id, cancelled_at__isnull=True).prefetch_related("participants").first()
    if event is None:
        return None
    if event.is_private and not any(p.person_id == viewer_id for p in event.participants.all()):
        return None
    return event


def unit_events(*, unit_code: str, start: datetime, end: datetime) -> list[Event]:
    """The organisation calendar: entries recorded for a unit."""
    return list(
        Event.objects.filter(unit_code=unit_code, starts_at__lt=end, cancelled_at__isnull=True)
        .filter(Q(series_ends_at__gt=start) | Q(series_ends_at__isnull=True))
        .order_by("starts_at")
    )


# --- facilities ---------------------------------------------------------------------------------------------


def facilities_for(*, actor: Person, day: date | None = None) -> QuerySet[Facility]:
    """The facilities the actor may book: those of the units they are posted in (and above), and — unless they
    are only a teacher — the town's common ones (docs/domain/groupware.md §3)."""
    town = org.current_town()
    day = day or local_today()
    codes = org.unit_codes_of(actor, town, day)
    roles = roles_here(actor, town)
    rule = Q(unit_code__in=codes)
    if roles - {Role.TEACHER}:
        rule |= Q(unit_code="")
    return Facility.objects.filter(rule, is_active=True).order_by("kind", "name")


def bookings_between(*, facility_ids: Iterable[int], start: datetime, end: datetime) -> list[Booking]:
    return list(
        Booking.objects.filter(
            facility_id__in=list(facility_ids),
            starts_at__lt=end,
            ends_at__gt=start,
            status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED],
        )
        .select_related("facility")
        .order_by("starts_at")
    )


def bookings_awaiting(*, actor: Person) -> list[Booking]:
    """Bookings waiting for the actor's approval as a facility manager (the manager's inbox)."""
    return list(
        Booking.objects.filter(status=BookingStatus.PENDING, facility__manager_id=actor.pk)
        .select_related("facility")
        .order_by("starts_at")
    )


def my_bookings(*, actor: Person, since: datetime) -> list[Booking]:
    return list(
        Booking.objects.filter(booked_by_id=actor.pk, ends_at__gt=since)
        .exclude(status=BookingStatus.CANCELLED)
        .select_related("facility")
        .order_by("starts_at")[:50]
    )


# --- notifications ------------------------------------------------------------------------------------------


def notifications_for(*, actor: Person, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(recipient_id=actor.pk).order_by("-created_at", "-pk")[:limit])


def unread_count(*, actor: Person) -> int:
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).count()


# --- the iCalendar feed -------------------------------------------------------------------------------------


def feed_owner(token: str) -> int | None:
    """The person id of a live feed token, None for an unknown or revoked one."""
    if not token or len(token) > 100:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = CalendarFeed.objects.filter(token_hash=digest, revoked_at__isnull=True).values("person_id").first()
    return int(row["person_id"]) if row else None


def has_feed(*, actor: Person) -> bool:
    return CalendarFeed.objects.filter(person_id=actor.pk, revoked_at__isnull=True).exists()


def events_of(*, person_id: int, since: datetime) -> list[Event]:
    """The person's entries still running after ``since`` (the feed and the .ics export), series unexpanded."""
    return list(
        Event.objects.filter(participants__person_id=person_id, cancelled_at__isnull=True)
        .filter(Q(series_ends_at__gt=since) | Q(series_ends_at__isnull=True))
        .order_by("starts_at")
    )


# --- workflow -----------------------------------------------------------------------------------------------


def active_forms() -> list[WorkflowForm]:
    return list(WorkflowForm.objects.filter(is_active=True).order_by("code"))


def _approval_principals(actor: Person, day: date) -> list[int]:
    """The actor and everyone who delegated approval to them today (代理承認)."""
    delegated = Delegation.objects.filter(kind=Delegation.Kind.APPROVE, proxy_id=actor.pk, valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )
    return [actor.pk, *delegated.values_list("principal_id", flat=True)]


def requests_awaiting(*, actor: Person) -> list[WorkflowRequest]:
    """Requests whose current step waits for the actor or for someone the actor approves for (the inbox)."""
    principals = _approval_principals(actor, local_today())
    on_step = Q()
    for pk in principals:
        on_step |= Q(approvers__contains=[{"id": pk}])
    steps = RequestStep.objects.filter(on_step, state=StepState.ACTIVE, request__status=RequestStatus.IN_PROGRESS)
    rows = []
    for step in steps.select_related("request", "request__form").order_by("request__created_at"):
        waiting = set(step.approver_ids) - set(step.approved_ids)
        request = step.request
        if waiting & set(principals) and actor.pk not in {request.applicant_id, request.submitted_by_id}:
            rows.append(request)
    return rows


def my_requests(*, actor: Person, limit: int = 100) -> list[WorkflowRequest]:
    return list(
        WorkflowRequest.objects.filter(Q(applicant_id=actor.pk) | Q(submitted_by_id=actor.pk))
        .select_related("form")
        .order_by("-created_at")[:limit]
    )


def request_for(*, actor: Person, request_id: int) -> WorkflowRequest | None:
    """A request, for those it concerns: its applicant, who submitted it, everyone on its route, their proxies
    and the applicant's proxies. Everyone else is told it does not exist."""
    request = (
        WorkflowRequest.objects.filter(pk=request_id)
        .select_related("form")
        .prefetch_related("steps", "actions", "attachments")
        .first()
    )
    if request is None:
        return None
    concerned = {request.applicant_id, request.submitted_by_id}
    for step in request.steps.all():
        concerned.update(step.approver_ids)
    if actor.pk in concerned:
        return request
    today = local_today()
    if set(_approval_principals(actor, today)) & concerned:
        return request
    applies = Delegation.objects.filter(
        kind=Delegation.Kind.APPLY, proxy_id=actor.pk, principal_id=request.applicant_id, valid_from__lte=today
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
    return request if applies.exists() else None


def open_attachment(*, actor: Person, request_id: int, attachment_id: int) -> tuple[RequestAttachment, File]:
    """A request's attached file, for those who may see the request; every download is audited."""
    request = request_for(actor=actor, request_id=request_id)
    attachment = request.attachments.filter(pk=attachment_id).first() if request is not None else None
    if request is None or attachment is None:
        raise RequestNotFound("ファイルが見つかりません。")
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="workflow.attachment_download",
            obj=(RequestAttachment, attachment.pk, attachment.name),
            details={"request": request.number},
        )
    return attachment, storages["groupware"].open(attachment.storage_key, "rb")


def principals_for(*, actor: Person, kind: str) -> list[tuple[int, str]]:
    """(id, name) of the people who delegated ``kind`` (apply / approve) to the actor, in force today."""
    today = local_today()
    rows = Delegation.objects.filter(kind=kind, proxy_id=actor.pk, valid_from__lte=today).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today)
    )
    return sorted(set(rows.values_list("principal_id", "principal_name")))


def delegations_of(*, actor: Person) -> list[Delegation]:
    return list(Delegation.objects.filter(Q(principal_id=actor.pk) | Q(proxy_id=actor.pk)).order_by("-valid_from"))


# --- bulletin -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeRow:
    notice: Notice
    council_wide: bool
    is_read: bool


def _town_scope() -> Municipality | None:
    """The town whose office staff read an "all" notice here: None in the council's schema (council-wide)."""
    town = org.current_town()
    return None if town.kind == Municipality.Kind.COUNCIL else town


def notice_visible_to(actor: Person, notice: Notice) -> bool:
    if notice.author_id == actor.pk:
        return True
    now = timezone.now()
    if notice.publish_from > now or (notice.expires_at is not None and notice.expires_at <= now):
        return False
    if notice.scope == NoticeScope.ALL:
        return any_office_role(actor, _town_scope())
    return notice.unit_code in org.unit_codes_of(actor, org.current_town(), local_today())


def notice_audience(notice: Notice) -> list[tuple[int, str]]:
    """Who a notice is for: the unit's people (and below), else the office staff of the town or of the council."""
    if notice.scope == NoticeScope.UNIT:
        return org.members(org.current_town(), notice.unit_code, local_today())
    return office_staff(_town_scope())


def _notices_here(actor: Person, *, council_wide: bool, limit: int) -> list[NoticeRow]:
    now = timezone.now()
    live = Q(publish_from__lte=now) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    reach = Q(scope=NoticeScope.UNIT, unit_code__in=org.unit_codes_of(actor, org.current_town(), local_today()))
    if any_office_role(actor, _town_scope()):
        reach |= Q(scope=NoticeScope.ALL)
    rows = list(
        Notice.objects.filter((live & reach) | Q(author_id=actor.pk))
        .select_related("category")
        .order_by("-publish_from", "-pk")[:limit]
    )
    read = set(NoticeRead.objects.filter(notice__in=rows, person_id=actor.pk).values_list("notice_id", flat=True))
    return [NoticeRow(notice=n, council_wide=council_wide, is_read=n.pk in read) for n in rows]


def notices_for(*, actor: Person, limit: int = 100) -> list[NoticeRow]:
    """The notices the actor may read: this town's (its own and its units') and the council-wide ones."""
    rows = _notices_here(actor, council_wide=False, limit=limit)
    if org.current_town().kind != Municipality.Kind.COUNCIL:
        with council.in_council() as found:
            if found:
                rows += _notices_here(actor, council_wide=True, limit=limit)
    rows.sort(key=lambda row: row.notice.publish_from, reverse=True)
    return rows[:limit]


@dataclass(frozen=True)
class NoticePage:
    notice: Notice
    comments: list[NoticeComment]
    attachments: list[NoticeAttachment]
    readers: list[NoticeRead] | None  # read receipts: for the author and IT staff only
    not_read: list[tuple[int, str]] | None


def notice_page(*, actor: Person, notice_id: int, council_wide: bool = False) -> NoticePage | None:
    with council.in_council() if council_wide else nullcontext(True):
        notice = Notice.objects.filter(pk=notice_id).select_related("category").first()
        if notice is None or not notice_visible_to(actor, notice):
            return None
        readers: list[NoticeRead] | None = None
        not_read: list[tuple[int, str]] | None = None
        may_see_receipts = notice.author_id == actor.pk or Role.IT_ADMIN in roles_here(actor, org.current_town())
        if may_see_receipts:
            readers = list(notice.reads.order_by("read_at"))
            done = {r.person_id for r in readers} | {notice.author_id}
            not_read = [(pk, name) for pk, name in notice_audience(notice) if pk not in done]
        return NoticePage(
            notice=notice,
            comments=list(notice.comments.all()),
            attachments=list(notice.attachments.all()),
            readers=readers,
            not_read=not_read,
        )


def unread_notice_count(*, actor: Person) -> int:
    return sum(1 for row in notices_for(actor=actor) if not row.is_read)


def categories() -> list[NoticeCategory]:
    return list(NoticeCategory.objects.all())


def open_notice_attachment(
    *, actor: Person, notice_id: int, attachment_id: int, council_wide: bool = False
) -> tuple[NoticeAttachment, File]:
    with council.in_council() if council_wide else nullcontext(True):
        page = notice_page(actor=actor, notice_id=notice_id)
        attachment = next((a for a in page.attachments if a.pk == attachment_id), None) if page else None
        if attachment is None:
            raise RequestNotFound("ファイルが見つかりません。")
        with transaction.atomic():
            audit.record(
                actor=actor,
                action="bulletin.attachment_download",
                obj=(NoticeAttachment, attachment.pk, attachment.name),
                details={"notice": notice_id},
            )
    return attachment, storages["groupware"].open(attachment.storage_key, "rb")


# --- search -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    kind: str  # notice, request, file
    title: str
    url: str
    when: datetime


SEARCH_LIMIT = 50


def search_all(*, actor: Person, term: str) -> list[SearchHit]:
    """Notices, requests and cabinet files matching ``term``, only those the actor may see (the same rules as
    their pages), newest first. The GIN index over the n-grams narrows the rows; the text confirms them."""
    wanted = search.term_grams(term)
    if not wanted:
        return []
    hits: list[SearchHit] = []
    now = timezone.now()
    live = Q(publish_from__lte=now) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    reach = Q(scope=NoticeScope.UNIT, unit_code__in=org.unit_codes_of(actor, org.current_town(), local_today()))
    if any_office_role(actor, _town_scope()):
        reach |= Q(scope=NoticeScope.ALL)
    for notice in Notice.objects.filter((live & reach) | Q(author_id=actor.pk), search_grams__contains=wanted).order_by(
        "-publish_from"
    )[:200]:
        if search.matches(term, [notice.title, notice.body]):
            hits.append(SearchHit("お知らせ", notice.title, f"/groupware/notices/{notice.pk}/", notice.publish_from))
    mine = Q(applicant_id=actor.pk) | Q(submitted_by_id=actor.pk)
    on_route = RequestStep.objects.filter(approvers__contains=[{"id": actor.pk}]).values("request_id")
    for request in (
        WorkflowRequest.objects.filter(mine | Q(pk__in=on_route), search_grams__contains=wanted)
        .select_related("form")
        .order_by("-created_at")[:200]
    ):
        if search.matches(term, [request.title, request.form.name, *(str(v) for v in request.data.values())]):
            hits.append(
                SearchHit(
                    "申請",
                    f"{request.number} {request.title}",
                    f"/groupware/requests/{request.pk}/",
                    request.created_at,
                )
            )
    folders = [f.pk for f in folders_for(actor=actor)]
    for item in CabinetFile.objects.filter(folder_id__in=folders, search_grams__contains=wanted).order_by(
        "-updated_at"
    )[:200]:
        if search.matches(term, [item.name, item.description]):
            hits.append(SearchHit("ファイル", item.name, f"/groupware/cabinet/files/{item.pk}/", item.updated_at))
    hits.sort(key=lambda hit: hit.when, reverse=True)
    return hits[:SEARCH_LIMIT]
