"""Reads of the groupware: calendars and the group week, free slots, facilities, notifications, the feed.
The calendars' reads live in groupware.selectors_calendar, the cabinet's in groupware.selectors_cabinet; both
are re-exported here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from common import audit
from common.dates import local_today
from groupware import council, org, search
from groupware.errors import RequestNotFound
from groupware.models import (
    Booking,
    BookingStatus,
    CabinetFile,
    CalendarFeed,
    Delegation,
    Event,
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
from groupware.selectors_calendar import BUSY_LABEL as BUSY_LABEL
from groupware.selectors_calendar import WORK_END as WORK_END
from groupware.selectors_calendar import WORK_START as WORK_START
from groupware.selectors_calendar import GroupWeek as GroupWeek
from groupware.selectors_calendar import Occurrence as Occurrence
from groupware.selectors_calendar import WeekRow as WeekRow
from groupware.selectors_calendar import day_start as day_start
from groupware.selectors_calendar import event_for as event_for
from groupware.selectors_calendar import free_slots as free_slots
from groupware.selectors_calendar import group_week as group_week
from groupware.selectors_calendar import my_occurrences as my_occurrences
from groupware.selectors_calendar import occurrences_by_person as occurrences_by_person
from groupware.selectors_calendar import unit_events as unit_events
from groupware.selectors_calendar import week_start as week_start
from tenants.models import Municipality, Person, Role

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


def council_facility(facility_id: int) -> Facility | None:
    """A council-shared facility (the council's common ones, no unit); to be called inside in_council()."""
    return Facility.objects.filter(pk=facility_id, unit_code="", is_active=True).first()


def council_facilities_for(*, actor: Person, day: date) -> list[tuple[Facility, list[Booking]]]:
    """The council-shared facilities a town's office staff may book from the town's host, with their bookings of
    the day, read in the council's schema (docs/domain/groupware.md §3.5); none on the council's own host."""
    town = org.current_town()
    if town.kind == Municipality.Kind.COUNCIL or not any_office_role(actor, town):
        return []
    with council.in_council() as found:
        if not found:
            return []
        rows = list(Facility.objects.filter(unit_code="", is_active=True).order_by("kind", "name"))
        start = day_start(day)
        bookings = bookings_between(facility_ids=[f.pk for f in rows], start=start, end=start + timedelta(days=1))
    by_facility: dict[int, list[Booking]] = {f.pk: [] for f in rows}
    for booking in bookings:
        by_facility[booking.facility_id].append(booking)
    return [(f, by_facility[f.pk]) for f in rows]


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
    """The person's entries still running after ``since`` (the feed and the .ics export), series unexpanded —
    with, on a town's host, their entries across towns kept in the council's schema (§2.8)."""
    rows = _events_here(person_id, since)
    if org.current_town().kind != Municipality.Kind.COUNCIL:
        with council.in_council() as found:
            if found:
                for event in _events_here(person_id, since):
                    event.council_wide = True
                    rows.append(event)
    rows.sort(key=lambda event: event.starts_at)
    return rows


def _events_here(person_id: int, since: datetime) -> list[Event]:
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


def requests_awaiting_query(*, actor: Person) -> QuerySet[WorkflowRequest]:
    """Requests whose current step waits for the actor or for someone the actor approves for (the inbox), oldest
    first, filtered in SQL so that the list pages (docs/domain/groupware.md §4.8): a principal on the active step's
    approvers who has not approved yet, never the actor's own request (no self-approval, §4.4)."""
    principals = _approval_principals(actor, local_today())
    waiting = Q()
    for pk in principals:
        waiting |= Q(approvers__contains=[{"id": pk}]) & ~Q(approved_ids__contains=[pk])
    steps = RequestStep.objects.filter(waiting, state=StepState.ACTIVE, request__status=RequestStatus.IN_PROGRESS)
    return (
        WorkflowRequest.objects.filter(pk__in=steps.values("request_id"))
        .exclude(applicant_id=actor.pk)
        .exclude(submitted_by_id=actor.pk)
        .select_related("form")
        .order_by("created_at", "pk")
    )


def requests_awaiting(*, actor: Person, limit: int = 100) -> list[WorkflowRequest]:
    """The inbox's first rows; the requests page and the API page through requests_awaiting_query."""
    return list(requests_awaiting_query(actor=actor)[:limit])


def approvals_summary(*, actor: Person, limit: int = 10) -> tuple[list[WorkflowRequest], int]:
    """The portal's panel: the oldest ``limit`` requests waiting for the actor, and how many wait in all."""
    rows = requests_awaiting_query(actor=actor)
    return list(rows[:limit]), rows.count()


def my_requests_query(*, actor: Person, status: str = "") -> QuerySet[WorkflowRequest]:
    """The requests the actor applied for or submitted for someone (代理申請), newest first; ``status`` narrows
    them to one state (an unknown one is ignored)."""
    rows = WorkflowRequest.objects.filter(Q(applicant_id=actor.pk) | Q(submitted_by_id=actor.pk))
    if status in RequestStatus.values:
        rows = rows.filter(status=status)
    return rows.select_related("form").order_by("-created_at", "-pk")


def my_requests(*, actor: Person, limit: int = 100) -> list[WorkflowRequest]:
    return list(my_requests_query(actor=actor)[:limit])


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


def _visible_notices(actor: Person) -> QuerySet[Notice]:
    """The notices of the current schema the actor may read (§5.2): live ones within their reach, and their own."""
    now = timezone.now()
    live = Q(publish_from__lte=now) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    reach = Q(scope=NoticeScope.UNIT, unit_code__in=org.unit_codes_of(actor, org.current_town(), local_today()))
    if any_office_role(actor, _town_scope()):
        reach |= Q(scope=NoticeScope.ALL)
    return Notice.objects.filter((live & reach) | Q(author_id=actor.pk))


def _notice_rows(actor: Person, notices: list[Notice], *, council_wide: bool) -> list[NoticeRow]:
    read = set(NoticeRead.objects.filter(notice__in=notices, person_id=actor.pk).values_list("notice_id", flat=True))
    return [NoticeRow(notice=n, council_wide=council_wide, is_read=n.pk in read) for n in notices]


def _notices_here(actor: Person, *, council_wide: bool, limit: int) -> list[NoticeRow]:
    rows = list(_visible_notices(actor).select_related("category").order_by("-publish_from", "-pk")[:limit])
    return _notice_rows(actor, rows, council_wide=council_wide)


def notices_for(*, actor: Person, limit: int = 100) -> list[NoticeRow]:
    """The newest ``limit`` notices the actor may read: this town's (its own and its units') and the council-wide
    ones (the board and the portal; the API pages through all of them with NoticeList)."""
    rows = _notices_here(actor, council_wide=False, limit=limit)
    if org.current_town().kind != Municipality.Kind.COUNCIL:
        with council.in_council() as found:
            if found:
                rows += _notices_here(actor, council_wide=True, limit=limit)
    rows.sort(key=lambda row: row.notice.publish_from, reverse=True)
    return rows[:limit]


class NoticeList:
    """Every notice the actor may read, this town's and the council-wide ones, newest first (publication, then
    id), as a sequence Django's paginator pages: ``count()`` and a slice, each in a fixed number of statements
    whatever the page (docs/domain/groupware.md §10.1).

    The two schemas cannot be read in one query, so a slice [start, stop) reads from each the (publication, id)
    of its newest ``stop`` notices — two narrow columns, through the publication index — merges them, and then
    reads the rows of the chosen ones only, with the actor's read receipts."""

    def __init__(self, *, actor: Person) -> None:
        self.actor = actor
        self.with_council = org.current_town().kind != Municipality.Kind.COUNCIL

    def _schemas(self) -> Iterator[bool]:
        """Runs the caller's loop body in this town's schema (False) and then in the council's (True)."""
        yield False
        if self.with_council:
            with council.in_council() as found:
                if found:
                    yield True

    def count(self) -> int:
        return sum(_visible_notices(self.actor).count() for _ in self._schemas())

    def __getitem__(self, window: slice) -> list[NoticeRow]:
        start, stop = window.start or 0, window.stop
        keys: list[tuple[datetime, int, bool]] = []
        for council_wide in self._schemas():
            newest = _visible_notices(self.actor).order_by("-publish_from", "-pk").values_list("publish_from", "pk")
            keys += [(published, pk, council_wide) for published, pk in newest[:stop]]
        keys.sort(key=lambda key: (key[0], key[1]), reverse=True)
        chosen = keys[start:stop]
        found: dict[tuple[bool, int], NoticeRow] = {}
        for council_wide in self._schemas():
            ids = [pk for _, pk, wide in chosen if wide == council_wide]
            if ids:
                notices = list(Notice.objects.filter(pk__in=ids).select_related("category"))
                for row in _notice_rows(self.actor, notices, council_wide=council_wide):
                    found[(council_wide, row.notice.pk)] = row
        return [found[(wide, pk)] for _, pk, wide in chosen if (wide, pk) in found]


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
