"""Benchmarks of the groupware (``manage.py bench groupware_week`` / ``facility_book``).

``groupware_week``: the group week view (groupware.selectors.group_week, then the page's table as
groupware.week_table renders it: at most 8 entries a cell with 「ほか N 件」) of an organisation of 50 people with
10,000 events in the week (a tenth of them repeating, expanded by dateutil), p50/p95 per view; the baseline is
the raw SQL of the same rows and columns (participants joined to events in the range, the instants as integer µs
and the private flag as the selector fetches them, nothing expanded), so the ratio is what the ORM, the expansion,
the masking and the layout cost. The collector runs as in a deployed worker (the app frozen, see below). Target:
p95 ≤ 150 ms.

``facility_book``: 8 workers book overlapping slots of one room at once through the real service
(groupware.services.facilities.book_facility: rules, insert, audit row, the exclusion constraint refusing the
losers). Reported: attempts and bookings per second, clashes, and the double bookings found afterwards by a
self-join (must be 0). The baseline: the same 8 workers inserting non-overlapping bookings with a plain ORM
create (same table and constraint, no rules, no audit). Both run in a scratch town ``bench_<run id>_gw``.
"""

from __future__ import annotations

import gc
import random
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.db import connection
from django_tenants.utils import schema_context

from common.bench import (
    BenchOptions,
    ConcurrentRun,
    comparison,
    concurrent_comparison,
    percentile,
    round_figure,
    run_concurrently,
    scenario,
)
from common.dates import TOKYO, local_today
from groupware import selectors, week_table
from groupware.errors import BookingClash
from groupware.models import Booking, BookingStatus, CalendarKind, Event, EventParticipant, Facility, FacilityKind
from groupware.services import facilities
from tenants.bench import bench_towns
from tenants.models import Membership, Person, Role

PEOPLE = 50
EVENTS = 10_000
TARGET_P95_SECONDS = 0.150
WORKERS = 8
BOOKINGS_PER_REPEAT = 10  # per worker and run: --repeat 3 (the default) gives 30
BASE_ID = 9_000_000_000  # made-up person ids of the week scenario, far from real ones


