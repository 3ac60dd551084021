"""Reads of the calendars: occurrences of people's entries, the group week, free slots (re-exported by
groupware.selectors; docs/domain/groupware.md §2).

The group week reads every entry of every person shown in one query per schema (participants joined to entries in
the range through the span indexes, instants fetched as integers; the entries across towns live in the council's
schema), then expands repeating entries in Python through dateutil, once per distinct (rule, start) of the read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, NamedTuple

from django.db.models import BigIntegerField, BooleanField, Case, Exists, Func, OuterRef, Q, Value, When

from common.dates import TOKYO
from common.tenancy import current_schema
from groupware import council, recurrence
from groupware.models import Event, EventParticipant
from tenants.models import Membership, Municipality

BUSY_LABEL = "予定あり"
WORK_START = time(8, 30)
WORK_END = time(17, 15)
_TICK = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Occurrence(NamedTuple):
    """One occurrence of an entry as a calendar shows it (a tuple: a week view builds thousands of them)."""

    event_id: int
    starts_at: datetime  # in Asia/Tokyo
    ends_at: datetime
    title: str  # 「予定あり」 for a private event the viewer does not take part in
    location: str
    all_day: bool
    masked: bool
    repeats: bool
    council: bool = False  # recorded in the council's schema: an entry with participants of several towns

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
    """Participations in entries touching [start, end), stated on both copies of the span (the same values): the
    participant's, for the index (person, end, start), and the entry's, for (end, start) — each side of the join
    then reads only the range, however long the people's history (docs/domain/groupware.md §2.3)."""
    return (
        _span_touches(start, end)
        & Q(event__starts_at__lt=end, event__cancelled_at__isnull=True)
        & (Q(event__series_ends_at__gt=start) | Q(event__series_ends_at__isnull=True))
    )


def _span_touches(start: datetime, end: datetime) -> Q:
    return Q(starts_at__lt=end) & (Q(series_ends_at__gt=start) | Q(series_ends_at__isnull=True))


class _EpochMicros(Func):
    """An instant as whole microseconds since 1970 (exact: EXTRACT gives a numeric). A calendar read fetches the
    instants as integers and builds each distinct one once (_Instants) instead of decoding every timestamptz."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()

    def get_db_converters(self, connection: Any) -> list[Any]:
        return []  # psycopg already returns an int: no per-row converter (10,000 rows × 2 calls in a group week)


class _Shown(Case):
    """The shown/masked flag; psycopg already returns a bool, so no per-row converter."""

    def get_db_converters(self, connection: Any) -> list[Any]:
        return []


class _Instants(dict[int, datetime]):
    """Microseconds → Asia/Tokyo datetime, each distinct instant built once per read: the entries of a week start
    and end at a few hundred distinct times (docs/domain/groupware.md §2.4)."""

    def __missing__(self, micros: int) -> datetime:
        seconds, rest = divmod(micros, 1_000_000)
        moment = datetime.fromtimestamp(seconds, TOKYO).replace(microsecond=rest)
        self[micros] = moment
        return moment


def _viewer_takes_part(viewer_id: int, start: datetime, end: datetime) -> Case:
    # Asked only of private entries (CASE evaluates the subquery for them alone): one query for the whole view.
    # The range keeps the viewer's side to their entries of the range when PostgreSQL hashes the subquery.
    taking_part = EventParticipant.objects.filter(
        _span_touches(start, end), event_id=OuterRef("event_id"), person_id=viewer_id
    )
    return _Shown(When(event__is_private=True, then=Exists(taking_part)), default=Value(True))


def _shown_from_town(viewer_id: int, town: Municipality) -> Case:
    """Whether a council-schema entry shows its title to a viewer on a town's host: when the viewer takes part,
    or — unless it is private — when one of its participants is staff of the viewer's town. Another town's
    meeting among its own and the council's people stays 「予定あり」 (docs/domain/groupware.md §2.8)."""
    taking_part = Exists(EventParticipant.objects.filter(event_id=OuterRef("event_id"), person_id=viewer_id))
    town_staff = Membership.objects.active().filter(municipality_id=town.pk).values("person_id")
    involved = Exists(EventParticipant.objects.filter(event_id=OuterRef("event_id"), person_id__in=town_staff))
    return _Shown(When(event__is_private=True, then=taking_part), default=Q(taking_part) | Q(involved))


