"""Benchmark ``backup`` (issue 5 §10): the backup pipeline over every demo town vs a plain ``pg_dump -Fc``.

Measured: for every active town schema, what the nightly job does before the uploads — an exported snapshot, the
per-table row counts and checksums, ``pg_dump --format=custom --compress=0`` streamed through zstd and age into
a staging file, and its SHA-256. Baseline, in the same run on the same schemas: ``pg_dump -Fc -n <schema>`` to a
file (pg_dump's own default compression), the plain way of backing up a schema. Both are reported in MB/s of the
same data (the size of the uncompressed custom-format dump of the towns), so the ratio is baseline time over
pipeline time; the target is ≥ 0.8. Uploads are left out: they depend on the site, not on the engine.

Nothing is written to the database and no Backup rows are made; staging files go to a temporary directory that
is removed afterwards. The run is read-only for the towns.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from bcp import archive
from bcp.errors import DumpFailed, KeyNotConfigured
from common.bench import BenchOptions, comparison, scenario
from tenants.models import Municipality

TARGET_RATIO = 0.8  # issue 5 §10
MB = 1_000_000


def _town_schemas() -> list[str]:
    towns = Municipality.objects.filter(kind=Municipality.Kind.TOWN, status=Municipality.Status.ACTIVE)
    return list(towns.order_by("schema_name").values_list("schema_name", flat=True))


def _key_refs() -> list[str]:
    refs = sorted(getattr(settings, "KYODO_BACKUP_KEYS", {}) or {})
    if not refs:
        raise KeyNotConfigured("ベンチマークには KYODO_BACKUP_KEYS の暗号鍵が1つ以上必要です。")
    return refs[:1]


def _pipeline(schemas: list[str], workdir: Path, key_refs: list[str]) -> tuple[float, int, int]:
    """Seconds for the whole set, the dump bytes, and the artifact bytes."""
    dump_bytes = artifact_bytes = 0
    started = time.perf_counter()
    for schema in schemas:
        result = archive.dump_schema(schema=schema, target=workdir / f"{schema}.age", key_refs=key_refs)
        dump_bytes += result.dump_bytes
        artifact_bytes += result.size_bytes
    seconds = time.perf_counter() - started
    for schema in schemas:
        (workdir / f"{schema}.age").unlink(missing_ok=True)
    return seconds, dump_bytes, artifact_bytes


def _plain_pg_dump(schemas: list[str], workdir: Path, pg_dump: str) -> tuple[float, int]:
    size = 0
    started = time.perf_counter()
    for schema in schemas:
        target = workdir / f"{schema}.plain.pgc"
        subprocess.run(
            [pg_dump, "-Fc", "-n", schema, "-f", str(target)], env=archive.tool_env(), check=True, capture_output=True
        )
    seconds = time.perf_counter() - started
    for schema in schemas:
        target = workdir / f"{schema}.plain.pgc"
        size += target.stat().st_size
        target.unlink()
    return seconds, size


@scenario("backup")
def backup_scenario(options: BenchOptions) -> dict[str, Any]:
    schemas = _town_schemas()
    if not schemas:
        raise DumpFailed(
            "ベンチマーク対象の自治体 (種別: 構成団体) がありません。manage.py seed_demo を実行してください。"
        )
    key_refs = _key_refs()
    tools = archive.pg_tools()
    pipeline_mbps: list[float] = []
    plain_mbps: list[float] = []
    dump_sizes: list[int] = []
    artifact_sizes: list[int] = []
    plain_sizes: list[int] = []
    with tempfile.TemporaryDirectory(prefix="kyodo-bench-backup-") as tmp:
        workdir = Path(tmp)
        # Warm-up (buffer cache, imports), not timed: both sides then read the same warm pages.
        _, dump_size, _ = _pipeline(schemas, workdir, key_refs)
        _plain_pg_dump(schemas, workdir, tools.pg_dump)
        for run_no in range(options.repeat):
            order = ["pipeline", "plain"] if run_no % 2 == 0 else ["plain", "pipeline"]
            for side in order:
                if side == "pipeline":
                    seconds, dump_size, artifact_size = _pipeline(schemas, workdir, key_refs)
                    pipeline_mbps.append(dump_size / MB / seconds)
                    dump_sizes.append(dump_size)
                    artifact_sizes.append(artifact_size)
                else:
                    seconds, plain_size = _plain_pg_dump(schemas, workdir, tools.pg_dump)
                    # The same volume of data, so the ratio of the two rates is the ratio of the times.
                    plain_mbps.append(dump_size / MB / seconds)
                    plain_sizes.append(plain_size)
    line = comparison(
        unit="MB/s",
        samples=pipeline_mbps,
        baseline="plain pg_dump -Fc -n <schema> of the same town schemas (default compression), same run",
        baseline_samples=plain_mbps,
        schemas=schemas,
        dump_mb=round(statistics.median(dump_sizes) / MB, 3),
        artifact_mb=round(statistics.median(artifact_sizes) / MB, 3),
        plain_pg_dump_mb=round(statistics.median(plain_sizes) / MB, 3),
        zstd_level=getattr(settings, "KYODO_BACKUP_ZSTD_LEVEL", 3),
        warmup_runs=1,
        target_ratio=TARGET_RATIO,
    )
    line["meets_target"] = line["ratio_to_baseline"] is not None and line["ratio_to_baseline"] >= TARGET_RATIO
    return line
