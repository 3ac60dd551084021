"""Benchmarks for ``manage.py bench``: each scenario measures one operation against a named baseline.

A scenario is a function registered with ``@scenario("name")`` that takes :class:`BenchOptions` and
returns its figures (see :func:`comparison`); the command adds the scenario name and the host and prints
one JSON line. Any local app can add scenarios in its own ``<app>/bench.py``: the command imports the
``bench`` module of every installed app that lives in this repository (:func:`discover`).

A baseline is measured in the same run, on the same machine and database, so the ratio stays meaningful
when absolute numbers differ from one laptop or server to another.

Scenarios here only create and drop their own schemas, named ``bench_<run id>_...``, with their
Municipality and Domain rows; they never touch any other schema.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import platform
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command, load_command_class
from django.db import connection
from django_tenants.management.commands.migrate_schemas import GET_EXECUTOR_FUNCTION

from common.errors import ApplicationError
from common.tenancy import use_public_schema
from tenants.codes import local_government_check_digit
from tenants.models import Domain, Municipality
from tenants.services import provision_municipality

BENCH_SCHEMA_PREFIX = "bench_"


@dataclass(frozen=True)
class BenchOptions:
    repeat: int = 3
    towns: int = 50
    residents: int = 300_000  # size of the bench town of the resident_records scenarios


ScenarioFunc = Callable[[BenchOptions], dict[str, Any]]
_REGISTRY: dict[str, ScenarioFunc] = {}


class UnknownScenario(ApplicationError):
    code = "unknown_bench_scenario"
    message = "不明なベンチマークシナリオです。"


def scenario(name: str) -> Callable[[ScenarioFunc], ScenarioFunc]:
    """Register a benchmark scenario under ``name``."""

    def register(func: ScenarioFunc) -> ScenarioFunc:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.__qualname__ != func.__qualname__:
            raise ImproperlyConfigured(f"bench scenario {name!r} is registered twice")
        _REGISTRY[name] = func
        return func

    return register


def discover() -> None:
    """Import ``<app>.bench`` for every installed app of this repository (third-party apps are skipped)."""
    base = Path(settings.BASE_DIR).resolve()
    for app in apps.get_app_configs():
        app_dir = Path(app.path).resolve()
        if not app_dir.is_relative_to(base) or "site-packages" in app_dir.parts:
            continue
        module = f"{app.name}.bench"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


def registered() -> dict[str, ScenarioFunc]:
    return dict(sorted(_REGISTRY.items()))


def run(name: str, options: BenchOptions) -> dict[str, Any]:
    """Run one scenario and return its JSON-ready line (scenario name first, host last)."""
    func = _REGISTRY.get(name)
    if func is None:
        raise UnknownScenario(
            f"不明なベンチマークシナリオです: {name}(利用できるシナリオ: {', '.join(registered()) or 'なし'})",
            details={"scenario": name, "known": list(registered())},
        )
    # Migration commands write progress to sys.stdout; the JSON lines must be the only thing there.
    with contextlib.redirect_stdout(sys.stderr):
        figures = func(options)
    return {"scenario": name, **figures, "host": host_info()}


# --- Figures -------------------------------------------------------------------------------------------


def timed(func: Callable[[], object]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def _round(value: float) -> float:
    return round(value, 6)


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` 0–1) of ``samples``."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass(frozen=True)
class ConcurrentRun:
    """Latencies (seconds) of every call made by the workers, and the wall-clock time of the whole run."""

    latencies: list[float]
    wall_seconds: float

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.wall_seconds if self.wall_seconds > 0 else 0.0


def run_concurrently(
    task: Callable[[int, int], object], *, workers: int, per_worker: int, schema: str
) -> ConcurrentRun:
    """``workers`` threads, each with its own database connection in ``schema``, call ``task(worker, n)``
    ``per_worker`` times as fast as they can (a closed loop, like clerks at their counters).

    The threads start together behind a barrier, so the wall time covers only the calls. A failing call
    stops the run: its exception is raised here, never counted as a fast sample.
    """
    from django.db import connections
    from django_tenants.utils import schema_context

    barrier = threading.Barrier(workers + 1)
    latencies: list[list[float]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            with schema_context(schema):
                barrier.wait()
                for number in range(per_worker):
                    started = time.perf_counter()
                    task(worker, number)
                    latencies[worker].append(time.perf_counter() - started)
        except BaseException as exc:
            errors.append(exc)
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.abort()
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=work, args=(n,), name=f"bench-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return ConcurrentRun(latencies=[value for worker in latencies for value in worker], wall_seconds=wall)


def comparison(
    *,
    unit: str,
    samples: Sequence[float],
    baseline: str,
    baseline_samples: Sequence[float],
    baseline_scale: float = 1.0,
    **extra: Any,
) -> dict[str, Any]:
    """The standard line: median/min/max of ``samples`` and their ratio to the baseline's median.

    ``baseline_scale`` multiplies the baseline median, e.g. one schema's time × the number of towns.
    """
    median = statistics.median(samples)
    baseline_median = statistics.median(baseline_samples) * baseline_scale
    return {
        "unit": unit,
        "median": _round(median),
        "min": _round(min(samples)),
        "max": _round(max(samples)),
        "runs": len(samples),
        "baseline": baseline,
        "baseline_median": _round(baseline_median),
        "baseline_runs": len(baseline_samples),
        "ratio_to_baseline": _round(median / baseline_median) if baseline_median > 0 else None,
        **extra,
    }


def concurrent_comparison(
    *, measured: Sequence[ConcurrentRun], baseline: Sequence[ConcurrentRun], baseline_description: str, **extra: Any
) -> dict[str, Any]:
    """The line of a concurrent scenario: latency percentiles (seconds) and calls per second of both sides.

    ``ratio_to_baseline`` is the median latency over the baseline's; ``ratio_p95`` the p95s' and
    ``ratio_per_second`` the throughputs' (measured ÷ baseline, so below 1 means slower)."""
    samples = [value for run in measured for value in run.latencies]
    base = [value for run in baseline for value in run.latencies]
    rate = statistics.median(run.per_second for run in measured)
    base_rate = statistics.median(run.per_second for run in baseline)
    p95, base_p95 = percentile(samples, 0.95), percentile(base, 0.95)
    return comparison(
        unit="s",
        samples=samples,
        baseline=baseline_description,
        baseline_samples=base,
        p50=_round(statistics.median(samples)),
        p95=_round(p95),
        p99=_round(percentile(samples, 0.99)),
        baseline_p95=_round(base_p95),
        ratio_p95=round(p95 / base_p95, 3) if base_p95 > 0 else None,
        per_second=round(rate, 2),
        baseline_per_second=round(base_rate, 2),
        ratio_per_second=round(rate / base_rate, 3) if base_rate > 0 else None,
        **extra,
    )


