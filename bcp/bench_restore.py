"""Benchmark ``restore`` (docs/bcp.md §4, §10): seconds to recover a town of ``--residents`` (300,000) residents.

A scratch town ``bench_<run id>_restore`` is filled by the demo generator through the bulk loader, backed up
once by the nightly job's service (pg_dump → zstd → age, with a bench-only key that exists only in this process)
to a temporary filesystem site. Each of the ``--repeat`` runs then performs a **real restore** with
:func:`bcp.restore.restore_backup` into a new schema of the live database — what ``restore_municipality --into``
does in a recovery: fetch, SHA-256, decrypt, decompress, pg_restore into a scratch database, checksum of every
table against the manifest, and then the second restore a real recovery needs: install into the live database
(rename, dump again, pg_restore into the target in one transaction) and verify the tables in place. The measured
figure is that whole recovery's RTO (``restore_seconds``); the target is ≤ 60 s. A drill (the same path without
the install) is measured in the same runs and reported as ``drill_median``.

Baseline, measured in the same run: a plain ``pg_restore`` of the same (decrypted) dump into an empty database
followed by nothing else — the least a restore can cost, before any verification or installation. Everything
the bench creates (the town, the restored schemas, the site directory, the site/backup/drill rows, scratch
databases) is removed afterwards; the council audit trail keeps its rows (append-only by design).
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pyrage
from django.test.utils import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from bcp import archive, restore
from bcp import backup as backup_service
from bcp.models import Backup, BackupCopy, BackupSite, BackupStatus, DrillStatus, RestoreDrill
from bcp.sites import set_up_site
from common.bench import BenchOptions, comparison, scenario
from resident_records.bulk import load_households
from resident_records.demo import generate
from tenants.bench import bench_towns

RESTORE_TARGET_SECONDS = 60.0  # docs/bcp.md §10
PURPOSE = "性能測定用の架空データ(ベンチマーク)"
BENCH_KEY_REF = "bench-restore"


# long: a benchmark scenario reads as the run it measures: set-up, the baseline, the measured run and the report line,
# in that order
@scenario("restore")
def restore_scenario(options: BenchOptions) -> dict[str, Any]:
    """restore_backup (fetch, verify, decrypt, pg_restore, compare every table) vs a plain pg_restore."""
    measured: list[float] = []
    baseline: list[float] = []
    steps: list[dict[str, float]] = []
    workdir = Path(tempfile.mkdtemp(prefix="kyodo-bench-restore-"))
    # A key that exists only for this run, in this process: the bench never needs (or prints) a real key.
    bench_keys = {BENCH_KEY_REF: str(pyrage.x25519.Identity.generate())}
    site: BackupSite | None = None
    backup: Backup | None = None
    try:
        with (
            bench_towns() as towns,
            override_settings(KYODO_BACKUP_KEYS=bench_keys, KYODO_BACKUP_STAGING_DIR=str(workdir / "staging")),
        ):
            town = towns.provision("restore")
            with schema_context(town.schema_name):
                load_households(
                    actor=None, households=generate(town.schema_name, options.residents, 1), purpose=PURPOSE
                )
            site = BackupSite.objects.create(
                name=f"{towns.prefix}site",
                role="inland",
                storage_kind="filesystem",
                location=str(workdir / "site"),
                encryption_key_ref=BENCH_KEY_REF,
            )
            (workdir / "site").mkdir()
            set_up_site(actor=None, site=site)
            # The nightly job's own service makes the backup the drills restore.
            backup = backup_service.backup_schema(
                schema_name=town.schema_name, scheduled_for=timezone.localdate(), sites=[site]
            )
            if backup.status != BackupStatus.COMPLETE:
                raise RuntimeError(f"the bench backup failed: {backup.error}")
            plain_dump = workdir / "plain.pgc"
            archive.decrypt_to(Path(site.location) / backup.artifact_key, plain_dump, key_ref=BENCH_KEY_REF)
            drills: list[float] = []
            for run_no in range(options.repeat):
                into = towns.name(f"restored{run_no}")  # dropped with the bench towns
                runs: list[tuple[list[float], Callable[[], float]]] = [
                    (measured, partial(_recover, backup, site, steps, into)),
                    (drills, lambda: _drill(backup, site, [])),
                    (baseline, lambda: _plain(plain_dump)),
                ]
                # Alternating which goes first keeps a cold cache from favouring one side.
                for samples, step in runs if run_no % 2 == 0 else reversed(runs):
                    samples.append(step())
            # One more drill with pg_restore --jobs=2 into the scratch database (not part of the median): whether
            # parallel restore would pay on this machine.
            parallel = restore.restore_backup(backup=backup, site=site, triggered_by="bench", jobs=2)
            parallel_seconds = round(parallel.restore_seconds, 3) if parallel.restore_seconds is not None else None
            tables = len(backup.manifest["tables"])
            rows = sum(int(t["rows"]) for t in backup.manifest["tables"].values())
            sizes: dict[str, Any] = {"artifact_bytes": backup.size_bytes, "dump_bytes": backup.dump_bytes}
    finally:
        if site is not None:
            RestoreDrill.objects.filter(site=site).delete()
            BackupCopy.objects.filter(site=site).delete()
            if backup is not None:
                Backup.objects.filter(pk=backup.pk).delete()
            site.delete()
        shutil.rmtree(workdir, ignore_errors=True)
    median = statistics.median(measured)
    return comparison(
        unit="s",
        samples=measured,
        baseline="plain pg_restore of the same decrypted dump into an empty database (no fetch, no checks, no install)",
        measured=(
            "real restore into a new schema of the live database: fetch, verify, decrypt, pg_restore into a scratch "
            "database, compare, then install into the live database and verify in place"
        ),
        drill_median=round(statistics.median(drills), 3),
        baseline_samples=baseline,
        residents=options.residents,
        tables=tables,
        rows=rows,
        **sizes,
        steps_median_seconds={
            name: round(statistics.median(run[name] for run in steps), 3) for name in (steps[0] if steps else {})
        },
        parallel_jobs2_seconds=parallel_seconds,
        target_seconds=RESTORE_TARGET_SECONDS,
        target_met=median <= RESTORE_TARGET_SECONDS,
    )


def _recover(backup: Backup, site: BackupSite, steps: list[dict[str, float]], into: str) -> float:
    return _drill(backup, site, steps, into_schema=into)


def _drill(backup: Backup, site: BackupSite, steps: list[dict[str, float]], *, into_schema: str | None = None) -> float:
    drill = restore.restore_backup(backup=backup, site=site, triggered_by="bench", into_schema=into_schema)
    if drill.status != DrillStatus.PASSED or drill.restore_seconds is None:
        raise restore.RestoreError(f"ベンチマークの復元訓練が不合格でした: {drill.error}", details=drill.report)
    steps.append(drill.report["steps_seconds"])
    return drill.restore_seconds


def _plain(dump: Path) -> float:
    with restore.scratch_database(restore.scratch_name("bench")) as scratch:
        started = time.perf_counter()
        restore.pg_restore(dump=dump, dbname=scratch)
        return time.perf_counter() - started
