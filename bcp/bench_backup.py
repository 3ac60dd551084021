"""Benchmark ``backup`` (docs/bcp.md §10): the backup pipeline over every demo town vs plain ``pg_dump`` + zstd.

Measured: for every active town schema, what the nightly job does before the uploads — an exported snapshot, the
per-table row counts and checksums, ``pg_dump --format=custom --compress=0`` streamed through zstd and age into
a staging file, and its SHA-256. Baseline, in the same run on the same schemas: ``pg_dump --format=custom
--compress=0 -n <schema>`` streamed through the **same compressor at the same level** (zstandard,
``KYODO_BACKUP_ZSTD_LEVEL``) into a file — the plain way of making the same compressed dump, without the snapshot
bookkeeping, checksums, encryption and hashing. (Comparing with ``pg_dump -Fc``'s own gzip would measure the
compressors, not the pipeline.) Both are reported in MB/s of the same data (the size of the uncompressed
custom-format dump of the towns), so the ratio is baseline time over pipeline time; the target is ≥ 0.8. Uploads
are left out: they depend on the site, not on the engine. The towns must hold data (an empty schema would
measure process start-up): towns without residents are left out, and the scenario refuses to run without any.

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

import zstandard
from django.conf import settings
from django.db import connection

from bcp import archive
from bcp.errors import DumpFailed, KeyNotConfigured
from common.bench import BenchOptions, comparison, scenario
from tenants.models import Municipality

TARGET_RATIO = 0.8  # docs/bcp.md §10
MB = 1_000_000


def _town_schemas() -> list[str]:
    """Active towns that hold residents: an empty schema would measure process start-up, not a backup."""
    towns = Municipality.objects.filter(kind=Municipality.Kind.TOWN, status=Municipality.Status.ACTIVE)
    schemas = []
    with connection.cursor() as cursor:
        for schema in towns.order_by("schema_name").values_list("schema_name", flat=True):
            table = f"{connection.ops.quote_name(schema)}.resident_records_resident"  # a schema name from our rows
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
            if cursor.fetchone()[0]:
                schemas.append(schema)
    return schemas


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


def _plain_pg_dump(schemas: list[str], workdir: Path, pg_dump: str, level: int) -> tuple[float, int]:
    """``pg_dump -Fc --compress=0 | zstd -<level> > file`` per schema: the same dump, compressor and level."""
    size = 0
    started = time.perf_counter()
    for schema in schemas:
        target = workdir / f"{schema}.plain.pgc.zst"
        process = subprocess.Popen(
            [pg_dump, "--format=custom", "--compress=0", f"--schema={schema}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env=archive.tool_env(),
        )
        assert process.stdout is not None
        with open(target, "wb") as out:
            zstandard.ZstdCompressor(level=level).copy_stream(process.stdout, out, read_size=archive.CHUNK)
        if process.wait() != 0:
            raise DumpFailed(f"pg_dump が失敗しました (スキーマ {schema})。")
    seconds = time.perf_counter() - started
    for schema in schemas:
        target = workdir / f"{schema}.plain.pgc.zst"
        size += target.stat().st_size
        target.unlink()
    return seconds, size


@scenario("backup")
def backup_scenario(options: BenchOptions) -> dict[str, Any]:
    schemas = _town_schemas()
    if not schemas:
        raise DumpFailed(
            "住民データのある自治体 (種別: 構成団体) がありません。manage.py seed_demo を実行してください。"
        )
    key_refs = _key_refs()
    tools = archive.pg_tools()
    level = getattr(settings, "KYODO_BACKUP_ZSTD_LEVEL", 3)
    pipeline_mbps: list[float] = []
    plain_mbps: list[float] = []
    dump_sizes: list[int] = []
    artifact_sizes: list[int] = []
    plain_sizes: list[int] = []
    with tempfile.TemporaryDirectory(prefix="kyodo-bench-backup-") as tmp:
        workdir = Path(tmp)
        # Warm-up (buffer cache, imports), not timed: both sides then read the same warm pages.
        _, dump_size, _ = _pipeline(schemas, workdir, key_refs)
        _plain_pg_dump(schemas, workdir, tools.pg_dump, level)
        for run_no in range(options.repeat):
            order = ["pipeline", "plain"] if run_no % 2 == 0 else ["plain", "pipeline"]
            for side in order:
                if side == "pipeline":
                    seconds, dump_size, artifact_size = _pipeline(schemas, workdir, key_refs)
                    pipeline_mbps.append(dump_size / MB / seconds)
                    dump_sizes.append(dump_size)
                    artifact_sizes.append(artifact_size)
                else:
                    seconds, plain_size = _plain_pg_dump(schemas, workdir, tools.pg_dump, level)
                    # The same volume of data, so the ratio of the two rates is the ratio of the times.
                    plain_mbps.append(dump_size / MB / seconds)
                    plain_sizes.append(plain_size)
    line = comparison(
        unit="MB/s",
        samples=pipeline_mbps,
        baseline=(
            f"plain pg_dump -Fc --compress=0 -n <schema> piped through zstd level {level} (same compressor and level "
            "as the pipeline) for the same town schemas with the demo data, same run"
        ),
        baseline_samples=plain_mbps,
        schemas=schemas,
        dump_mb=round(statistics.median(dump_sizes) / MB, 3),
        artifact_mb=round(statistics.median(artifact_sizes) / MB, 3),
        plain_pg_dump_zstd_mb=round(statistics.median(plain_sizes) / MB, 3),
        zstd_level=level,
        warmup_runs=1,
        target_ratio=TARGET_RATIO,
    )
    line["meets_target"] = line["ratio_to_baseline"] is not None and line["ratio_to_baseline"] >= TARGET_RATIO
    return line