def host_info() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        server_version = cursor.fetchone()[0]
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": server_version,
    }


# --- Bench towns -----------------------------------------------------------------------------------------


@dataclass
class BenchTowns:
    """Schemas created by one bench run: ``bench_<run id>_<label>``, all removed by :meth:`cleanup`."""

    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    schemas: list[str] = field(default_factory=list)
    _codes: set[str] = field(default_factory=set)

    @property
    def prefix(self) -> str:
        return f"{BENCH_SCHEMA_PREFIX}{self.run_id}_"

    def name(self, label: str) -> str:
        # Recorded before anything is created, so a run that fails half-way is still cleaned up.
        schema = f"{self.prefix}{label}"
        self.schemas.append(schema)
        return schema

    def unused_code(self) -> str:
        # Made-up prefecture 99 (there is none), so no real town's 団体コード is ever taken.
        taken = set(Municipality.objects.exclude(code=None).values_list("code", flat=True)) | self._codes
        for five in (f"99{n:03d}" for n in range(1000)):
            code = f"{five}{local_government_check_digit(five)}"
            if code not in taken:
                self._codes.add(code)
                return code
        raise ImproperlyConfigured("bench: no unused 99xxx municipality code left; remove old bench towns")

    def provision(self, label: str) -> Municipality:
        schema = self.name(label)
        return provision_municipality(
            actor=None,
            schema=schema,
            name=f"ベンチマーク町 {schema}",
            domain=f"{schema.replace('_', '-')}.bench.invalid",
            code=self.unused_code(),
        ).municipality

    def cleanup(self) -> None:
        use_public_schema()
        mine = [schema for schema in self.schemas if schema.startswith(self.prefix)]
        with connection.cursor() as cursor:
            for schema in mine:
                cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema)} CASCADE")
        Domain.objects.filter(tenant__schema_name__in=mine).delete()
        Municipality.objects.filter(schema_name__in=mine).delete()


