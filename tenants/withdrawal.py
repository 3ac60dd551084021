"""A member town leaving the council (脱退), as 須崎市 did in 2016.

The town's data leaves with it: every table of its schema is exported as a restorable ``pg_dump`` archive
and as one CSV per table, with a manifest of SHA-256 hashes and row counts. The archive is then proved
by restoring it into a scratch database and comparing every table's row count. Only after that proof is
the town marked withdrawn (which already refuses every request and every membership) and, with
``drop=True``, its schema dropped. Any failure before that point leaves the town active, drops nothing
and removes the partial archive.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context
from psycopg import sql

from common import audit, pgtools
from common.errors import ApplicationError
from common.pgtools import PgTools, PgToolUnusable, conninfo, tool_env
from common.tenancy import PUBLIC_EXTENSIONS
from tenants.errors import MunicipalityNotFound, WithdrawalFailed
from tenants.models import Domain, Municipality, Person

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
CHECKSUMS_NAME = "manifest.sha256"
MANIFEST_FORMAT = "kyodo-withdrawal-archive/1"

# Table names become file names and sha256sum lines; a town's tables are created by our migrations,
# so anything else means the schema was altered by hand and deserves a look before it is archived.
_PLAIN_TABLE_NAME = re.compile(r"^[a-z0-9_]+$")


class WithdrawalRefused(ApplicationError):
    code = "withdrawal_refused"
    message = "この自治体は脱退処理の対象にできません。"
    status_code = 409


@dataclass(frozen=True)
class WithdrawalReport:
    municipality: Municipality
    archive_dir: Path
    manifest_sha256: str
    row_counts: dict[str, int]
    dropped: bool

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())


# long: one procedure whose steps share one try block and its clean-up (locks, temporary files, the recorded outcome);
# split, each step would repeat the clean-up
def withdraw_municipality(
    *, actor: Person | None, schema: str, archive_dir: Path | str, drop: bool = False
) -> WithdrawalReport:
    """Archive a town's schema, prove the archive restores, then mark the town withdrawn (and drop it).

    Refuses the public schema, the council tenant, an unknown schema, an already withdrawn town and an
    archive directory that cannot be written, with nothing changed.
    """
    municipality = _withdrawable_town(schema)
    archive_root = Path(archive_dir)
    _check_archive_root(archive_root)
    tools = _pg_tools()
    _check_self_contained(schema)

    started = timezone.now()
    target = _create_archive_dir(archive_root, schema, started)
    try:
        # Written before the export so that the archived trail itself records that it was exported.
        with schema_context(schema):
            audit.record(
                actor=actor,
                action="municipality.withdraw_export",
                obj=municipality,
                details={"archive": str(target), "drop": drop},
            )
        row_counts = _export(schema=schema, target=target, tools=tools)
        files = _file_entries(target)
        _check_csv_counts(target, row_counts)
        restored = _restored_row_counts(dump_file=target / _dump_name(schema), schema=schema, tools=tools)
        problems = _count_mismatches(expected=row_counts, restored=restored)
        if problems:
            raise WithdrawalFailed(
                "退避ファイルを復元した結果が元のデータと一致しません。脱退処理を中止しました(自治体は運用中のままです)。",
                details={"step": "verify_restore", "mismatches": problems},
            )
        manifest = _manifest(
            municipality=municipality, tools=tools, started=started, files=files, row_counts=row_counts
        )
        manifest_sha256 = _write_manifest(target, manifest)
        _commit_withdrawal(
            actor=actor,
            municipality=municipality,
            target=target,
            manifest_sha256=manifest_sha256,
            row_counts=row_counts,
            drop=drop,
        )
    except BaseException as exc:
        # A partial archive of residents' personal data has no purpose once the withdrawal failed, and
        # leaving it around would be a copy nobody accounts for; the error carries the reason instead.
        shutil.rmtree(target, ignore_errors=True)
        failure = (
            exc
            if isinstance(exc, ApplicationError)
            else WithdrawalFailed(details={"step": "unexpected", "error": f"{type(exc).__name__}: {exc}"[:500]})
        )
        _record_failure(actor=actor, municipality=municipality, target=target, failure=failure)
        if isinstance(exc, ApplicationError | KeyboardInterrupt | SystemExit):
            raise
        raise failure from exc
    municipality.refresh_from_db()
    return WithdrawalReport(
        municipality=municipality,
        archive_dir=target,
        manifest_sha256=manifest_sha256,
        row_counts=row_counts,
        dropped=drop,
    )


def _record_failure(
    *, actor: Person | None, municipality: Municipality, target: Path, failure: ApplicationError
) -> None:
    """Tell the council trail that a copy of the town's data was made and removed again.

    Best effort: when the database itself is what failed, this row cannot be written either, and the
    original error is the one the operator needs to see.
    """
    try:
        audit.record(
            actor=actor,
            action="municipality.withdraw_failed",
            obj=municipality,
            details={
                "schema": municipality.schema_name,
                "archive_removed": str(target),
                "code": failure.code,
                "details": failure.details,
            },
            council=True,
        )
    except Exception:
        logger.exception("could not record the failed withdrawal of %s", municipality.schema_name)


# --- Preconditions ---------------------------------------------------------------------------------


def _withdrawable_town(schema: str) -> Municipality:
    if schema == get_public_schema_name():
        raise WithdrawalRefused(
            "public スキーマ(協議会の共通データ)は脱退処理の対象にできません。",
            code="withdrawal_public_schema",
            details={"schema": schema},
        )
    municipality = Municipality.objects.filter(schema_name=schema).first()
    if municipality is None:
        raise MunicipalityNotFound(f"スキーマ {schema} の自治体は登録されていません。", details={"schema": schema})
    if municipality.kind != Municipality.Kind.TOWN:
        raise WithdrawalRefused(
            f"「{municipality.name}」は構成団体ではない(協議会)ため、脱退処理の対象にできません。",
            code="withdrawal_not_a_town",
            details={"schema": schema, "kind": municipality.kind},
        )
    if municipality.status == Municipality.Status.WITHDRAWN:
        raise WithdrawalRefused(
            f"「{municipality.name}」は既に脱退済みです。",
            code="already_withdrawn",
            details={"schema": schema, "withdrawn_at": municipality.withdrawn_at},
        )
    return municipality


def _check_archive_root(root: Path) -> None:
    if not root.is_dir():
        raise WithdrawalRefused(
            f"退避先ディレクトリ {root} が存在しないか、ディレクトリではありません。",
            code="archive_dir_not_writable",
            details={"archive": str(root)},
        )
    if not os.access(root, os.W_OK | os.X_OK):
        raise WithdrawalRefused(
            f"退避先ディレクトリ {root} に書き込めません(権限を確認してください)。",
            code="archive_dir_not_writable",
            details={"archive": str(root)},
        )


def _create_archive_dir(root: Path, schema: str, started: datetime) -> Path:
    target = root / f"{schema}-{started.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    try:
        # mode 0o700: the archive holds residents' personal data; exist_ok=False never overwrites one.
        target.mkdir(mode=0o700)
    except FileExistsError as exc:
        raise WithdrawalRefused(
            f"退避先 {target} は既に存在します。既存の退避データは上書きしません。",
            code="archive_exists",
            details={"archive": str(target)},
        ) from exc
    except OSError as exc:
        raise WithdrawalRefused(
            f"退避先ディレクトリ {root} に書き込めません: {exc.strerror}",
            code="archive_dir_not_writable",
            details={"archive": str(root)},
        ) from exc
    (target / "csv").mkdir(mode=0o700)
    return target


def _check_self_contained(schema: str) -> None:
    """Town tables have no foreign keys into other schemas, nor other schemas into them.

    The first makes the dump restorable on its own; the second matters for DROP SCHEMA ... CASCADE, which
    would otherwise silently drop a constraint living outside the town.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conname, src_ns.nspname || '.' || src.relname, dst_ns.nspname || '.' || dst.relname
            FROM pg_constraint c
            JOIN pg_class src ON src.oid = c.conrelid
            JOIN pg_namespace src_ns ON src_ns.oid = src.relnamespace
            JOIN pg_class dst ON dst.oid = c.confrelid
            JOIN pg_namespace dst_ns ON dst_ns.oid = dst.relnamespace
            WHERE c.contype = 'f' AND (src_ns.nspname = %s) <> (dst_ns.nspname = %s)
            ORDER BY 1
            """,
            [schema, schema],
        )
        crossing = [f"{name}: {source} -> {referenced}" for name, source, referenced in cursor.fetchall()]
    if crossing:
        raise WithdrawalFailed(
            "この自治体のテーブルと他のスキーマの間に外部キーがあるため、単独で復元できる退避データを作成できません。",
            details={"step": "check_self_contained", "foreign_keys": crossing},
        )


# --- PostgreSQL client tools -------------------------------------------------------------------------


def _pg_tools() -> PgTools:
    try:
        return pgtools.pg_tools()
    except PgToolUnusable as exc:
        raise WithdrawalFailed(exc.message, details={"step": "find_tools", **exc.facts}) from exc


def _run_tool(args: list[str], *, step: str, message: str, dbname: str | None = None) -> None:
    try:
        result = subprocess.run(args, capture_output=True, text=True, env=tool_env(dbname), check=False)
    except OSError as exc:
        raise WithdrawalFailed(f"{message}: {exc}", details={"step": step}) from exc
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-10:])
        raise WithdrawalFailed(f"{message}: {tail}", details={"step": step, "returncode": result.returncode})


# --- Export --------------------------------------------------------------------------------------


def _dump_name(schema: str) -> str:
    return f"{schema}.dump"


@contextmanager
def _snapshot(dbname: str | None = None) -> Iterator[tuple[psycopg.Connection[Any], str]]:
    """A read-only REPEATABLE READ transaction whose snapshot pg_dump shares (pg_dump --snapshot).

    The dump, the CSV files and the row counts are then all taken from the same instant, even if a
    clerk is still saving something while the town is being archived.
    """
    with psycopg.connect(conninfo(dbname), client_encoding="UTF8", autocommit=True) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            row = conn.execute("SELECT pg_export_snapshot()").fetchone()
            assert row is not None
            yield conn, row[0]


def _tables(conn: psycopg.Connection[Any], schema: str) -> list[str]:
    rows = conn.execute(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        ORDER BY c.relname
        """,
        [schema],
    ).fetchall()
    return [row[0] for row in rows]


