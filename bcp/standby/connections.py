"""DSNs and connections of the primary and the standby, and which schemas are replicated."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_exists
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from bcp.models import Standby
from bcp.standby.errors import InvalidStandbyName, StandbyDsnMissing, StandbyNotFound, StandbyUnreachable
from common.bench import BENCH_SCHEMA_PREFIX

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


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