def _participations(
    person_ids: Sequence[int], start: datetime, end: datetime, shown: Case, *, council_wide: bool = False
) -> list[_Row]:
    return list(
        EventParticipant.objects.filter(_in_range(start, end), person_id__in=list(person_ids))
        .annotate(start_us=_EpochMicros("event__starts_at"), end_us=_EpochMicros("event__ends_at"))
        .annotate(shown=shown, council=Value(council_wide, output_field=BooleanField()))
        .values_list(
            "start_us", "event_id", "end_us", "event__title", "event__location", "event__all_day", "shown",
            "event__rrule", "council", "person_id",
        )
    )  # fmt: skip


def _council_participations(viewer_id: int, person_ids: Sequence[int], start: datetime, end: datetime) -> list[_Row]:
    """The same people's entries recorded in the council's schema (entries across towns), read from a town."""
    town = Municipality.objects.filter(schema_name=current_schema()).first()
    if town is None or town.kind == Municipality.Kind.COUNCIL:
        return []
    with council.in_council() as found:
        return (
            _participations(person_ids, start, end, _shown_from_town(viewer_id, town), council_wide=True)
            if found
            else []
        )


def occurrences_by_person(
    *, viewer_id: int, person_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[Occurrence]]:
    """Every occurrence in [start, end) of the events each person takes part in — one query for all of them in
    this schema, one more for the entries across towns kept in the council's schema (§2.8).

    A private event is shown to the others as 「予定あり」 with no title or place (docs/domain/groupware.md §2).
    Repeating entries are expanded by dateutil once per distinct (rule, start) within the read."""
    reader = _read(viewer_id, person_ids, start, end)
    occurrence = reader.occurrence
    return {person_id: [occurrence(row) for row in rows] for person_id, rows in reader.found.items()}


def _read(viewer_id: int, person_ids: Sequence[int], start: datetime, end: datetime) -> _Reader:
    reader = _Reader(start, end)
    reader.add(_participations(person_ids, start, end, _viewer_takes_part(viewer_id, start, end)))
    reader.add(_council_participations(viewer_id, person_ids, start, end))
    for rows in reader.found.values():
        rows.sort()  # by start, then entry: plain tuples of integers first, compared in C
    return reader


# One occurrence while a read is laid out, in the order the query fetches it: (start µs, event id, end µs, title,
# location, all day, shown, rule, council, person id). A shown entry that does not repeat is laid out as the row
# psycopg built (no copy); plain tuples sort by start without a key function; the Occurrence is built once, when
# it is placed.
_Row = tuple[int, int, int, str, str, bool, bool, str, bool, int]
_SHOWN: Final = 6
_RULE: Final = 7
_PERSON: Final = 9


def _masked(row: _Row) -> _Row:
    """A private entry the viewer does not take part in: 「予定あり」, no place (§2.5)."""
    start_us, event_id, end_us, _, _, all_day, _, rule, wide, person_id = row
    return (start_us, event_id, end_us, BUSY_LABEL, "", all_day, False, rule, wide, person_id)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _TICK