def _row_counts(conn: psycopg.Connection[Any], schema: str) -> dict[str, int]:
    counts = {}
    for table in _tables(conn, schema):
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        row = conn.execute(query).fetchone()
        assert row is not None
        counts[table] = int(row[0])
    return counts


def _export(*, schema: str, target: Path, tools: PgTools) -> dict[str, int]:
    with _snapshot() as (conn, snapshot_id):
        counts = _row_counts(conn, schema)
        odd = [table for table in counts if not _PLAIN_TABLE_NAME.match(table)]
        if odd:
            raise WithdrawalFailed(
                "想定外の名前のテーブルがあります。スキーマを確認してください。",
                details={"step": "export", "tables": odd},
            )
        _run_tool(
            [
                tools.pg_dump,
                "--format=custom",
                f"--schema={schema}",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot_id}",
                f"--file={target / _dump_name(schema)}",
            ],
            step="pg_dump",
            message="pg_dump による退避に失敗しました",
        )
        for table in counts:
            query = sql.SQL("COPY (SELECT * FROM {}.{}) TO STDOUT WITH (FORMAT csv, HEADER)").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            csv_path = target / "csv" / f"{table}.csv"
            with open(csv_path, "wb") as out, conn.cursor() as cursor, cursor.copy(query) as copy:
                for block in copy:
                    out.write(block)
    return counts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_entries(target: Path) -> list[dict[str, Any]]:
    files = sorted(path for path in target.rglob("*") if path.is_file())
    return [
        {"path": path.relative_to(target).as_posix(), "sha256": _sha256(path), "bytes": path.stat().st_size}
        for path in files
    ]


