"""``manage.py bench audit_write``: clerks writing audit rows at once, against plain inserts into the same table.

The trail is written without a lock (common.audit.record inserts an unchained row) and chained right after by
the sequencer (common.audit.chain_pending), which runs here in its own thread as the Celery task would. The
line gives rows/s of 8 concurrent writers through ``audit.record`` against 8 writers inserting the same rows
with a plain ``INSERT`` (each row in its own transaction on both sides, as a clerk's request is), and the
sequencer's lag: seconds from a row's ``occurred_at`` to the end of the sequencer run that chained it.
tenants/bench.py imports this module at its end so that the scenario registers.
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import datetime
from typing import Any

from django.db import connections, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from common import audit
from common.bench import BenchOptions, ConcurrentRun, comparison, percentile, round_figure, run_concurrently, scenario
from common.models import AuditEvent
from tenants.bench import bench_towns

WRITERS = 8
ROWS_PER_WRITER = 250
TARGET_RATIO = 0.5  # docs/audit.md: at least half the rows/s of plain inserts
PURPOSE = "性能測定用の架空データ(ベンチマーク)"


class _Clerk:
    pk = None
    username = "bench"
    full_name = "ベンチマーク"


def _details(worker: int, number: int) -> dict[str, Any]:
    # What a resident page writes: the persons shown (docs/audit.md, one row per view).
    return {"persons": [f"{worker:05d}{number:06d}"]}


def _audited(worker: int, number: int) -> None:
    with transaction.atomic():  # the clerk's request
        audit.record(
            actor=_Clerk(),
            action="resident.view",
            obj=("resident_records.Resident", number, "ベンチ 太郎"),
            purpose=PURPOSE,
            personal_data=True,
            details=_details(worker, number),
        )


def _plain(schema: str) -> Any:
    def insert(worker: int, number: int) -> None:
        with transaction.atomic():
            AuditEvent.objects.create(
                occurred_at=timezone.now(), trail=schema, actor_username="bench", actor_name="ベンチマーク",
                action="resident.view", object_type="resident_records.Resident", object_id=str(number),
                object_repr="ベンチ 太郎", personal_data=True, purpose=PURPOSE, channel="system",
                details=_details(worker, number),
            )  # fmt: skip

    return insert


class _Sequencer(threading.Thread):
    """Runs the sequencer in a loop on its own connection and notes, per chained row, insert → chained."""

    def __init__(self, schema: str) -> None:
        super().__init__(name="bench-sequencer")
        self.schema = schema
        self.stop = threading.Event()
        self.lags: list[float] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with schema_context(self.schema):
                head = self._head()
                while True:
                    stopping = self.stop.is_set()
                    if audit.chain_pending(self.schema):
                        chained_at = timezone.now()
                        rows = AuditEvent.objects.filter(chain_seq__gt=head).values_list("chain_seq", "occurred_at")
                        for position, occurred_at in rows:
                            self.lags.append(_seconds(chained_at, occurred_at))
                            head = max(head, position or 0)
                    if stopping:
                        return
                    time.sleep(0.01)
        except BaseException as exc:
            self.error = exc
        finally:
            connections.close_all()

    @staticmethod
    def _head() -> int:
        last = AuditEvent.objects.exclude(chain_seq=None).order_by("-chain_seq").values_list("chain_seq", flat=True)
        return last.first() or 0


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


@scenario("audit_write")
def audit_write_scenario(options: BenchOptions) -> dict[str, Any]:
    """8 writers through audit.record (sequencer running) vs 8 writers with plain INSERTs, rows/s."""
    audited_runs: list[ConcurrentRun] = []
    plain_runs: list[ConcurrentRun] = []
    lags: list[float] = []
    with bench_towns() as towns:
        schema = towns.provision("audit").schema_name
        for round_number in range(options.repeat):
            steps = ["plain", "audited"] if round_number % 2 == 0 else ["audited", "plain"]
            for step in steps:
                if step == "plain":
                    plain_runs.append(
                        run_concurrently(_plain(schema), workers=WRITERS, per_worker=ROWS_PER_WRITER, schema=schema)
                    )
                    audit.chain_pending(schema)  # the baseline's rows, outside the timing
                    continue
                sequencer = _Sequencer(schema)
                sequencer.start()
                try:
                    audited_runs.append(
                        run_concurrently(_audited, workers=WRITERS, per_worker=ROWS_PER_WRITER, schema=schema)
                    )
                finally:
                    sequencer.stop.set()
                    sequencer.join()
                if sequencer.error is not None:
                    raise sequencer.error
                lags += sequencer.lags
        report = audit.verify_chain(schema)
    rates = [run.per_second for run in audited_runs]
    plain_rates = [run.per_second for run in plain_runs]
    ratio = statistics.median(rates) / statistics.median(plain_rates)
    lag_p95 = percentile(lags, 0.95) if lags else None
    return comparison(
        unit="rows/s",
        samples=rates,
        baseline=(
            f"{WRITERS} threads, each on its own connection, inserting the same audit rows with a plain INSERT "
            "(no hash, no chain), one transaction per row, into the same table of the same scratch town"
        ),
        baseline_samples=plain_rates,
        writers=WRITERS,
        rows_per_run=WRITERS * ROWS_PER_WRITER,
        write_p95_seconds=round_figure(percentile([v for run in audited_runs for v in run.latencies], 0.95)),
        baseline_write_p95_seconds=round_figure(percentile([v for run in plain_runs for v in run.latencies], 0.95)),
        sequencer_lag_p50_seconds=round_figure(statistics.median(lags)) if lags else None,
        sequencer_lag_p95_seconds=round_figure(lag_p95) if lag_p95 is not None else None,
        sequencer_lag_max_seconds=round_figure(max(lags)) if lags else None,
        chained_rows=len(lags),
        chain_intact=report.intact,
        target_ratio=TARGET_RATIO,
        target_met=ratio >= TARGET_RATIO and report.intact,
    )
