"""The resident search migration runs on a PostgreSQL without contrib (the embedded server of `./kyodo up`)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

search_indexes = importlib.import_module("resident_records.migrations.0003_search_indexes")


class _Cursor:
    def __init__(self, available: bool) -> None:
        self.available = available
        self.statements: list[str] = []

    def __enter__(self) -> _Cursor:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def execute(self, sql: str, params: Any = None) -> None:
        self.statements.append(sql)

    def fetchone(self) -> tuple[int] | None:
        return (1,) if self.available else None


class _Editor:
    def __init__(self, cursor: _Cursor) -> None:
        self.connection = self
        self._cursor = cursor

    def cursor(self) -> _Cursor:
        return self._cursor


def test_without_pg_trgm_the_trigram_indexes_are_skipped_with_a_warning() -> None:
    cursor = _Cursor(available=False)
    with pytest.warns(UserWarning, match="pg_trgm is not available"):
        search_indexes.create_trigram_indexes(None, _Editor(cursor))
    assert not any("CREATE" in sql for sql in cursor.statements)


def test_with_pg_trgm_the_extension_and_indexes_are_created() -> None:
    cursor = _Cursor(available=True)
    search_indexes.create_trigram_indexes(None, _Editor(cursor))
    created = [sql for sql in cursor.statements if sql.startswith("CREATE")]
    assert created[0] == "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"
    assert len(created) == 1 + len(search_indexes.TRIGRAM_INDEXES)
