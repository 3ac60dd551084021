"""Benchmark ``replication_lag`` (docs/bcp.md §5): the standby's lag in seconds under a steady write load.

The scenario never touches the database Django is configured with. It starts two throwaway clusters
(tests/support/pgcluster.py; the primary with wal_level = logical), builds the real project on the primary in
subprocesses (``migrate_schemas --shared``, ``seed_demo --no-residents``, demo residents in 中土佐町), sets up
replication with the service (``manage.py setup_standby``), then:

1. baseline: heartbeats with the primary idle;
2. load: resident-like writes at a fixed rate (each transaction registers one resident — a copy of an existing
   one under a new 宛名番号 from the town's sequence — and updates two others), while heartbeats go on.

A heartbeat is a ``bcp_lagsample`` row committed on the primary, exactly what ``measure_lag`` writes; its lag
is the time until it is visible on the standby, on one monotonic clock (no clock skew between servers). While
the load runs, ``manage.py standby_status`` is also run once, so the line shows what the service itself measures.
Target: RPO ≤ 5 s (``meets_target`` compares the p95 and the max).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings

from common.bench import BenchOptions, comparison, percentile, scenario
from common.errors import ApplicationError
from resident_records.numbering import with_check_digit

RPO_TARGET_SECONDS = 5.0  # docs/bcp.md §5
WRITE_RATE_PER_SECOND = 50  # transactions per second of the load (each: 1 insert + 2 updates)
SECONDS_PER_REPEAT = 10.0  # load duration = repeat × this
HEARTBEAT_INTERVAL = 0.2
IDLE_SECONDS = 4.0
SEED_RESIDENTS = 1000
STANDBY = "bench"
# The test clusters skip fsync for speed; a lag measured without it would flatter the standby.
DURABLE = {"fsync": "on", "full_page_writes": "on"}
TOWN = "nakatosa"


class BenchUnavailable(ApplicationError):
    code = "bench_unavailable"
    message = "このベンチマークを実行できません。"


@dataclass
class _Heartbeats:
    """Heartbeats committed on the primary and their arrival on the standby, timed on one clock."""

    primary_dsn: str
    standby_dsn: str
    standby_id: int
    sent: dict[int, float] = field(default_factory=dict)
    arrived: dict[int, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, stop: threading.Event, *, interval: float) -> None:
        watcher = threading.Thread(target=self._watch, args=(stop,), daemon=True)
        watcher.start()
        with psycopg.connect(self.primary_dsn, autocommit=True) as conn:
            while not stop.is_set():
                row = conn.execute(
                    "INSERT INTO public.bcp_lagsample (standby_id, measured_at) VALUES (%s, now()) RETURNING id",
                    [self.standby_id],
                ).fetchone()
                assert row is not None
                with self.lock:
                    self.sent[int(row[0])] = time.monotonic()
                stop.wait(interval)
        watcher.join()

    def _watch(self, stop: threading.Event) -> None:
        # Logical replication applies in commit order, so once id N is visible every earlier heartbeat is too.
        with psycopg.connect(self.standby_dsn, autocommit=True) as conn:
            drain_until = None
            while True:
                row = conn.execute("SELECT max(id) FROM public.bcp_lagsample").fetchone()
                newest = int(row[0]) if row and row[0] is not None else 0
                with self.lock:
                    # Read under the lock: a beat's send time is recorded under it, so no lag comes out negative.
                    now = time.monotonic()
                    for beat in [b for b in self.sent if b <= newest and b not in self.arrived]:
                        self.arrived[beat] = now
                    pending = len(self.sent) - len(self.arrived)
                if stop.is_set():
                    drain_until = drain_until or now + 30
                    if not pending or now > drain_until:
                        return
                time.sleep(0.01)

    def lags(self, first: int = 0) -> list[float]:
        with self.lock:
            return [self.arrived[b] - t for b, t in sorted(self.sent.items()) if b > first and b in self.arrived]

    def lost(self, first: int = 0) -> int:
        with self.lock:
            return sum(1 for b in self.sent if b > first and b not in self.arrived)

    @property
    def last_id(self) -> int:
        with self.lock:
            return max(self.sent, default=0)


def _heartbeat_phase(beats: _Heartbeats, seconds: float) -> int:
    first = beats.last_id
    stop = threading.Event()
    thread = threading.Thread(target=beats.run, args=(stop,), kwargs={"interval": HEARTBEAT_INTERVAL}, daemon=True)
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join(timeout=60)
    return first


def _write_load(dsn: str, stop: threading.Event, counters: dict[str, int]) -> None:
    """Resident-like writes at WRITE_RATE_PER_SECOND transactions per second, paced on a fixed schedule."""
    rng = random.Random(2026)  # noqa: S311  (reproducible load, not a secret)
    with psycopg.connect(dsn) as conn:
        conn.execute(f"SET search_path TO {TOWN}, public")
        columns = [
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name = 'resident_records_resident' AND column_name NOT IN ('id', 'atena_number') "
                "ORDER BY ordinal_position",
                [TOWN],
            ).fetchall()
        ]
        ids = [row[0] for row in conn.execute("SELECT id FROM resident_records_resident").fetchall()]
        conn.commit()
        listed = ", ".join(f'"{name}"' for name in columns)
        insert = (
            f"INSERT INTO resident_records_resident (atena_number, {listed}) "  # noqa: S608  (catalogue names)
            f"SELECT %s, {listed} FROM resident_records_resident WHERE id = %s"
        )
        update = "UPDATE resident_records_resident SET address_detail = %s, version = version + 1 WHERE id = ANY(%s)"
        period = 1.0 / WRITE_RATE_PER_SECOND
        due = time.monotonic()
        while not stop.is_set():
            with conn.transaction():
                (serial,) = conn.execute("SELECT nextval('resident_records_atena_seq')").fetchone() or (0,)
                conn.execute(insert, [with_check_digit(int(serial)), rng.choice(ids)])
                conn.execute(update, [f"ベンチ{rng.randrange(1000)}号室", rng.sample(ids, 2)])
            counters["transactions"] += 1
            due += period
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                counters["behind_schedule"] += 1


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        raise BenchUnavailable(
            f"manage.py {args[0]} が失敗しました: {result.stderr.strip()[-500:]}", details={"command": list(args)}
        )
    return result.stdout


# long: a benchmark scenario reads as the run it measures: set-up, the baseline, the measured run and the report line,
# in that order
@scenario("replication_lag")
def replication_lag_scenario(options: BenchOptions) -> dict[str, Any]:
    """Heartbeat arrival on the standby under a steady write load vs with the primary idle."""
    try:
        from tests.support import pgcluster
    except ImportError as exc:  # an installed copy without the repository's tests/
        raise BenchUnavailable("tests/support/pgcluster.py が見つかりません。", details={"error": str(exc)}) from exc
    reason = pgcluster.missing_reason()
    if reason:
        raise BenchUnavailable(f"PostgreSQL のクラスタを起動できません: {reason}")
    load_seconds = SECONDS_PER_REPEAT * options.repeat
    with (
        pgcluster.running_cluster("bench-primary", **pgcluster.LOGICAL_PRIMARY, **DURABLE) as primary,
        pgcluster.running_cluster("bench-standby", **pgcluster.LOGICAL_STANDBY, **DURABLE) as standby,
    ):
        primary_dsn, standby_dsn = primary.create_database("kyodo"), standby.create_database("kyodo")
        env = {
            **os.environ,
            "DATABASE_URL": primary_dsn,
            "KYODO_STANDBY_DSNS": json.dumps({STANDBY: standby_dsn}),
            "KYODO_DB_CONN_MAX_AGE": "0",
        }
        _manage(env, "migrate_schemas", "--shared", "--noinput", "--verbosity", "0")
        _manage(env, "seed_demo", "--no-residents")
        _manage(
            env, "shell", "-c",
            f"from resident_records.demo import seed_town; seed_town(schema='{TOWN}', count={SEED_RESIDENTS}, seed=5)",
        )  # fmt: skip
        _manage(env, "setup_standby", "--name", STANDBY)
        with psycopg.connect(primary_dsn) as conn:
            row = conn.execute("SELECT id FROM bcp_standby WHERE name = %s", [STANDBY]).fetchone()
        assert row is not None
        beats = _Heartbeats(primary_dsn, standby_dsn, int(row[0]))

        idle_first = _heartbeat_phase(beats, IDLE_SECONDS)
        idle = beats.lags(idle_first)

        counters = {"transactions": 0, "behind_schedule": 0}
        stop = threading.Event()
        writer = threading.Thread(target=_write_load, args=(primary_dsn, stop, counters), daemon=True)
        started = time.monotonic()
        writer.start()
        time.sleep(1.0)  # the load reaches its pace before the first heartbeat counts
        loaded_first = beats.last_id
        beat_stop = threading.Event()
        beat_thread = threading.Thread(
            target=beats.run, args=(beat_stop,), kwargs={"interval": HEARTBEAT_INTERVAL}, daemon=True
        )
        beat_thread.start()
        # Halfway through, the service measures too (standby_status → measure_lag), as the beat task would.
        time.sleep(load_seconds / 2)
        service_run = threading.Thread(
            target=_manage, args=(env, "standby_status", "--name", STANDBY, "--history", "0"), daemon=True
        )
        service_run.start()
        time.sleep(max(0.0, load_seconds - (time.monotonic() - started - 1.0)))
        stop.set()
        writer.join(timeout=30)
        elapsed = time.monotonic() - started
        beat_stop.set()
        beat_thread.join(timeout=60)
        service_run.join(timeout=120)
        loaded = beats.lags(loaded_first)
        lost = beats.lost(loaded_first)
        with psycopg.connect(primary_dsn) as conn:
            service = conn.execute(
                "SELECT last_lag_seconds, last_lag_bytes FROM bcp_standby WHERE name = %s", [STANDBY]
            ).fetchone()
        with psycopg.connect(primary_dsn) as conn, psycopg.connect(standby_dsn) as replica:
            query = f"SELECT count(*) FROM {TOWN}.resident_records_resident"  # noqa: S608
            rows_primary = conn.execute(query).fetchone()
            rows_standby = replica.execute(query).fetchone()
    if not loaded or not idle:
        raise BenchUnavailable("ハートビートが待機系に届きませんでした。", details={"lost": lost})
    p95, worst = percentile(loaded, 0.95), max(loaded)
    return comparison(
        unit="s",
        samples=loaded,
        baseline="heartbeat arrival with the primary idle (same clusters, same run)",
        baseline_samples=idle,
        p50=round(statistics.median(loaded), 4),
        p95=round(p95, 4),
        max_lag=round(worst, 4),
        heartbeats=len(loaded),
        heartbeats_lost=lost,
        idle_p50=round(statistics.median(idle), 4),
        target_rpo_seconds=RPO_TARGET_SECONDS,
        meets_target=lost == 0 and p95 <= RPO_TARGET_SECONDS and worst <= RPO_TARGET_SECONDS,
        load_seconds=round(elapsed, 1),
        write_rate_target_tps=WRITE_RATE_PER_SECOND,
        write_rate_achieved_tps=round(counters["transactions"] / elapsed, 1),
        rows_changed=counters["transactions"] * 3,
        service_measured_lag_seconds=service[0] if service else None,
        service_measured_lag_bytes=service[1] if service else None,
        residents_primary_standby=[
            rows_primary[0] if rows_primary else None,
            rows_standby[0] if rows_standby else None,
        ],
    )
