"""The near-real-time standby: PostgreSQL logical replication of every town schema and the public schema.

Issue 5 §5. The primary is the Django default database; a standby is a second PostgreSQL (at the inland site)
named by ``Standby.dsn_ref`` in ``settings.KYODO_STANDBY_DSNS``. Only PostgreSQL's own machinery moves data:
a publication ``FOR TABLES IN SCHEMA`` (PostgreSQL 15) on the primary, a subscription on the standby.

What logical replication does not carry, and how this module makes up for it:

* **DDL** — the table structure is copied once with ``pg_dump --schema-only`` (plus the extensions the
  schemas use), and every re-run copies the tables and columns a migration added since (``_sync_structure``).
  Until that re-run, the apply worker stops on the first change to a table the standby lacks; it retries and
  the slot keeps the WAL, so nothing is lost, and the lag alert says so.
* **Sequences** — not replicated in PostgreSQL 15. The standby's sequences stay at their start until
  :func:`promote_standby` sets each one past the largest value in use (identity/serial columns, and the
  宛名番号/世帯番号 sequences of resident_records, whose numbers carry a check digit).
* **Rows without a key** — a published table needs a replica identity, or UPDATE/DELETE on the *primary* fail.
  Tables with neither a primary key nor a replica-identity index get ``REPLICA IDENTITY FULL``.
* **Triggers** — the append-only audit and history triggers exist on the standby too (they come with the
  schema) but are ``ENABLE``d in origin mode: the apply worker runs with ``session_replication_role =
  replica``, so they never block replication, while every local session on the standby (and the promoted
  standby) is still refused an UPDATE or DELETE of audit rows.

Lag is measured by a heartbeat: :func:`measure_lag` commits a ``LagSample`` row on the primary (the table is
in ``public``, so it is replicated) and times, with one monotonic clock, how long until that row is visible on
the standby. That is the age of the newest change the standby lacks — the data a failover would lose (RPO) —
and it is right when the primary is idle too, where ``pg_stat_replication.replay_lag`` turns NULL after a
while and, for logical replication, measures when the subscriber *acknowledged* (its feedback is batched),
not when the rows became visible. ``replay_lag``/``write_lag`` and the byte distance of the slot
(``pg_wal_lsn_diff``) are kept beside it in ``Standby.details`` for diagnosis.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_exists
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from bcp.models import AlertSeverity, BackupSite, BcpAlert, LagSample, Standby
from common import audit
from common.bench import BENCH_SCHEMA_PREFIX
from common.errors import ApplicationError, NotFound

if TYPE_CHECKING:
    from tenants.models import Person

AUDIT_LABELS = {
    "bcp.standby.setup": "BCP: 待機系への論理レプリケーションを構成",
    "bcp.standby.promote": "BCP: 待機系を本番系に昇格",
}

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
ALERT_LAG = "standby_lag"
ALERT_UNPROTECTED_SCHEMA = "standby_schema_missing"

# Sequences that no column owns: the 宛名番号 / 世帯番号 of resident_records (numbering.py) are the serial
# followed by one check digit (住民記録システム標準仕様書 §1.1.13), so the serial in use is the number minus its
# last digit. (schema-relative sequence name) -> (table, column).
CHECK_DIGIT_SEQUENCES = {
    "resident_records_atena_seq": ("resident_records_resident", "atena_number"),
    "resident_records_household_seq": ("resident_records_household", "number"),
}


# --- Errors ------------------------------------------------------------------------------------------------


class StandbyError(ApplicationError):
    code = "standby_error"
    message = "待機系の処理に失敗しました。"


class InvalidStandbyName(StandbyError):
    code = "standby_invalid_name"
    message = "待機系の名称は英小文字で始まる英小文字・数字・下線(40文字まで)で指定してください。"


class StandbyNotFound(NotFound):
    code = "standby_not_found"
    message = "指定された待機系が見つかりません。"


class StandbySiteNotFound(NotFound):
    code = "standby_site_not_found"
    message = "指定されたバックアップサイトが見つかりません。"


class StandbyDsnMissing(StandbyError):
    code = "standby_dsn_missing"
    message = "待機系の接続先が設定されていません (settings.KYODO_STANDBY_DSNS に参照名がありません)。"


class WalLevelNotLogical(StandbyError):
    code = "standby_wal_level_not_logical"
    message = (
        "本番系の wal_level が logical ではありません。postgresql.conf に wal_level = logical を設定し、"
        "PostgreSQL を再起動してから再実行してください。"
    )


class StandbyUnreachable(StandbyError):
    code = "standby_unreachable"
    message = "待機系のデータベースに接続できません。"


class StandbyNotEmpty(StandbyError):
    code = "standby_not_empty"
    message = (
        "待機系のデータベースには購読がないのにデータがあります (昇格済みの旧待機系など)。"
        "新しい空のデータベースを待機系に指定してください。"
    )


class StructureCopyFailed(StandbyError):
    code = "standby_structure_copy_failed"
    message = "待機系へのテーブル構造の複写に失敗しました。"


class ReplicationCommandFailed(StandbyError):
    code = "standby_replication_command_failed"
    message = "パブリケーションまたはサブスクリプションの操作に失敗しました。"


class StandbyRoleMissing(StandbyError):
    code = "standby_role_missing"
    message = (
        "指定されたアプリの役割 (ロール) が待機系にありません。役割はレプリケーションされないため、"
        "先に作成してください。"
    )


class StandbyRoleIsAdmin(StandbyError):
    code = "standby_role_is_admin"
    message = (
        "アプリの役割には、待機系の構成と購読に使う管理者とは別の役割を指定してください "
        "(管理者を読み取り専用にすると複製が止まります)。"
    )


class NotAStandby(StandbyError):
    code = "standby_not_a_standby"
    message = (
        "接続先のデータベースにこの待機系の購読がありません。DATABASE_URL が待機系を指しているか確認してください "
        "(本番系で昇格を実行することはできません)。"
    )


# --- Connections ---------------------------------------------------------------------------------------------


def _validate_name(name: str) -> None:
    if not _NAME_RE.match(name):
        raise InvalidStandbyName(details={"name": name})


def standby_dsn(dsn_ref: str) -> str:
    dsns: dict[str, Any] = getattr(settings, "KYODO_STANDBY_DSNS", {}) or {}
    dsn = dsns.get(dsn_ref)
    if not isinstance(dsn, str) or not dsn:
        raise StandbyDsnMissing(details={"dsn_ref": dsn_ref})
    return dsn


def primary_conninfo() -> str:
    """How the standby server reaches the primary (the subscription's CONNECTION string)."""
    configured: str = getattr(settings, "KYODO_STANDBY_PRIMARY_DSN", "") or ""
    if configured:
        return configured
    db = connection.settings_dict
    parts = {
        "dbname": db.get("NAME"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
        "port": str(db.get("PORT") or ""),
    }
    return make_conninfo(**{key: value for key, value in parts.items() if value})


def _primary_tool_conninfo() -> tuple[str, dict[str, str]]:
    """Conninfo for pg_dump against the primary as this process reaches it; the password goes in the env."""
    db = connection.settings_dict
    parts = {
        "dbname": db.get("NAME"),
        "user": db.get("USER"),
        "host": db.get("HOST"),
        "port": str(db.get("PORT") or ""),
    }
    env = {"PGPASSWORD": str(db["PASSWORD"])} if db.get("PASSWORD") else {}
    return make_conninfo(**{key: value for key, value in parts.items() if value}), env


def _tool_conninfo(dsn: str) -> tuple[str, dict[str, str]]:
    # Passwords never go on a command line (visible in ps): libpq reads PGPASSWORD from the environment.
    params = conninfo_to_dict(dsn)
    password = params.pop("password", None)
    return make_conninfo(**{key: str(value) for key, value in params.items() if value is not None}), (
        {"PGPASSWORD": str(password)} if password else {}
    )


def connect_standby(standby: Standby, *, connect_timeout: int = 10) -> psycopg.Connection[Any]:
    """An autocommit connection to the standby (CREATE/ALTER SUBSCRIPTION refuse a transaction block)."""
    dsn = standby_dsn(standby.dsn_ref)
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=connect_timeout)
    except psycopg.Error as exc:
        raise StandbyUnreachable(details={"standby": standby.name, "error": str(exc)[:300]}) from exc


def _pg_tool(name: str) -> str:
    directory = getattr(settings, "KYODO_PG_BIN", "") or ""
    return str(Path(directory) / name) if directory else name


# The Django default database: the primary — except in promote_standby, run with DATABASE_URL = the standby.
def _db_rows(query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params or [])
        return list(cursor.fetchall())


def _db_execute(statement: str | sql.Composed) -> None:
    text = statement.as_string(None) if isinstance(statement, sql.Composed) else statement
    with connection.cursor() as cursor:
        cursor.execute(text)


# --- What is replicated --------------------------------------------------------------------------------------


def replicated_schemas() -> list[str]:
    """``public`` and the schema of every municipality that has not withdrawn (bench scratch towns excluded)."""
    public = get_public_schema_name()
    towns = (
        get_tenant_model()
        .objects.exclude(schema_name=public)
        .exclude(status="withdrawn")
        .exclude(schema_name__startswith=BENCH_SCHEMA_PREFIX)
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )
    return [public, *(schema for schema in towns if schema_exists(schema))]


def unprotected_schemas(standby: Standby) -> list[str]:
    """Schemas that should be replicated but are not in this standby's publication yet (a new town)."""
    return [schema for schema in replicated_schemas() if schema not in set(standby.schemas or [])]


def get_standby(name: str) -> Standby:
    standby = Standby.objects.filter(name=name).first()
    if standby is None:
        raise StandbyNotFound(details={"name": name})
    return standby


# --- Setup ---------------------------------------------------------------------------------------------------


@dataclass
class SetupReport:
    standby: Standby
    created_subscription: bool
    schemas: list[str]
    added_schemas: list[str]
    copied_schemas: list[str]
    copied_tables: list[str]
    added_columns: list[str]
    replica_identity_full: list[str]
    sync_complete: bool | None = None
    not_ready_tables: list[str] = field(default_factory=list)


def _check_wal_level() -> None:
    ((level,),) = _db_rows("SHOW wal_level")
    if level != "logical":
        raise WalLevelNotLogical(details={"wal_level": level})


def _ensure_replica_identity(schemas: list[str]) -> list[str]:
    """Tables with neither a primary key nor a replica-identity index get REPLICA IDENTITY FULL.

    Without a replica identity, PostgreSQL refuses UPDATE and DELETE of a published table on the primary
    itself ("cannot update table ... because it does not have a replica identity"); FULL logs the whole old
    row instead of a key, which costs WAL but works for any table.
    """
    rows = _db_rows(
        """
        SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%s) AND c.relreplident = 'd'
          AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
        ORDER BY 1, 2
        """,
        [schemas],
    )
    for schema, table in rows:
        _db_execute(sql.SQL("ALTER TABLE {} REPLICA IDENTITY FULL").format(sql.Identifier(schema, table)))
    return [f"{schema}.{table}" for schema, table in rows]


def _columns(cursor: Any, schemas: list[str]) -> dict[tuple[str, str], dict[str, str]]:
    cursor.execute(
        """
        SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%s)
        ORDER BY n.nspname, c.relname, a.attnum
        """,
        [schemas],
    )
    tables: dict[tuple[str, str], dict[str, str]] = {}
    for schema, table, column, type_name in cursor.fetchall():
        tables.setdefault((schema, table), {})[column] = type_name
    return tables


def _copy_structure(standby: Standby, *, schemas: list[str], tables: list[str]) -> None:
    """pg_dump --schema-only of whole schemas (or of single tables) from the primary, applied to the standby."""
    if not schemas and not tables:
        return
    source, source_env = _primary_tool_conninfo()
    target, target_env = _tool_conninfo(standby_dsn(standby.dsn_ref))
    dump = [
        _pg_tool("pg_dump"), "--schema-only", "--no-owner", "--no-privileges", "--no-publications",
        "--no-subscriptions", "--no-comments", f"--dbname={source}",
        *(f"--schema={schema}" for schema in schemas), *(f"--table={table}" for table in tables),
    ]  # fmt: skip
    restore = [_pg_tool("psql"), "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "--single-transaction",
               f"--dbname={target}"]  # fmt: skip
    dumped = subprocess.run(dump, capture_output=True, env={**os.environ, **source_env}, check=False, timeout=600)
    if dumped.returncode != 0:
        raise StructureCopyFailed(details={"step": "pg_dump", "error": dumped.stderr.decode(errors="replace")[-800:]})
    script = dumped.stdout
    if "public" in schemas:
        # The public schema exists in every new database; pg_dump of PostgreSQL 15 may still emit it.
        script = script.replace(b"\nCREATE SCHEMA public;\n", b"\nCREATE SCHEMA IF NOT EXISTS public;\n")
    applied = subprocess.run(
        restore, input=script, capture_output=True, env={**os.environ, **target_env}, check=False, timeout=600
    )
    if applied.returncode != 0:
        raise StructureCopyFailed(details={"step": "psql", "error": applied.stderr.decode(errors="replace")[-800:]})


def _sync_structure(
    standby: Standby, conn: psycopg.Connection[Any], schemas: list[str]
) -> tuple[list[str], list[str], list[str]]:
    """Bring the standby's table structure up to the primary's: whole schemas it lacks, then missing tables
    (a migration added them), then missing columns. Returns (copied schemas, copied tables, added columns)."""
    with conn.cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nspname FROM pg_namespace n WHERE n.nspname = ANY(%s)
              AND EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p'))
            """,
            [schemas],
        )
        present = {row[0] for row in cursor.fetchall()}
        # Extensions first: town tables use them (pg_trgm indexes of resident search).
        extensions = _db_rows(
            "SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname <> 'plpgsql' ORDER BY 1"
        )
        for name, schema in extensions:
            if schema not in present and schema != get_public_schema_name():
                cursor.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            cursor.execute(
                sql.SQL("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}").format(
                    sql.Identifier(name), sql.Identifier(schema)
                )
            )
    missing_schemas = [schema for schema in schemas if schema not in present]
    _copy_structure(standby, schemas=missing_schemas, tables=[])

    existing = [schema for schema in schemas if schema in present]
    if not existing:
        return missing_schemas, [], []
    with connection.cursor() as cursor:
        primary = _columns(cursor, existing)
    with conn.cursor() as cursor:
        mine = _columns(cursor, existing)
    missing_tables = sorted(f"{schema}.{table}" for (schema, table) in primary if (schema, table) not in mine)
    _copy_structure(
        standby, schemas=[], tables=[f'"{name.split(".")[0]}"."{name.split(".")[1]}"' for name in missing_tables]
    )
    added_columns: list[str] = []
    with conn.cursor() as cursor:
        for (schema, table), columns in primary.items():
            if (schema, table) not in mine:
                continue
            for column, type_name in columns.items():
                if column in mine[(schema, table)]:
                    continue
                # Only what the apply worker needs to store the column; constraints stay with the primary.
                cursor.execute(
                    sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
                        sql.Identifier(schema, table), sql.Identifier(column), sql.SQL(type_name)
                    )
                )
                added_columns.append(f"{schema}.{table}.{column}")
    return missing_schemas, missing_tables, added_columns


def _ensure_publication(name: str, schemas: list[str]) -> list[str]:
    """CREATE PUBLICATION ... FOR TABLES IN SCHEMA, or ADD the schemas it does not have yet; returns added."""
    exists = _db_rows("SELECT oid FROM pg_publication WHERE pubname = %s", [name])
    names = sql.SQL(", ").join(sql.Identifier(schema) for schema in schemas)
    if not exists:
        _db_execute(sql.SQL("CREATE PUBLICATION {} FOR TABLES IN SCHEMA {}").format(sql.Identifier(name), names))
        return list(schemas)
    published = {
        row[0]
        for row in _db_rows(
            "SELECT n.nspname FROM pg_publication_namespace pn JOIN pg_namespace n ON n.oid = pn.pnnspid "
            "JOIN pg_publication p ON p.oid = pn.pnpubid WHERE p.pubname = %s",
            [name],
        )
    }
    added = [schema for schema in schemas if schema not in published]
    if added:
        _db_execute(
            sql.SQL("ALTER PUBLICATION {} ADD TABLES IN SCHEMA {}").format(
                sql.Identifier(name), sql.SQL(", ").join(sql.Identifier(schema) for schema in added)
            )
        )
    return added


def _guard_app_role(conn: psycopg.Connection[Any], role: str) -> None:
    """Make the app's role read-only on the standby while it replicates.

    A Kyodo process pointed at the standby by mistake would otherwise write rows that the next replicated row
    with the same key collides with, stopping the apply worker. The subscription applies as its owner (the
    setup superuser), which this does not touch; promote_standby resets it.
    """
    if role == conn.info.user:
        raise StandbyRoleIsAdmin(details={"role": role})
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            raise StandbyRoleMissing(details={"role": role})
        cursor.execute(
            sql.SQL("ALTER ROLE {} IN DATABASE {} SET default_transaction_read_only = on").format(
                sql.Identifier(role), sql.Identifier(conn.info.dbname)
            )
        )


def _standby_has_data(cursor: Any) -> bool:
    cursor.execute("SELECT to_regclass('public.tenants_municipality') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("SELECT EXISTS (SELECT 1 FROM public.tenants_municipality)")
    return bool(cursor.fetchone()[0])


def _ensure_subscription(standby: Standby, conn: psycopg.Connection[Any], *, had_data: bool) -> bool:
    """CREATE SUBSCRIPTION (copying the existing rows), or ENABLE + REFRESH PUBLICATION; True if created.

    REFRESH PUBLICATION WITH (copy_data) subscribes the tables of newly published schemas and copies their
    rows. The primary must hold no open transaction of ours meanwhile: creating a replication slot waits for
    every running transaction on the primary to end.
    """
    with conn.cursor() as cursor:
        cursor.execute("SELECT subenabled FROM pg_subscription WHERE subname = %s", [standby.subscription])
        row = cursor.fetchone()
        name = sql.Identifier(standby.subscription)
        if row is None:
            if had_data:
                raise StandbyNotEmpty(details={"standby": standby.name})
            cursor.execute(
                sql.SQL("CREATE SUBSCRIPTION {} CONNECTION {} PUBLICATION {} WITH (copy_data = true)").format(
                    name, sql.Literal(primary_conninfo()), sql.Identifier(standby.publication)
                )
            )
            return True
        if not row[0]:
            cursor.execute(sql.SQL("ALTER SUBSCRIPTION {} ENABLE").format(name))
        cursor.execute(sql.SQL("ALTER SUBSCRIPTION {} REFRESH PUBLICATION WITH (copy_data = true)").format(name))
        return False


def subscription_tables_not_ready(standby: Standby, conn: psycopg.Connection[Any]) -> list[str]:
    """Tables whose initial copy has not finished ('r' = ready, 's' = synchronised)."""
    with conn.cursor() as cursor:
        cursor.execute(
            """
            SELECT sr.srrelid::regclass::text FROM pg_subscription_rel sr
            JOIN pg_subscription s ON s.oid = sr.srsubid
            WHERE s.subname = %s AND sr.srsubstate NOT IN ('r', 's') ORDER BY 1
            """,
            [standby.subscription],
        )
        return [row[0] for row in cursor.fetchall()]


def wait_for_sync(standby: Standby, *, timeout: float) -> list[str]:
    """Wait until every subscribed table has its initial copy; returns the tables still copying."""
    deadline = time.monotonic() + timeout
    with connect_standby(standby) as conn:
        while True:
            pending = subscription_tables_not_ready(standby, conn)
            if not pending or time.monotonic() >= deadline:
                return pending
            time.sleep(0.25)


def setup_standby(
    *, standby: Standby, actor: Person | None = None, wait_seconds: float | None = None, app_role: str | None = None
) -> SetupReport:
    """Set up (or extend) the logical replication of every town schema and ``public`` to ``standby``.

    Idempotent: a re-run adds the towns provisioned since (``ALTER PUBLICATION ... ADD TABLES IN SCHEMA``,
    their structure on the standby, ``ALTER SUBSCRIPTION ... REFRESH PUBLICATION``) and the tables and
    columns migrations added. Must run as a superuser of the primary (FOR TABLES IN SCHEMA requires it).
    ``app_role``: the role Kyodo connects as, made read-only on the standby until promotion.
    The steps talk to two servers and cannot share one transaction; each is safe to repeat, so a failed run
    is finished by running it again. The Standby row and the audit row are written last, together.
    """
    _validate_name(standby.name)
    _check_wal_level()
    schemas = replicated_schemas()
    identity_full = _ensure_replica_identity(schemas)
    with connect_standby(standby) as conn:
        with conn.cursor() as cursor:
            had_data = _standby_has_data(cursor)
            cursor.execute("SELECT 1 FROM pg_subscription WHERE subname = %s", [standby.subscription])
            subscribed = cursor.fetchone() is not None
        if had_data and not subscribed:
            raise StandbyNotEmpty(details={"standby": standby.name})
        if app_role:
            _guard_app_role(conn, app_role)
        copied_schemas, copied_tables, added_columns = _sync_structure(standby, conn, schemas)
        try:
            added = _ensure_publication(standby.publication, schemas)
            created = _ensure_subscription(standby, conn, had_data=had_data)
        except (psycopg.Error, DatabaseError) as exc:  # the standby's (psycopg) or the primary's (Django)
            raise ReplicationCommandFailed(details={"error": str(exc)[:500]}) from exc
    pending: list[str] = []
    if wait_seconds:
        pending = wait_for_sync(standby, timeout=wait_seconds)
    now = timezone.now()
    with transaction.atomic():
        locked = Standby.objects.select_for_update().get(pk=standby.pk)
        locked.schemas = schemas
        if locked.set_up_at is None or created:
            locked.set_up_at = now
        locked.details = {
            **(locked.details or {}),
            "refreshed_at": now.isoformat(),
            "replica_identity_full": sorted({*locked.details.get("replica_identity_full", []), *identity_full}),
            "promoted_at": None,
            **({"read_only_role": app_role} if app_role else {}),
        }
        locked.save(update_fields=["schemas", "set_up_at", "details"])
        audit.record(
            actor=actor,
            action="bcp.standby.setup",
            obj=locked,
            council=True,
            details={
                "created_subscription": created,
                "schemas": schemas,
                "added_schemas": added,
                "copied_tables": copied_tables,
                "added_columns": added_columns,
                "replica_identity_full": identity_full,
            },
        )
    return SetupReport(
        standby=locked,
        created_subscription=created,
        schemas=schemas,
        added_schemas=added,
        copied_schemas=copied_schemas,
        copied_tables=copied_tables,
        added_columns=added_columns,
        replica_identity_full=identity_full,
        sync_complete=None if not wait_seconds else not pending,
        not_ready_tables=pending,
    )


def register_standby(*, name: str, dsn_ref: str | None = None, site_name: str | None = None) -> Standby:
    """The Standby row for ``name`` (created with its own subscription name: one replication slot each),
    optionally placed at a backup site (the dashboard shows it in that site's column)."""
    _validate_name(name)
    site = None
    if site_name:
        site = BackupSite.objects.filter(name=site_name).first()
        if site is None:
            raise StandbySiteNotFound(details={"site": site_name})
    standby = Standby.objects.filter(name=name).first()
    if standby is None:
        standby_dsn(dsn_ref or name)  # refuse before anything is written
        return Standby.objects.create(name=name, dsn_ref=dsn_ref or name, subscription=f"kyodo_sub_{name}", site=site)
    changed = []
    if dsn_ref and dsn_ref != standby.dsn_ref:
        standby_dsn(dsn_ref)
        standby.dsn_ref = dsn_ref
        changed.append("dsn_ref")
    if site is not None and site != standby.site:
        standby.site = site
        changed.append("site")
    if changed:
        standby.save(update_fields=changed)
    return standby


# --- Lag -----------------------------------------------------------------------------------------------------


def _interval_seconds(value: Any) -> float | None:
    return value.total_seconds() if isinstance(value, timedelta) else None


def _replication_state(standby: Standby) -> dict[str, Any]:
    """What the primary knows of the subscription's walsender and slot (diagnosis; not the RPO figure)."""
    state: dict[str, Any] = {"walsender": None, "slot_active": None, "slot_lag_bytes": None}
    rows = _db_rows(
        "SELECT state, write_lag, flush_lag, replay_lag, "
        "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint FROM pg_stat_replication "
        "WHERE application_name = %s",
        [standby.subscription],
    )
    if rows:
        walsender, write_lag, flush_lag, replay_lag, replay_bytes = rows[0]
        state.update(
            walsender=walsender,
            write_lag=_interval_seconds(write_lag),
            flush_lag=_interval_seconds(flush_lag),
            replay_lag=_interval_seconds(replay_lag),
            replay_lag_bytes=int(replay_bytes) if replay_bytes is not None else None,
        )
    slot = _db_rows(
        "SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint "
        "FROM pg_replication_slots WHERE slot_name = %s",
        [standby.subscription],
    )
    if slot:
        state["slot_active"] = bool(slot[0][0])
        state["slot_lag_bytes"] = int(slot[0][1]) if slot[0][1] is not None else None
    return state


def _wait_for_heartbeat(standby: Standby, sample_id: int, *, committed_at: float, timeout: float) -> float | None:
    """Seconds from the heartbeat's commit on the primary until it is visible on the standby (None: timeout)."""
    try:
        with connect_standby(standby) as conn, conn.cursor() as cursor:
            interval = 0.02
            while True:
                cursor.execute("SELECT 1 FROM public.bcp_lagsample WHERE id = %s", [sample_id])
                if cursor.fetchone() is not None:
                    return time.monotonic() - committed_at
                if time.monotonic() - committed_at >= timeout:
                    return None
                time.sleep(interval)
                interval = min(interval * 1.5, 0.25)
    except psycopg.Error as exc:  # the standby went away during the measurement
        raise StandbyUnreachable(details={"standby": standby.name, "error": str(exc)[:300]}) from exc


def measure_lag(*, standby: Standby, timeout: float | None = None) -> LagSample:
    """Measure the standby's lag now; stored as a LagSample and on the Standby (last_lag_*, details).

    ``lag_seconds``: heartbeat arrival (see the module docstring); when the heartbeat has not arrived within
    ``timeout`` (KYODO_STANDBY_HEARTBEAT_TIMEOUT_SECONDS) it is that timeout, a lower bound, flagged in
    ``details["heartbeat_timed_out"]``; None when the standby cannot be reached. ``lag_bytes``: WAL the slot
    has not confirmed (``pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)``).

    Call it in autocommit (Celery task, command), never inside ``transaction.atomic()``: the heartbeat row has
    to be committed on the primary to travel.
    """
    # Waiting at least the RPO target makes a missing heartbeat mean "beyond the target", never "unknown".
    configured = timeout if timeout is not None else float(settings.KYODO_STANDBY_HEARTBEAT_TIMEOUT_SECONDS)
    wait = max(configured, rpo_target_seconds() + 0.5)
    state = _replication_state(standby)
    # The heartbeat must be committed (autocommit, outside any transaction) before its arrival is awaited.
    sample = LagSample.objects.create(standby=standby, measured_at=timezone.now())
    committed_at = time.monotonic()
    error = ""
    timed_out = False
    try:
        seconds = _wait_for_heartbeat(standby, sample.pk, committed_at=committed_at, timeout=wait)
        if seconds is None:
            seconds, timed_out = wait, True
    except StandbyError as exc:
        seconds = None
        error = str(exc.details.get("error") or exc.message) if isinstance(exc.details, dict) else exc.message
    sample.lag_seconds = round(seconds, 3) if seconds is not None else None
    sample.lag_bytes = state.get("slot_lag_bytes")
    sample.save(update_fields=["lag_seconds", "lag_bytes"])
    now = timezone.now()
    standby.refresh_from_db()
    standby.last_checked_at = now
    standby.last_lag_seconds, standby.last_lag_bytes = sample.lag_seconds, sample.lag_bytes
    standby.details = {
        **(standby.details or {}),
        "replication": {**state, "heartbeat_timed_out": timed_out, "error": error, "measured_at": now.isoformat()},
    }
    standby.save(update_fields=["last_checked_at", "last_lag_seconds", "last_lag_bytes", "details"])
    return sample


def _open_alert(kind: str, standby: Standby) -> BcpAlert | None:
    return BcpAlert.objects.filter(kind=kind, resolved_at=None, details__standby=standby.name).first()


def check_lag(*, standby: Standby, sample: LagSample) -> BcpAlert | None:
    """Raise a BcpAlert when the lag exceeds the RPO target (one open alert per standby, resolved once
    the lag is back under the target); returns the open alert, if any."""
    target = rpo_target_seconds()
    alert = _open_alert(ALERT_LAG, standby)
    lag = sample.lag_seconds
    if lag is not None and lag <= target:
        if alert is not None:
            BcpAlert.objects.filter(pk=alert.pk).update(resolved_at=timezone.now())
        return None
    if lag is None:
        message = f"待機系 {standby.name} の複製遅延を計測できません (待機系に接続できません)。"
        severity = AlertSeverity.CRITICAL
    else:
        timed_out = bool((standby.details or {}).get("replication", {}).get("heartbeat_timed_out"))
        shown = f"{lag:.1f} 秒以上" if timed_out else f"{lag:.1f} 秒"
        message = f"待機系 {standby.name} の複製遅延が {shown} で、目標 RPO {target:g} 秒を超えています。"
        severity = AlertSeverity.CRITICAL if timed_out else AlertSeverity.WARNING
    details = {"standby": standby.name, "lag_seconds": lag, "lag_bytes": sample.lag_bytes, "rpo_seconds": target}
    if alert is None:
        return BcpAlert.objects.create(
            kind=ALERT_LAG, severity=severity, site=standby.site, message=message, details=details
        )
    alert.message, alert.severity, alert.details = message, severity, details
    alert.save(update_fields=["message", "severity", "details"])
    return alert


def check_unprotected_schemas(*, standby: Standby) -> BcpAlert | None:
    """A town provisioned after the last setup_standby is not replicated until it is re-run: say so."""
    missing = unprotected_schemas(standby)
    alert = _open_alert(ALERT_UNPROTECTED_SCHEMA, standby)
    if not missing:
        if alert is not None:
            BcpAlert.objects.filter(pk=alert.pk).update(resolved_at=timezone.now())
        return None
    message = (
        f"待機系 {standby.name} に複製されていないスキーマがあります: {', '.join(missing)}。"
        f"manage.py setup_standby --name {standby.name} を再実行してください。"
    )
    details = {"standby": standby.name, "schemas": missing}
    if alert is None:
        return BcpAlert.objects.create(
            kind=ALERT_UNPROTECTED_SCHEMA, severity=AlertSeverity.WARNING, site=standby.site, message=message,
            details=details,
        )  # fmt: skip
    alert.message, alert.details = message, details
    alert.save(update_fields=["message", "details"])
    return alert


def rpo_target_seconds() -> float:
    return float(settings.KYODO_STANDBY_RPO_SECONDS)


def is_promoted(standby: Standby) -> bool:
    return bool((standby.details or {}).get("promoted_at"))


def prune_lag_samples(*, older_than_days: int | None = None) -> int:
    days = older_than_days if older_than_days is not None else int(settings.KYODO_STANDBY_LAG_RETENTION_DAYS)
    deleted, _ = LagSample.objects.filter(measured_at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted


# --- Promotion -----------------------------------------------------------------------------------------------


@dataclass
class PromotionReport:
    standby: Standby
    dropped_subscription: bool
    sequences_set: list[tuple[str, int]]
    sequences_unmapped: list[str]
    next_steps: list[str]


def _sequence_targets(schemas: list[str]) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """(schema, sequence, table, expression of the value in use) per sequence; and the unmapped ones."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nspname, s.relname, t.relname, a.attname
            FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
            LEFT JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
                 AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
            LEFT JOIN pg_class t ON t.oid = d.refobjid
            LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
            WHERE s.relkind = 'S' AND n.nspname = ANY(%s)
            ORDER BY 1, 2
            """,
            [schemas],
        )
        rows = cursor.fetchall()
    targets: list[tuple[str, str, str, str]] = []
    unmapped: list[str] = []
    for schema, sequence, table, column in rows:
        if table is not None:
            targets.append((schema, sequence, table, column))
        elif sequence in CHECK_DIGIT_SEQUENCES:
            targets.append((schema, sequence, *CHECK_DIGIT_SEQUENCES[sequence]))
        else:
            unmapped.append(f"{schema}.{sequence}")
    return targets, unmapped


def _set_sequences(schemas: list[str]) -> tuple[list[tuple[str, int]], list[str]]:
    """Set every sequence past the largest value in use, never lowering one (safe to repeat)."""
    targets, unmapped = _sequence_targets(schemas)
    done: list[tuple[str, int]] = []
    with connection.cursor() as cursor:
        for schema, sequence, table, column in targets:
            col = sql.Identifier(column)
            if sequence in CHECK_DIGIT_SEQUENCES and (table, column) == CHECK_DIGIT_SEQUENCES[sequence]:
                # Numbers issued here are serial + one check digit; imported numbers may not be digits at all.
                used = sql.SQL("max(left({col}, -1)::bigint) FILTER (WHERE {col} ~ '^[0-9]{{2,19}}$')").format(col=col)
            else:
                used = sql.SQL("max({col})").format(col=col)
            query = sql.SQL("SELECT {used} FROM {table}").format(used=used, table=sql.Identifier(schema, table))
            cursor.execute(query.as_string(None))
            (largest,) = cursor.fetchone()
            if largest is None:
                continue
            name = sql.Identifier(schema, sequence)
            statement = sql.SQL(
                "SELECT setval({regclass}, GREATEST({largest}, (SELECT last_value FROM {name})))"
            ).format(regclass=sql.Literal(name.as_string(None)), largest=sql.Literal(int(largest)), name=name)
            cursor.execute(statement.as_string(None))
            (value,) = cursor.fetchone()
            done.append((f"{schema}.{sequence}", int(value)))
    return done, unmapped


def next_steps(standby: Standby) -> list[str]:
    return [
        "gunicorn・Celery worker・Celery beat を停止する (systemctl stop kyodo-web kyodo-worker kyodo-beat)。",
        "/etc/kyodo/kyodo.env の DATABASE_URL を待機系 (このデータベース) に書き換える。",
        "systemctl start kyodo-web kyodo-worker kyodo-beat で再起動し、/healthz を確認する。",
        "manage.py verify_audit_chain で全自治体の監査ログの連鎖を確認する。",
        "各町で住民の登録を1件試し (宛名番号・世帯番号が重複しないこと)、結果を記録する。",
        f"旧本番系が復旧したら、そこで SELECT pg_drop_replication_slot('{standby.subscription}'); を実行し、"
        "DATABASE_URL が旧本番系を指すプロセスが残っていないことを確認する (deploy/FAILOVER.md 「切り戻し」)。",
    ]


def promote_standby(*, name: str, actor: Person | None = None) -> PromotionReport:
    """Promote the standby this process is connected to (DATABASE_URL = the standby) to read-write primary.

    Drops the subscription without touching the primary (``slot_name = NONE``: the primary may be gone; its
    slot is dropped by hand when it returns), sets every sequence past the largest value in use (PostgreSQL 15
    does not replicate sequences), and records the promotion. Repeatable: a second run only re-checks the
    sequences. Refused on a database without this standby's subscription that was never promoted — i.e. the
    primary.
    """
    standby = get_standby(name)
    sub = sql.Identifier(standby.subscription)
    rows = _db_rows("SELECT subenabled FROM pg_subscription WHERE subname = %s", [standby.subscription])
    if not rows and not is_promoted(standby):
        raise NotAStandby(details={"standby": name, "subscription": standby.subscription})
    if rows:
        # Each statement on its own: ALTER/DROP SUBSCRIPTION refuse to run inside a transaction block.
        _db_execute(sql.SQL("ALTER SUBSCRIPTION {} DISABLE").format(sub))
        _db_execute(sql.SQL("ALTER SUBSCRIPTION {} SET (slot_name = NONE)").format(sub))
        _db_execute(sql.SQL("DROP SUBSCRIPTION {}").format(sub))
    schemas = sorted(set(standby.schemas or []) | set(replicated_schemas()))
    # Sequences before any write of our own: the audit row below takes an id from the public sequence.
    sequences, unmapped = _set_sequences(schemas)
    role = (standby.details or {}).get("read_only_role")
    if role:
        _db_execute(
            sql.SQL("ALTER ROLE {} IN DATABASE {} RESET default_transaction_read_only").format(
                sql.Identifier(role), sql.Identifier(connection.settings_dict["NAME"])
            )
        )
    now = timezone.now()
    with transaction.atomic():
        locked = Standby.objects.select_for_update().get(pk=standby.pk)
        locked.details = {
            **(locked.details or {}),
            "promoted_at": (locked.details or {}).get("promoted_at") or now.isoformat(),
            "sequences_set": len(sequences),
            "sequences_unmapped": unmapped,
        }
        locked.save(update_fields=["details"])
        audit.record(
            actor=actor,
            action="bcp.standby.promote",
            obj=locked,
            council=True,
            details={"dropped_subscription": bool(rows), "sequences_set": len(sequences), "unmapped": unmapped},
        )
    return PromotionReport(
        standby=locked,
        dropped_subscription=bool(rows),
        sequences_set=sequences,
        sequences_unmapped=unmapped,
        next_steps=next_steps(locked),
    )