def _fill_week(monday: date) -> list[tuple[int, str]]:
    rng = random.Random(2026)  # noqa: S311  (bench data)
    people = [(BASE_ID + n, f"ベンチ職員{n:02d}") for n in range(PEOPLE)]
    events = []
    for n in range(EVENTS):
        day = monday + timedelta(days=rng.randrange(5))
        start = datetime.combine(day, clock(rng.randrange(8, 18), rng.choice([0, 15, 30, 45])), tzinfo=TOKYO)
        end = start + timedelta(minutes=rng.choice([15, 30, 60]))
        repeats = n % 10 == 0
        events.append(
            Event(
                title=f"予定{n}",
                starts_at=start,
                ends_at=end,
                rrule="FREQ=DAILY;COUNT=5" if repeats else "",
                series_ends_at=end + timedelta(days=4) if repeats else end,
                is_private=n % 17 == 0,
                calendar_kind=CalendarKind.PERSONAL,
                organiser_id=people[n % PEOPLE][0],
                organiser_name=people[n % PEOPLE][1],
            )
        )
    Event.objects.bulk_create(events, batch_size=2000)
    EventParticipant.objects.bulk_create(
        (
            EventParticipant(
                event=event,
                person_id=people[n % PEOPLE][0],
                person_name=people[n % PEOPLE][1],
                starts_at=event.starts_at,
                series_ends_at=event.series_ends_at,
            )
            for n, event in enumerate(events)
        ),
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE groupware_event; ANALYZE groupware_eventparticipant")
    return people


# The columns the view shows, in the form the selector fetches them: the instants as integer microseconds (Django's
# timestamptz loader is pure Python — decoding 20,000 of them cost more than the whole query, and a baseline that
# paid for it while the selector does not would flatter the ratio) and the private entries' flag as the same CASE.
RAW_SQL = """
    SELECT p.person_id, e.id, e.title, e.location,
           (EXTRACT(EPOCH FROM e.starts_at) * 1000000)::bigint, (EXTRACT(EPOCH FROM e.ends_at) * 1000000)::bigint,
           e.all_day,
           CASE WHEN e.is_private THEN EXISTS (
               SELECT 1 FROM groupware_eventparticipant v WHERE v.event_id = p.event_id AND v.person_id = %(viewer)s
           ) ELSE true END,
           e.rrule
    FROM groupware_eventparticipant p JOIN groupware_event e ON e.id = p.event_id
    WHERE p.person_id = ANY(%(people)s) AND e.cancelled_at IS NULL
      AND p.starts_at < %(end)s AND (p.series_ends_at > %(start)s OR p.series_ends_at IS NULL)
      AND e.starts_at < %(end)s AND (e.series_ends_at > %(start)s OR e.series_ends_at IS NULL)
"""


@scenario("groupware_week")
def groupware_week_scenario(options: BenchOptions) -> dict[str, Any]:
    """The group week of 50 people with 10,000 events vs the raw SQL of the same rows."""
    views = max(10, options.repeat * 10)
    monday = selectors.week_start(local_today())
    # The deployment freezes the preloaded app out of the collector's generations before forking its workers
    # (deploy/gunicorn.conf.py, pre_fork); this process freezes what it has loaded at the same point — before
    # any town, data or warm-up. A worker's full collections also walk what it imported after the fork (the
    # URLconf, the views), which this process loaded before freezing: the p95 here is slightly kinder than a
    # worker's on a first request, the same once the worker's own young objects are collected.
    gc.collect()
    gc.freeze()
    try:
        return _week_run(views, monday)
    finally:
        gc.unfreeze()


def _week_run(views: int, monday: date) -> dict[str, Any]:
    with bench_towns() as towns:
        town = towns.provision("gw")
        with schema_context(town.schema_name):
            people = _fill_week(monday)
            ids = [pk for pk, _ in people]
            start = selectors.day_start(monday)
            end = start + timedelta(days=7)

            def view() -> int:
                # What the page does: the selector, then its table (at most CELL_LIMIT entries a cell, week_table).
                week = selectors.group_week(viewer_id=ids[0], people=people, first_day=monday)
                week_table.render_table(week, unit_code="bench")
                return sum(len(cell) for row in week.rows for cell in row.days)

            def raw() -> int:
                with connection.cursor() as cursor:
                    cursor.execute(RAW_SQL, {"viewer": ids[0], "people": ids, "start": start, "end": end})
                    return len(cursor.fetchall())

            shown, rows = view(), raw()  # warm-up: plans, caches
            samples, baseline = [], []
            for _ in range(views):
                samples.append(_timed(view))
                baseline.append(_timed(raw))
    p95 = percentile(samples, 0.95)
    return comparison(
        unit="s",
        samples=samples,
        baseline=(
            "the raw SQL of the same participants ⋈ events in the range with the columns the view shows, in the "
            "selector's form (instants as integer µs, the private flag), fetched (no expansion, no layout)"
        ),
        baseline_samples=baseline,
        p95=round_figure(p95),
        baseline_p95=round_figure(percentile(baseline, 0.95)),
        target_p95=TARGET_P95_SECONDS,
        meets_target=p95 <= TARGET_P95_SECONDS,
        people=PEOPLE,
        events=EVENTS,
        rows_read=rows,
        occurrences_shown=shown,
    )


def _timed(func: Any) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def _double_bookings() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM groupware_booking a JOIN groupware_booking b ON a.facility_id = b.facility_id "
            "AND a.id < b.id AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(b.starts_at, b.ends_at, '[)') "
            "WHERE a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


# long: one benchmark run — the town, the workers' closures, the baseline in the same run and the teardown share
# their state; read whole, the fairness of the comparison is visible in one place.
@scenario("facility_book")
def facility_book_scenario(options: BenchOptions) -> dict[str, Any]:
    """8 workers booking overlapping slots of one room through the service vs plain non-overlapping inserts."""
    per_worker = max(5, options.repeat * BOOKINGS_PER_REPEAT)
    with bench_towns() as towns:
        town = towns.provision("gw")
        booker = Person.objects.create_user(f"{towns.prefix}booker", None, full_name="ベンチ 予約者")
        Membership.objects.create(person=booker, municipality=town, role=Role.CLERK, valid_from=date(2000, 1, 1))
        try:
            with schema_context(town.schema_name):
                room = facilities.create_facility(actor=booker, name="ベンチ会議室", kind=FacilityKind.ROOM)
                plain_room = Facility.objects.create(name="ベンチ会議室(基準)", kind=FacilityKind.ROOM)
            first_day = local_today() + timedelta(days=1)
            clashes = [0] * WORKERS
            made = [0] * WORKERS

            def slot(run: int, number: int, shift: int) -> tuple[datetime, datetime]:
                # Every worker aims at the same hour with a small shift: all 8 overlap, one of them wins.
                day = first_day + timedelta(days=run * 10 + number // 10)
                start = datetime.combine(day, clock(8 + number % 10), tzinfo=TOKYO) + timedelta(minutes=shift)
                return start, start + timedelta(minutes=45)

            def book(run: int) -> Any:
                def task(worker: int, number: int) -> None:
                    start, end = slot(run, number, worker * 5)
                    try:
                        facilities.book_facility(
                            actor=booker, facility_id=room.pk, starts_at=start, ends_at=end, purpose="ベンチ"
                        )
                        made[worker] += 1
                    except BookingClash:
                        clashes[worker] += 1

                return task

            def insert(run: int) -> Any:
                def task(worker: int, number: int) -> None:
                    day = first_day + timedelta(days=100 + run * WORKERS + worker)
                    start = datetime.combine(day, clock(0), tzinfo=TOKYO) + timedelta(minutes=number * 10)
                    Booking.objects.create(
                        facility=plain_room, starts_at=start, ends_at=start + timedelta(minutes=10), purpose="ベンチ",
                        status=BookingStatus.CONFIRMED, booked_by_id=booker.pk, booked_by_name=booker.full_name,
                    )  # fmt: skip

                return task

            measured: list[ConcurrentRun] = []
            baseline: list[ConcurrentRun] = []
            for run in range(2):
                measured.append(
                    run_concurrently(book(run), workers=WORKERS, per_worker=per_worker, schema=town.schema_name)
                )
                baseline.append(
                    run_concurrently(insert(run + 10), workers=WORKERS, per_worker=per_worker, schema=town.schema_name)
                )
            with schema_context(town.schema_name):
                doubles = _double_bookings()
                confirmed = Booking.objects.filter(facility=room, status=BookingStatus.CONFIRMED).count()
        finally:
            Membership.objects.filter(person=booker).delete()
            booker.delete()
    wall = sum(run.wall_seconds for run in measured)
    return concurrent_comparison(
        measured=measured,
        baseline=baseline,
        baseline_description=(
            f"the same {WORKERS} workers inserting non-overlapping bookings with a plain ORM create (same table and "
            "exclusion constraint; no rules, no audit row, no clash), in the same run"
        ),
        workers=WORKERS,
        attempts=sum(made) + sum(clashes),
        bookings=confirmed,
        clashes_refused=sum(clashes),
        bookings_per_second=round(confirmed / wall, 2) if wall > 0 else None,
        double_bookings=doubles,
    )
