"""The backup artifact: a consistent pg_dump of one schema, compressed with zstd and encrypted with age.

Format (version 1), at every site under ``<prefix>/<schema>/<YYYYMMDDTHHMMSSZ>/``:

* ``dump.pgc.zst.age`` — ``pg_dump --format=custom --compress=0 --schema=<schema>`` → zstd → age (x25519
  recipient of the site's ``encryption_key_ref``). age is authenticated encryption in 64 KiB chunks: a flipped
  byte or a wrong key is refused, never silently restored.
* ``manifest.json`` — plain JSON, not secret (see :func:`build_manifest`); written last, so its presence
  marks a complete copy.

The dump is taken from a snapshot exported by a REPEATABLE READ transaction (``pg_export_snapshot()`` and
``pg_dump --snapshot``); the per-table row counts and checksums are computed in that same transaction, so the
manifest describes exactly the data in the dump even while clerks keep working. The pipeline streams
pg_dump's output through zstd and age into a staging file: the dump is never held in memory.

The inverse primitives (:func:`sha256_file`, :func:`decrypt_to`, :func:`table_checksums`) are what restores and
drills use (bcp.restore).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import importlib.metadata
import json
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TypedDict, cast

import psycopg
import pyrage
import zstandard
from django.conf import settings

from bcp.errors import ArtifactTampered, ChecksumMismatch, DumpFailed, StagingFull, WrongKey
from bcp.keys import identity_for, recipient_for
from common import pgtools
from common.pgtools import PgTools, PgToolUnusable, conninfo, tool_env

FORMAT_VERSION = 1
ARTIFACT_NAME = "dump.pgc.zst.age"
MANIFEST_NAME = "manifest.json"
CHUNK = 1024 * 1024


class TableSum(TypedDict):
    rows: int
    checksum: str


# --- Keys of the artifact at a site -----------------------------------------------------------------------


def snapshot_stamp(snapshot_at: datetime) -> str:
    return snapshot_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def backup_dir_key(schema: str, snapshot_at: datetime, suffix: str = "") -> str:
    return f"{schema}/{snapshot_stamp(snapshot_at)}{'-' + suffix if suffix else ''}"


def artifact_key_for(schema: str, snapshot_at: datetime, suffix: str = "") -> str:
    """``<schema>/<YYYYMMDDTHHMMSSZ>/dump.pgc.zst.age``; ``suffix`` (``…Z-<suffix>/``) only tells apart two
    snapshots of one schema taken in the same second (two nights backed up by hand one after the other)."""
    return f"{backup_dir_key(schema, snapshot_at, suffix)}/{ARTIFACT_NAME}"


def manifest_key_for(artifact_key: str) -> str:
    """The manifest beside an artifact (``…/<stamp>/dump.pgc.zst.age`` → ``…/<stamp>/manifest.json``)."""
    return f"{artifact_key.rsplit('/', 1)[0]}/{MANIFEST_NAME}"


# --- Table checksums (the same SQL on both sides) -------------------------------------------------------

# Text output of dates, intervals, floats and bytea depends on session settings; fixing them makes the
# checksum of a table the same on the primary and on a restored copy, whatever the connection's defaults.
_CANONICAL_SETTINGS = {
    "TimeZone": "UTC",
    "DateStyle": "ISO, YMD",
    "IntervalStyle": "postgres",
    "extra_float_digits": "3",
    "bytea_output": "hex",
}

_TABLES_SQL = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY c.relname
"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_checksum_sql(schema: str, table: str) -> str:
    """Row count and an order-independent checksum of a table: the sum (mod 2^64) of the first 64 bits of the
    MD5 of each row's text form. Order-independent because a restored table has another physical order;
    a sum needs no sort, so a 300,000-row table is checked in one sequential scan."""
    row_hash = "('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric"
    # Identifiers are quoted and come from pg_class, never from user input.
    return f"SELECT count(*), coalesce(sum({row_hash}), 0)::text FROM {_quote(schema)}.{_quote(table)} AS t"  # noqa: S608


def table_checksums(cursor: Any, schema: str) -> dict[str, TableSum]:
    """``{table: {"rows": n, "checksum": "<16 hex>"}}`` for every table of ``schema``, read through ``cursor``
    (a Django or psycopg cursor). Call it inside the transaction whose snapshot you want to describe."""
    saved: dict[str, str] = {}
    for name, value in _CANONICAL_SETTINGS.items():
        cursor.execute("SELECT current_setting(%s), set_config(%s, %s, false)", [name, name, value])
        saved[name] = cursor.fetchone()[0]
    try:
        cursor.execute(_TABLES_SQL, [schema])
        tables = [row[0] for row in cursor.fetchall()]
        sums: dict[str, TableSum] = {}
        for table in tables:
            cursor.execute(table_checksum_sql(schema, table))
            rows, total = cursor.fetchone()
            sums[table] = {"rows": int(rows), "checksum": f"{int(total) % 2**64:016x}"}
        return sums
    finally:
        for name, value in saved.items():
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])


def compare_checksums(expected: dict[str, Any], actual: dict[str, Any]) -> list[dict[str, Any]]:
    """Every difference between a manifest's tables and a restored copy's (missing, extra, rows, checksum)."""
    differences: list[dict[str, Any]] = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if want is None or got is None:
            differences.append({"table": table, "problem": "missing" if got is None else "unexpected"})
        elif want["rows"] != got["rows"] or want["checksum"] != got["checksum"]:
            differences.append({"table": table, "problem": "mismatch", "expected": want, "actual": got})
    return differences


# --- PostgreSQL client tools ----------------------------------------------------------------------------


def pg_tools() -> PgTools:
    """pg_dump and pg_restore of a backup (common.pgtools: at least the server's version)."""
    try:
        return pgtools.pg_tools()
    except PgToolUnusable as exc:
        raise DumpFailed(exc.message, details=exc.facts) from exc


@contextlib.contextmanager
def exported_snapshot(dbname: str | None = None) -> Iterator[tuple[psycopg.Connection[Any], str, datetime]]:
    """A read-only REPEATABLE READ transaction, its exported snapshot id and the time of the snapshot."""
    with psycopg.connect(conninfo(dbname), client_encoding="UTF8", autocommit=True) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            row = conn.execute("SELECT pg_export_snapshot(), clock_timestamp()").fetchone()
            assert row is not None
            yield conn, row[0], row[1]


# --- The streaming pipeline: pg_dump → zstd → age → staging file ---------------------------------------------


class _CountingReader:
    """pg_dump's stdout, counting the bytes of the dump for the manifest and the progress bar."""

    def __init__(self, source: IO[bytes], progress: Callable[[int], None] | None) -> None:
        self.source = source
        self.count = 0
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.count += len(data)
        if self.progress is not None and data:
            self.progress(self.count)
        return data

    def readable(self) -> bool:
        return True


class _HashingWriter:
    """The staging file, hashed as it is written (SHA-256 of the artifact without reading it again)."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.digest = hashlib.sha256()
        self.count = 0
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        try:
            written = self.target.write(data)
        except OSError as exc:
            # pyrage turns an exception of the callback into its own error; keep the real cause (ENOSPC).
            self.error = exc
            raise
        self.digest.update(data)
        self.count += len(data)
        return written

    def flush(self) -> None:
        self.target.flush()

    def writable(self) -> bool:
        return True


@dataclass
class DumpResult:
    schema: str
    path: Path
    snapshot_at: datetime
    dump_bytes: int
    size_bytes: int
    sha256: str
    tables: dict[str, TableSum]
    server_version: str
    pg_dump_version: str
    key_refs: list[str]
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)


def encrypt_stream(
    source: IO[bytes],
    target: Path,
    *,
    key_refs: Sequence[str],
    level: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int, str]:
    """Compress and encrypt ``source`` into the file ``target``: (plain bytes, artifact bytes, sha256).

    Encrypted to every key of ``key_refs`` (sites may use different keys): any one of them decrypts it."""
    recipients = [recipient_for(ref) for ref in key_refs]
    reader = _CountingReader(source, progress)
    compressor = zstandard.ZstdCompressor(
        level=level if level is not None else getattr(settings, "KYODO_BACKUP_ZSTD_LEVEL", 3)
    )
    with open(target, "wb") as out:
        writer = _HashingWriter(out)
        try:
            with compressor.stream_reader(cast(IO[bytes], reader), read_size=CHUNK, closefd=False) as compressed:
                pyrage.encrypt_io(compressed, writer, recipients)
        except Exception as exc:
            if writer.error is not None:
                raise writer.error from exc
            raise
    return reader.count, writer.count, writer.digest.hexdigest()


def _is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _schema_size(conn: psycopg.Connection[Any], schema: str) -> int:
    """Heap and TOAST bytes of the schema's tables: the denominator of the dump's progress bar."""
    row = conn.execute(
        """
        SELECT coalesce(sum(pg_table_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind = 'r'
        """,
        [schema],
    ).fetchone()
    return int(row[0]) if row else 0


# long: one procedure whose steps share one try block and its clean-up (locks, temporary files, the recorded outcome);
# split, each step would repeat the clean-up
def dump_schema(
    *,
    schema: str,
    target: Path,
    key_refs: Sequence[str],
    progress: Callable[[float], None] | None = None,
    tools: PgTools | None = None,
) -> DumpResult:
    """Dump ``schema`` into the encrypted artifact ``target`` and describe it; nothing is left at ``target``
    (or beside it) unless the whole pipeline succeeded. ``progress`` receives a fraction 0–1 of the dump."""
    tools = tools or pg_tools()
    key_refs = list(key_refs)
    for ref in key_refs:
        recipient_for(ref)  # a missing key fails before anything is dumped
    partial = target.with_name(f".{target.name}.part")
    started = time.monotonic()
    process: subprocess.Popen[bytes] | None = None
    outcome: dict[str, Any] = {}
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below, after pg_dump has exited)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with exported_snapshot() as (conn, snapshot_id, snapshot_at):
            estimate = max(_schema_size(conn, schema), 1)
            process = subprocess.Popen(
                [tools.pg_dump, "--format=custom", "--compress=0", f"--schema={schema}", f"--snapshot={snapshot_id}"],
                stdout=subprocess.PIPE,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                env=tool_env(),
            )
            assert process.stdout is not None
            stdout = process.stdout

            def on_bytes(count: int) -> None:
                if progress is not None:
                    progress(min(count / estimate, 0.99))

            def checksums() -> None:
                try:
                    with conn.cursor() as cursor:
                        outcome["tables"] = table_checksums(cursor, schema)
                except BaseException as exc:  # re-raised in the calling thread
                    outcome["error"] = exc

            # The checksums are computed while pg_dump streams: both read the same snapshot, and on a two-core
            # server this keeps the backup close to the time of a plain pg_dump. The pipeline stays in this
            # thread, so the progress callback may use this thread's Django connection.
            thread = threading.Thread(target=checksums, name=f"bcp-checksums-{schema}", daemon=True)
            thread.start()
            try:
                outcome["result"] = encrypt_stream(stdout, partial, key_refs=key_refs, progress=on_bytes)
                returncode = process.wait()
            except BaseException:
                process.kill()
                conn.cancel_safe()
                raise
            finally:
                # The exporting transaction stays open until pg_dump and the checksums are done with it.
                thread.join()
        if "error" in outcome:
            raise outcome["error"]
        if returncode != 0:
            stderr.seek(0)
            tail = "\n".join(stderr.read().decode("utf-8", "replace").strip().splitlines()[-10:])
            raise DumpFailed(
                f"pg_dump によるスキーマ {schema} の取得に失敗しました: {tail}",
                details={"schema": schema, "returncode": returncode},
            )
        dump_bytes, size_bytes, sha256 = outcome["result"]
        tables = outcome["tables"]
        os.replace(partial, target)
    except BaseException as exc:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        partial.unlink(missing_ok=True)
        if _is_disk_full(exc):
            raise StagingFull(details={"schema": schema, "staging": str(target.parent), "error": str(exc)}) from exc
        raise
    finally:
        stderr.close()
    return DumpResult(
        schema=schema,
        path=target,
        snapshot_at=snapshot_at,
        dump_bytes=dump_bytes,
        size_bytes=size_bytes,
        sha256=sha256,
        tables=tables,
        server_version=tools.server_version,
        pg_dump_version=tools.pg_dump_version,
        key_refs=key_refs,
        seconds=time.monotonic() - started,
    )


# --- Manifest -------------------------------------------------------------------------------------------------


def app_version() -> str:
    try:
        return importlib.metadata.version("kyodo")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def build_manifest(result: DumpResult, *, artifact_key: str) -> dict[str, Any]:
    """The manifest of format version 1 (plain JSON; holds no secret, only the key's reference name)."""
    return {
        "format_version": FORMAT_VERSION,
        "schema": result.schema,
        "snapshot_at": result.snapshot_at.astimezone(UTC).isoformat(),
        "artifact": {
            "key": artifact_key,
            "name": ARTIFACT_NAME,
            "sha256": result.sha256,
            "size": result.size_bytes,
            "encoding": ["pg_dump --format=custom --compress=0", "zstd", "age-x25519"],
        },
        "dump_size": result.dump_bytes,
        "tables": {name: dict(value) for name, value in sorted(result.tables.items())},
        "postgresql_version": result.server_version,
        "pg_dump_version": result.pg_dump_version,
        "app_version": app_version(),
        "key_ref": result.key_refs[0],  # any of key_refs decrypts the artifact
        "key_refs": result.key_refs,
        "created_at": datetime.now(UTC).isoformat(),
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def parse_manifest(data: bytes) -> dict[str, Any]:
    manifest = json.loads(data.decode("utf-8"))
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactTampered(
            "マニフェストの形式が不明です。", details={"format_version": manifest.get("format_version")}
        )
    return manifest


# --- Inverse primitives (restores and drills) ----------------------------------------------------------------


def sha256_file(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(path: Path | str, expected: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise ChecksumMismatch(details={"expected": expected, "actual": actual, "path": str(path)})


def decrypt_to(path_in: Path | str, path_out: Path | str, *, key_ref: str) -> int:
    """Decrypt and decompress an artifact into the plain pg_dump archive ``path_out`` (for pg_restore).

    Returns the archive's size. A wrong key raises :class:`WrongKey`; a tampered or truncated artifact raises
    :class:`ArtifactTampered`; in both cases ``path_out`` is removed (age authenticates each chunk, so some
    plaintext may have been written before the bad chunk was reached)."""
    identity = identity_for(key_ref)
    out_path = Path(path_out)
    try:
        with open(path_in, "rb") as source, open(out_path, "wb") as out:
            writer = zstandard.ZstdDecompressor().stream_writer(out, closefd=False)
            pyrage.decrypt_io(source, writer, [identity])
            writer.flush()
        return out_path.stat().st_size
    except pyrage.DecryptError as exc:
        out_path.unlink(missing_ok=True)
        if "no matching keys" in str(exc).lower():
            raise WrongKey(details={"key_ref": key_ref}) from exc
        raise ArtifactTampered(details={"error": str(exc)}) from exc
    except (OSError, zstandard.ZstdError) as exc:
        out_path.unlink(missing_ok=True)
        if _is_disk_full(exc):
            raise StagingFull(details={"error": str(exc)}) from exc
        raise ArtifactTampered(details={"error": str(exc)}) from exc
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise
