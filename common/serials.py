"""Gapless yearly serial numbers: the 発行番号 of every kind of certificate (住民票の写し等, 戸籍証明書).

Each kind keeps its own counter table (one row per calendar year: ``year`` unique, ``last_number``) in the town's
schema; this is the one allocator they share.

A counter row rather than a PostgreSQL sequence: a sequence leaves a gap on every rolled-back issuance and cannot
restart each year, and the 交付簿 must account for every number. The allocation is one upsert that creates the
year's row or increments it, and locks it until the issuing transaction ends: issuances of one town are
serialised for the time of rendering (well under a second), which a counter of a small town never notices.
"""

from __future__ import annotations

from django.db import connection, models
from django.db.transaction import TransactionManagementError


def next_yearly_serial(counter: type[models.Model], *, year: int) -> int:
    """Allocate the next number of ``year`` in ``counter``'s table (1 for the year's first). The caller must be
    inside the transaction that records the issuance, so that a rollback gives the number back."""
    if not connection.in_atomic_block:
        raise TransactionManagementError("next_yearly_serial must run inside the issuing transaction.")
    table = connection.ops.quote_name(counter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last_number) VALUES (%s, 1) "  # noqa: S608 (a model's own table name)
            f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + 1 RETURNING last_number",
            [year],
        )
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])