class _Reader:
    """Turns participation rows into occurrences, sharing the built instants and expanded series of one read."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end
        self.start_us, self.end_us = _micros(start), _micros(end)
        self.instants = _Instants()
        self.series: dict[tuple[str, int, int], list[int]] = {}  # (rule, start, window from) → starts in µs
        self.found: dict[int, list[_Row]] = defaultdict(list)

    def add(self, rows: list[_Row]) -> None:
        found, repeating = self.found, []
        for row in rows:
            if row[_RULE]:
                repeating.append(row if row[_SHOWN] else _masked(row))
            else:
                found[row[_PERSON]].append(row if row[_SHOWN] else _masked(row))
        if repeating:
            self._expand(repeating)

    def _expand(self, rows: list[_Row]) -> None:
        # Every series is expanded from the window's start less the longest entry of the read, so an occurrence
        # that began before the window and runs into it is found whatever the length of the entry sharing it.
        after = self.start_us - max(row[2] - row[0] for row in rows)
        found, series, window_start, window_end = self.found, self.series, self.start_us, self.end_us
        for start_us, event_id, end_us, title, location, all_day, shown, rule, wide, person_id in rows:
            key = (rule, start_us, after)
            if key not in series:
                anchor, since = self.instants[start_us], self.instants[after]
                series[key] = [
                    _micros(moment) for moment in recurrence.starts_between(rule, anchor, after=since, before=self.end)
                ]
            length = end_us - start_us
            found[person_id].extend(
                (occ_us, event_id, occ_us + length, title, location, all_day, shown, rule, wide, person_id)
                for occ_us in series[key]
                if occ_us + length > window_start and occ_us < window_end
            )

    def occurrence(self, row: _Row) -> Occurrence:
        instants = self.instants
        start_us, event_id, end_us, title, location, all_day, shown, rule, wide, _ = row
        return Occurrence(
            event_id, instants[start_us], instants[end_us], title, location, all_day, not shown, bool(rule), wide
        )


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
    """The group week view: people in rows, days in columns. The day columns of each distinct start and end
    (integer microseconds) are computed once; each occurrence is built once and placed in every day it touches."""
    dates = [first_day + timedelta(days=n) for n in range(days)]
    start, end = day_start(dates[0]), day_start(dates[-1] + timedelta(days=1))
    reader = _read(viewer_id, [pk for pk, _ in people], start, end)
    instants, occurrence = reader.instants, reader.occurrence
    firsts: dict[int, int] = {}
    lasts: dict[int, int] = {}
    rows = []
    for person_id, name in people:
        cells: list[list[Occurrence]] = [[] for _ in dates]
        for row in reader.found.get(person_id, ()):
            start_us, end_us = row[0], row[2]
            first = firsts.get(start_us)
            if first is None:
                first = firsts[start_us] = max((instants[start_us].date() - first_day).days, 0)
            last = lasts.get(end_us)
            if last is None:
                # The day of the instant just before the end: an entry ending at 00:00 does not reach the next day.
                last = lasts[end_us] = min(((instants[end_us] - _TICK).date() - first_day).days, days - 1)
            occ = occurrence(row)
            if first == last:
                cells[first].append(occ)
            else:
                for index in range(first, last + 1):
                    cells[index].append(occ)
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


def event_for(*, viewer_id: int, event_id: int, council_wide: bool = False) -> Event | None:
    """One event with its participants; a private one only for those taking part in it. ``council_wide``: an
    entry across towns in the council's schema, read from a town's host with the rule of _shown_from_town."""
    if not council_wide:
        return _event_here(viewer_id, event_id)
    town = Municipality.objects.filter(schema_name=current_schema()).first()
    town_staff = (
        set(Membership.objects.active().filter(municipality=town).values_list("person_id", flat=True))
        if town is not None and town.kind != Municipality.Kind.COUNCIL
        else set()
    )
    with council.in_council() as found:
        event = _event_here(viewer_id, event_id) if found else None
    if event is not None:
        event.council_wide = True
    if event is None or not town_staff:
        return event
    taking_part = {p.person_id for p in event.participants.all()}
    return event if viewer_id in taking_part or taking_part & town_staff else None


def _event_here(viewer_id: int, event_id: int) -> Event | None:
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