@contextlib.contextmanager
def bench_towns() -> Iterator[BenchTowns]:
    towns = BenchTowns()
    try:
        yield towns
    finally:
        towns.cleanup()


def plain_migrate(schema: str) -> None:
    """An empty schema migrated by django-tenants, as TenantMixin.create_schema does: no validation, no seed."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(schema)}")
    call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0)


def migrate_tenants(schemas: Sequence[str]) -> None:
    """What ``migrate_schemas --tenant`` runs for all tenants, with the tenant list limited to ``schemas``.

    The same executor and options as the command; only the list differs, so the bench never migrates
    (or, with pending migrations, changes) a town it did not create.
    """
    command = load_command_class("django_tenants", "migrate_schemas")
    parser = command.create_parser("manage.py", "migrate_schemas")
    options = vars(parser.parse_args(["--tenant", "--noinput", "--verbosity", "0", "--skip-checks"]))
    executor = GET_EXECUTOR_FUNCTION(codename=options["executor"])(args=(), options=options)
    executor.run_migrations(tenants=list(schemas))


# --- Scenarios -------------------------------------------------------------------------------------------


@scenario("provision")
def provision_scenario(options: BenchOptions) -> dict[str, Any]:
    """provision_municipality (validation, rows, migrate, audit seed) vs a plain migrate of an empty schema."""
    measured: list[float] = []
    baseline: list[float] = []
    with bench_towns() as towns:
        plain_migrate(towns.name("warmup"))  # imports and migration graph loading, not timed
        for run_no in range(options.repeat):
            steps = [
                (measured, lambda n=run_no: towns.provision(f"p{n}")),
                (baseline, lambda n=run_no: plain_migrate(towns.name(f"m{n}"))),
            ]
            # Alternating which goes first keeps a slow first call (cold caches) from favouring one side.
            for samples, step in steps if run_no % 2 == 0 else reversed(steps):
                samples.append(timed(step))
    return comparison(
        unit="s",
        samples=measured,
        baseline="plain migrate of one schema (CREATE SCHEMA + migrate_schemas --schema, no validation or seed)",
        baseline_samples=baseline,
        warmup_runs=1,
    )


@scenario("migrate")
def migrate_scenario(options: BenchOptions) -> dict[str, Any]:
    """A no-op tenant migrate over N towns vs the same no-op migrate of one town, extrapolated to N towns.

    The towns are provisioned for real (not cloned): django-tenants' clone_schema would install a helper
    function in the public schema and copy the template's audit rows with the wrong trail name. Their
    creation is not timed. The measured command pays its per-call set-up (argument parsing, executor, the
    withdrawn-town query) once; so does the baseline: N × the one-town time, less (N − 1) × that set-up, which
    is measured in the same run as a migrate over no town. A ratio near 1 means the all-towns migrate scales
    linearly with the number of towns; above 1, something per town (tenant listing, connection churn) grows
    with the town count.
    """
    measured: list[float] = []
    single: list[float] = []
    setup: list[float] = []
    with bench_towns() as towns:
        schemas = [towns.provision(f"t{n:03d}").schema_name for n in range(options.towns)]
        migrate_tenants(schemas[:1])  # warm-up, not timed
        for _ in range(options.repeat):
            measured.append(timed(lambda: migrate_tenants(schemas)))
            single.append(timed(lambda: migrate_tenants(schemas[:1])))
            setup.append(timed(lambda: migrate_tenants([])))
    setup_median = statistics.median(setup)
    per_town = [max(one - setup_median, 0.0) for one in single]
    return comparison(
        unit="s",
        samples=measured,
        baseline=(
            f"one set-up (a migrate over no town) + {options.towns} × the no-op migrate of one town less its set-up "
            "(linear extrapolation, measured in this run)"
        ),
        baseline_samples=[setup_median + options.towns * value for value in per_town],
        towns=options.towns,
        single_town_median=_round(statistics.median(single)),
        per_call_setup_seconds=_round(setup_median),
        warmup_runs=1,
    )
