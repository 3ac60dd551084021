"""The web processes' connection pool keeps each town in its own schema (common/postgresql/base.py).

A pooled connection serves one request after another, for any town. These tests hold a pool of exactly one
connection, so every request below gets the same PostgreSQL backend (the same pg_backend_pid), and check that
each town sees only its own rows, that a connection handed back carries no town's search_path, and that a
wrapper never trusts the search path it set on a connection it no longer holds.

The tests' own connection has no pool (config/settings/base.py says why); each test builds a pooled wrapper on
the test database, which holds the demo council's schemas (tests/conftest.py).
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from common.postgresql.base import DatabaseWrapper

ROOT = Path(__file__).resolve().parents[2]
TOWNS = ("nakatosa", "shimanto")
PROBE = "kyodo_pool_probe"  # a table of this name in each town, holding one row: the town's schema name


@pytest.fixture
def pooled() -> Iterator[DatabaseWrapper]:
    """A pool of one connection on the test database, with the probe table in both towns.

    The probe rows are committed by the pooled connection itself (the test's own connection is inside a
    transaction the pool cannot see) and dropped afterwards.
    """
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["CONN_MAX_AGE"] = 0
    settings_dict["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 1, "timeout": 5}
    wrapper = DatabaseWrapper(settings_dict, alias=f"pool_{uuid.uuid4().hex[:8]}")
    try:
        with wrapper.cursor() as cursor:
            for schema in TOWNS:
                cursor.execute(f'CREATE TABLE "{schema}".{PROBE} (town text)')
                cursor.execute(f'INSERT INTO "{schema}".{PROBE} VALUES (%s)', [schema])
        wrapper.close()
        yield wrapper
    finally:
        try:
            wrapper.close()
            with wrapper.cursor() as cursor:
                for schema in TOWNS:
                    cursor.execute(f'DROP TABLE IF EXISTS "{schema}".{PROBE}')
            wrapper.close()
        finally:
            wrapper.close_pool()  # whatever failed: no pooled session may outlive the test database


def _request(wrapper: DatabaseWrapper, schema: str) -> tuple[int, list[str]]:
    """What one request for ``schema`` does with its connection: select the town, query, give it back."""
    wrapper.set_schema(schema)
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
        cursor.execute(f"SELECT town FROM {PROBE}")  # unqualified: the search path decides whose table
        rows = [row[0] for row in cursor.fetchall()]
    wrapper.close()  # what close_old_connections does at the end of a request (CONN_MAX_AGE 0)
    return pid, rows


@pytest.mark.django_db
def test_two_towns_over_one_pooled_connection_each_see_only_their_own_rows(pooled: DatabaseWrapper) -> None:
    answers = [_request(pooled, schema) for schema in ("nakatosa", "shimanto", "nakatosa", "shimanto")]

    assert len({pid for pid, _ in answers}) == 1, "the pool of one must hand out the same connection"
    assert [rows for _, rows in answers] == [["nakatosa"], ["shimanto"], ["nakatosa"], ["shimanto"]]


@pytest.mark.django_db
def test_a_connection_given_back_carries_no_towns_search_path(pooled: DatabaseWrapper) -> None:
    first_pid, _ = _request(pooled, "nakatosa")

    # The next request takes the same connection and, before Django sets anything, asks the server directly:
    # what a statement bypassing Django's cursor would see.
    pooled.ensure_connection()
    raw = pooled.connection
    assert raw.execute("SELECT pg_backend_pid()").fetchone()[0] == first_pid
    assert raw.execute("SHOW search_path").fetchone()[0] == '"$user", public'


@pytest.mark.django_db
def test_a_wrapper_sets_the_search_path_again_on_every_connection_it_takes(pooled: DatabaseWrapper) -> None:
    pooled.set_schema("shimanto")
    with pooled.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert pooled.search_path_set_schemas == ["shimanto", "public"]

    # The connection goes back to the pool without the wrapper's close() (which forgets the search path): the
    # pool resets it, so the wrapper must not believe it is still set on the connection it takes next.
    pooled._close()
    pooled.ensure_connection()

    assert pooled.search_path_set_schemas is None
    with pooled.cursor() as cursor:
        cursor.execute(f"SELECT town FROM {PROBE}")
        assert cursor.fetchall() == [("shimanto",)]


def test_only_web_processes_take_connections_from_a_pool() -> None:
    """Celery workers, commands and tests connect as before; a web process pools, with CONN_MAX_AGE 0."""
    script = (
        "import django; django.setup(); from django.db import connection; d = connection.settings_dict; "
        "print(d['CONN_MAX_AGE'], sorted(d['OPTIONS'].get('pool', {})))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"KYODO_PROCESS", "KYODO_DB_POOL"}}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

    def run(**extra: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env={**env, **extra}, capture_output=True, text=True,
            timeout=60, check=True,
        )  # fmt: skip
        return result.stdout.strip()

    assert run(KYODO_PROCESS="web") == "0 ['max_idle', 'max_lifetime', 'max_size', 'min_size', 'reset', 'timeout']"
    assert run(KYODO_PROCESS="web", KYODO_DB_POOL="0").endswith(" []")
    assert run().endswith(" []")
