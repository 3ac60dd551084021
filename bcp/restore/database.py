"""Connections, PostgreSQL tools and scratch databases of the restore; pg_restore and the comparison."""

from __future__ import annotations

import logging
import re
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection
from psycopg import sql

from bcp import archive
from bcp.restore.errors import RestoreError
from common import pgtools
from common.pgtools import PgToolUnusable
from common.tenancy import PUBLIC_EXTENSIONS

# The logger keeps the name it had before bcp/restore.py became a package.
logger = logging.getLogger("bcp.restore")

SCRATCH_PREFIX = "kyodo_drill_"


# --- Connections and PostgreSQL tools --------------------------------------------------------------


def conninfo(dbname: str | None = None) -> str:
    return archive.conninfo(dbname)


def live_database() -> str:
    return str(connection.settings_dict["NAME"])


def _tool(name: str) -> str:
    try:
        return pgtools.tool_path(name)
    except PgToolUnusable as exc:
        raise RestoreError(exc.message, details={"step": "find_tools", **exc.facts}) from exc


def _run_tool(args: list[str], *, step: str, message: str, dbname: str) -> None:
    try:
        result = subprocess.run(args, capture_output=True, text=True, env=archive.tool_env(dbname), check=False)
    except OSError as exc:
        raise RestoreError(f"{message}: {exc}", details={"step": step}) from exc
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-10:])
        raise RestoreError(f"{message}: {tail}", details={"step": step, "returncode": result.returncode})


def _quote(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def schema_exists(dbname: str, schema: str) -> bool:
    with psycopg.connect(conninfo(dbname), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone() is not None


def database_exists(dbname: str) -> bool:
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone() is not None


def create_database(dbname: str) -> None:
    """A new database like the live one (encoding, collation) with the extensions every town relies on."""
    with psycopg.connect(conninfo(), autocommit=True) as admin:
        row = admin.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database "
            "WHERE datname = current_database()"
        ).fetchone()
        assert row is not None
        encoding, collate, ctype = row
        try:
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}").format(
                    _quote(dbname), sql.Literal(encoding), sql.Literal(collate), sql.Literal(ctype)
                )
            )
        except psycopg.Error as exc:
            raise RestoreError(
                f"復元用のデータベース {dbname} を作成できません(CREATEDB 権限が必要です): {exc}",
                details={"step": "create_database", "database": dbname},
            ) from exc
    with psycopg.connect(conninfo(dbname), autocommit=True) as conn:
        for extension in PUBLIC_EXTENSIONS:
            available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", [extension]).fetchone()
            if available:  # a server without contrib has none, and its towns do not use it either
                conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {} SCHEMA public").format(_quote(extension)))


def drop_database(dbname: str) -> None:
    # WITH (FORCE): a connection left behind by a killed step must not keep the scratch copy alive.
    with psycopg.connect(conninfo(), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(_quote(dbname)))


def scratch_name(label: str) -> str:
    """``kyodo_drill_<label>_<random>``: the random part keeps apart runs whose drill ids coincide (several
    test databases, or a restored council database, on one server)."""
    return f"{SCRATCH_PREFIX}{label}_{secrets.token_hex(3)}"


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A throwaway database ``name``, dropped whatever happens."""
    create_database(name)
    try:
        yield name
    finally:
        try:
            drop_database(name)
        except psycopg.Error:
            logger.exception("could not drop the scratch database %s", name)


def restored_checksums(dbname: str, schema: str) -> dict[str, dict[str, Any]]:
    """Row count and checksum of every table of ``schema`` in ``dbname``, by the backup's own SQL."""
    with psycopg.connect(conninfo(dbname), autocommit=True) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction(), conn.cursor() as cursor:
            return {table: dict(value) for table, value in archive.table_checksums(cursor, schema).items()}


def compare_tables(expected: dict[str, Any], restored: dict[str, Any]) -> list[dict[str, Any]]:
    """Every difference between the manifest's tables and the restored ones (missing, unexpected, mismatch)."""
    return archive.compare_checksums(expected, restored)


# --- Restore ---------------------------------------------------------------------------------------


def pg_restore(*, dump: Path, dbname: str, jobs: int = 1) -> None:
    """pg_restore of a custom-format dump, stopping at the first error.

    Into a scratch database several jobs may run (a failure drops the whole database anyway); into the live
    database only one, in one transaction, so a failure leaves nothing behind.
    """
    args = [_tool("pg_restore"), "--exit-on-error", "--no-owner", "--no-privileges", f"--dbname={dbname}"]
    args += [f"--jobs={jobs}"] if jobs > 1 else ["--single-transaction"]
    use_list = _without_public_schema_entry(dump)
    if use_list is not None:
        args.append(f"--use-list={use_list}")
    _run_tool(
        [*args, str(dump)],
        step="pg_restore",
        message="pg_restore による復元に失敗しました",
        dbname=dbname,
    )


def _without_public_schema_entry(dump: Path) -> Path | None:
    """For a dump of the public schema: its table of contents without ``CREATE SCHEMA public``.

    Every database already has a public schema (holding the extensions the towns use, PUBLIC_EXTENSIONS), and
    pg_dump of ``--schema=public`` still emits its CREATE SCHEMA, which would stop the restore. Every other
    entry (tables, data, indexes, the schema's comment) is kept. Town dumps are restored as they are.
    """
    listing = subprocess.run([_tool("pg_restore"), "--list", str(dump)], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        raise RestoreError(
            f"バックアップの目録を読み取れません: {listing.stderr.strip()[-500:]}", details={"step": "pg_restore_list"}
        )
    lines = listing.stdout.splitlines(keepends=True)
    kept = [line for line in lines if not re.search(r"^\d+; \d+ \d+ SCHEMA - public ", line)]
    if len(kept) == len(lines):
        return None
    path = dump.with_name(dump.name + ".list")
    path.write_text("".join(kept), encoding="utf-8")
    return path
