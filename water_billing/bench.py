"""Benchmark of a 調定 run (``manage.py bench water_billing_run``): billing 100,000 connections.

A scratch town ``bench_<run id>_water`` gets 中土佐町's tariff, 100,000 connections (口径, sewer and 減免 mixed like
the demo) and one period's readings. Each repeat runs the real service (``runs.execute_run``: the streamed read,
the pure rules, the COPY of each batch, the summary, the audit row), then the bills are removed for the next
repeat. Reported: seconds per run, and

* the baseline measured in the same run: COPYing the same 100,000 bill rows (spooled from the run's own output)
  into the same table; ``copy_ratio`` = baseline ÷ run (target ≥ 0.2: the run costs at most five COPYs);
* ``peak_python_mb``: the peak of the Python heap during one extra run under ``tracemalloc`` (target ≤ 500 MB:
  the run streams and never holds every bill), and ``peak_rss_mb`` of the process.
"""

from __future__ import annotations

import os
import random
import resource
import tempfile
import time
import tracemalloc
from datetime import date
from typing import Any

from django.db import connection
from django_tenants.utils import schema_context

from common.bench import BenchOptions, comparison, round_figure, scenario
from tenants.bench import bench_towns
from water_billing import rules
from water_billing.models import Bill, BillingRun, Connection, Period, Reading, ReadingGroup, Reduction, Service
from water_billing.services import runs
from water_billing.services.tariffs import record_tariff

CONNECTIONS = int(os.environ.get("KYODO_WATER_BENCH_CONNECTIONS", "100000"))  # smaller only in tests
DIAMETERS = [13] * 70 + [20] * 22 + [25] * 5 + [40] * 2 + [50]


def _setup(rng: random.Random) -> Period:
    record_tariff(
        actor=None, service=Service.WATER, effective_from=date(2024, 4, 1),
        bases=[rules.Base(d, c, 10) for d, c in [(13, 500), (20, 680), (25, 690), (30, 770), (40, 990), (50, 1270)]],
        tiers=[rules.Tier(11, None, 120)],
    )  # fmt: skip
    record_tariff(
        actor=None, service=Service.SEWER, effective_from=date(2024, 4, 1), bases=[rules.Base(None, 1000, 10)],
        tiers=[rules.Tier(11, 20, 110), rules.Tier(21, 50, 150), rules.Tier(51, None, 210)],
    )  # fmt: skip
    welfare = Reduction.objects.create(code="seiho", name="生活保護", base_percent=100)
    period = Period.objects.create(
        code="2026-04", group=ReadingGroup.ODD, starts_on=date(2026, 4, 1), ends_on=date(2026, 5, 31),
        read_on=date(2026, 5, 25), due_on=date(2026, 6, 25),
    )  # fmt: skip
    connections = Connection.objects.bulk_create(
        (
            Connection(
                tap_number=f"{n:08d}", address=f"ベンチ町{n}番地", district=f"地区{n % 20}", route_order=n,
                diameter_mm=rng.choice(DIAMETERS), meter_serial=f"M{n:07d}", meter_installed_on=date(2020, 4, 1),
                user_name=f"使用者{n}", sewer=rng.random() < 0.4, opened_on=date(2010, 4, 1),
                closed_on=date(2026, 4, 20) if rng.random() < 0.01 else None,
                reduction=welfare if rng.random() < 0.02 else None,
            )
            for n in range(CONNECTIONS)
        ),
        batch_size=5000,
    )  # fmt: skip
    Reading.objects.bulk_create(
        (
            Reading(
                connection_id=c.pk, period=period, read_on=period.read_on, value=usage, previous_value=0,
                usage_m3=usage,
            )
            for c in connections
            for usage in [max(0, int(rng.gauss(24, 10)))]
        ),
        batch_size=5000,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return period


def _run_once(period: Period) -> tuple[float, BillingRun]:
    run = BillingRun.objects.create(period=period)
    started = time.perf_counter()
    run = runs.execute_run(run=run)
    return time.perf_counter() - started, run


def _clear() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Bill._meta.db_table}")  # noqa: S608 (our own table name)


def _copy_seconds() -> float:
    """The bills of the last run COPYed out to a spool, the table emptied, and the same rows COPYed back in."""
    table = Bill._meta.db_table
    columns = ", ".join(runs.BILL_COLUMNS)
    with connection.cursor() as cursor, tempfile.TemporaryFile() as spool:
        with cursor.copy(f"COPY {table} ({columns}) TO STDOUT") as copy:
            for chunk in copy:
                spool.write(chunk)
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (our own table name)
        spool.seek(0)
        started = time.perf_counter()
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            while chunk := spool.read(1024 * 1024):
                copy.write(chunk)
        return time.perf_counter() - started


@scenario("water_billing_run")
def water_billing_run_scenario(options: BenchOptions) -> dict[str, Any]:
    rng = random.Random(2026)  # noqa: S311 (reproducible bench data)
    samples: list[float] = []
    baseline: list[float] = []
    with bench_towns() as towns:
        town = towns.provision("water")
        with schema_context(town.schema_name):
            period = _setup(rng)
            bills = total = 0
            for _ in range(max(1, options.repeat)):
                seconds, run = _run_once(period)
                samples.append(seconds)
                bills, total = run.bill_count, run.total
                baseline.append(_copy_seconds())
                _clear()
            tracemalloc.start()
            _run_once(period)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            _clear()
    line = comparison(
        unit="s",
        samples=samples,
        baseline="COPY of the same bill rows into the same table",
        baseline_samples=baseline,
        connections=CONNECTIONS,
        bills=bills,
        billed_total_yen=total,
        bills_per_second=round(bills / min(samples), 1) if samples else None,
        peak_python_mb=round(peak / 1024 / 1024, 1),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    )
    line["copy_ratio"] = round_figure(line["baseline_median"] / line["median"]) if line["median"] else None
    return line
