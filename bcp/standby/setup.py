"""Setting up a standby: structure copy, publication on the primary, subscription on the standby."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name
from psycopg import sql

from bcp.models import BackupSite, Standby
from bcp.standby.connections import (
    _db_execute,
    _db_rows,
    _pg_tool,
    _primary_tool_conninfo,
    _tool_conninfo,
    _validate_name,
    connect_standby,
    primary_conninfo,
    replicated_schemas,
    standby_dsn,
)
from bcp.standby.errors import (
    ReplicationCommandFailed,
    StandbyNotEmpty,
    StandbyRoleIsAdmin,
    StandbyRoleMissing,
    StandbySiteNotFound,
    StructureCopyFailed,
    WalLevelNotLogical,
)
from common import audit

if TYPE_CHECKING:
    from tenants.models import Person

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


# long: one procedure whose steps share one try block and its clean-up (locks, temporary files, the recorded outcome);
# split, each step would repeat the clean-up
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
