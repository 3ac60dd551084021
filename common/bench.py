"""Benchmarks for ``manage.py bench``: each scenario measures one operation against a named baseline.

A scenario is a function registered with ``@scenario("name")`` that takes :class:`BenchOptions` and
returns its figures (see :func:`comparison`); the command adds the scenario name and the host and prints
one JSON line. Any local app can add scenarios in its own ``<app>/bench.py``: the command imports the
``bench`` module of every installed app that lives in this repository (:func:`discover`).

A baseline is measured in the same run, on the same machine and database, so the ratio stays meaningful
when absolute numbers differ from one laptop or server to another.

Scenarios only create and drop their own schemas, named ``bench_<run id>_...``, with their Municipality and
Domain rows (``tenants.bench.bench_towns``); they never touch any other schema. This module is the framework and
imports no app; the platform's own scenarios (provision, migrate) are in tenants/bench.py.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from common.errors import ApplicationError

BENCH_SCHEMA_PREFIX = "bench_"  # every schema a scenario creates (tenants.bench.BenchTowns) starts with it


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


def round_figure(value: float) -> float:
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
        "median": round_figure(median),
        "min": round_figure(min(samples)),
        "max": round_figure(max(samples)),
        "runs": len(samples),
        "baseline": baseline,
        "baseline_median": round_figure(baseline_median),
        "baseline_runs": len(baseline_samples),
        "ratio_to_baseline": round_figure(median / baseline_median) if baseline_median > 0 else None,
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
        p50=round_figure(statistics.median(samples)),
        p95=round_figure(p95),
        p99=round_figure(percentile(samples, 0.99)),
        baseline_p95=round_figure(base_p95),
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