def csv_row_count(path: Path) -> int:
    """Records in a CSV file written by COPY ... HEADER (a quoted field may span lines)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def _check_csv_counts(target: Path, row_counts: dict[str, int]) -> None:
    # Read back from disk: catches a full disk or a truncated write that COPY itself never saw.
    wrong = {
        table: {"expected": expected, "csv": found}
        for table, expected in row_counts.items()
        if (found := csv_row_count(target / "csv" / f"{table}.csv")) != expected
    }
    if wrong:
        raise WithdrawalFailed(
            "CSV ファイルの行数が元のデータと一致しません。脱退処理を中止しました(自治体は運用中のままです)。",
            details={"step": "verify_csv", "mismatches": wrong},
        )


# --- Proof of restore --------------------------------------------------------------------------------


def _scratch_database_name() -> str:
    return f"kyodo_verify_{secrets.token_hex(6)}"


def _restored_row_counts(*, dump_file: Path, schema: str, tools: PgTools) -> dict[str, int]:
    """Restore the dump into a scratch database and count every table there.

    A scratch *database*, not a scratch schema: pg_restore cannot rename a schema, so the dump only
    restores under its own name — which, in the live database, is the town's schema itself. A fresh
    database also proves the dump needs nothing from the public schema (no foreign keys, functions or
    types outside the town), because nothing else exists there — except the extensions the platform
    provides to every town (common.tenancy.PUBLIC_EXTENSIONS), which are created first, as on any server
    that would receive the archive.
    """
    scratch = _scratch_database_name()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database "
            "WHERE datname = current_database()"
        )
        encoding, collate, ctype = cursor.fetchone()
    create = sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}").format(
        sql.Identifier(scratch), sql.Literal(encoding), sql.Literal(collate), sql.Literal(ctype)
    )
    try:
        with psycopg.connect(conninfo(), autocommit=True) as admin:
            admin.execute(create)
    except psycopg.Error as exc:
        raise WithdrawalFailed(
            f"復元確認用の一時データベースを作成できません(CREATEDB 権限が必要です): {exc}",
            details={"step": "verify_restore"},
        ) from exc
    try:
        with psycopg.connect(conninfo(scratch), autocommit=True) as scratch_conn:
            for extension in PUBLIC_EXTENSIONS:
                available = scratch_conn.execute(
                    "SELECT 1 FROM pg_available_extensions WHERE name = %s", [extension]
                ).fetchone()
                if available:  # a server without contrib has none, and its towns do not use it either
                    scratch_conn.execute(
                        sql.SQL("CREATE EXTENSION IF NOT EXISTS {} SCHEMA public").format(sql.Identifier(extension))
                    )
        # --exit-on-error and one transaction: any error (e.g. a reference to an object outside the
        # town's schema) fails the proof instead of being printed as a warning and skipped.
        _run_tool(
            [
                tools.pg_restore,
                "--exit-on-error",
                "--single-transaction",
                "--no-owner",
                "--no-privileges",
                f"--dbname={scratch}",
                str(dump_file),
            ],
            step="verify_restore",
            message="退避ファイルを一時データベースに復元できませんでした",
            dbname=scratch,
        )
        with psycopg.connect(conninfo(scratch)) as restored:
            return _row_counts(restored, schema)
    finally:
        with psycopg.connect(conninfo(), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))


def _count_mismatches(*, expected: dict[str, int], restored: dict[str, int]) -> dict[str, dict[str, int | None]]:
    return {
        table: {"expected": expected.get(table), "restored": restored.get(table)}
        for table in sorted(set(expected) | set(restored))
        if expected.get(table) != restored.get(table)
    }


# --- Manifest ----------------------------------------------------------------------------------------


def app_version() -> str:
    try:
        return importlib.metadata.version("kyodo")
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        pyproject = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text(encoding="utf-8"))
        return str(pyproject["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _manifest(
    *,
    municipality: Municipality,
    tools: PgTools,
    started: datetime,
    files: list[dict[str, Any]],
    row_counts: dict[str, int],
) -> dict[str, Any]:
    schema = municipality.schema_name
    return {
        "format": MANIFEST_FORMAT,
        "municipality": {
            "name": municipality.name,
            "name_kana": municipality.name_kana,
            "code": municipality.code,
            "schema": schema,
            "domains": sorted(Domain.objects.filter(tenant=municipality).values_list("domain", flat=True)),
        },
        "created_at": started.astimezone(UTC).isoformat(),
        "verified_at": timezone.now().astimezone(UTC).isoformat(),
        "postgresql_server_version": tools.server_version,
        "pg_dump_version": tools.pg_dump_version,
        "pg_restore_version": tools.pg_restore_version,
        "app_version": app_version(),
        "dump": {
            "path": _dump_name(schema),
            "format": "pg_dump custom (--schema --no-owner --no-privileges)",
            "restore": f"createdb <db> && pg_restore --no-owner --no-privileges --dbname=<db> {_dump_name(schema)}",
        },
        "verification": {
            "method": "pg_restore into a scratch database; every table's row count compared with the "
            "export snapshot and with the CSV files",
            "result": "passed",
        },
        "tables": {table: {"rows": rows, "csv": f"csv/{table}.csv"} for table, rows in row_counts.items()},
        "files": files,
    }


def _write_manifest(target: Path, manifest: dict[str, Any]) -> str:
    """Write manifest.json and manifest.sha256 (``sha256sum -c manifest.sha256`` verifies every file)."""
    manifest_path = target / MANIFEST_NAME
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    manifest_sha256 = _sha256(manifest_path)
    lines = [f"{entry['sha256']}  {entry['path']}\n" for entry in manifest["files"]]
    lines.append(f"{manifest_sha256}  {MANIFEST_NAME}\n")
    (target / CHECKSUMS_NAME).write_text("".join(lines), encoding="utf-8")
    # Personal data: owner-only files too, in case the directory mode is loosened later (e.g. to share it).
    for path in target.rglob("*"):
        path.chmod(0o600 if path.is_file() else 0o700)
    return manifest_sha256


# --- State change ------------------------------------------------------------------------------------


def _commit_withdrawal(
    *,
    actor: Person | None,
    municipality: Municipality,
    target: Path,
    manifest_sha256: str,
    row_counts: dict[str, int],
    drop: bool,
) -> None:
    schema = municipality.schema_name
    with transaction.atomic():
        # Re-checked under the row lock: a second withdrawal that ran meanwhile wins, this one fails
        # (and its archive is removed) rather than writing a second council record.
        locked = Municipality.objects.select_for_update().get(pk=municipality.pk)
        if locked.status == Municipality.Status.WITHDRAWN:
            raise WithdrawalRefused(
                f"「{locked.name}」は処理中に別の操作で脱退済みになりました。",
                code="already_withdrawn",
                details={"schema": schema},
            )
        # Memberships are left as they are: Membership.objects.active() requires an active town, so a
        # withdrawn town's memberships stop granting anything while their history stays intact.
        locked.status = Municipality.Status.WITHDRAWN
        locked.withdrawn_at = timezone.now()
        locked.save(update_fields=["status", "withdrawn_at"])
        if drop:
            # DROP SCHEMA is transactional in PostgreSQL: if anything below fails, the schema is back.
            Domain.objects.filter(tenant=locked).delete()
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA {connection.ops.quote_name(schema)} CASCADE")
        audit.record(
            actor=actor,
            action="municipality.withdraw",
            obj=locked,
            details={
                "schema": schema,
                "code": locked.code,
                "archive": str(target),
                "manifest_sha256": manifest_sha256,
                "tables": len(row_counts),
                "rows": sum(row_counts.values()),
                "schema_dropped": drop,
            },
            council=True,
        )
