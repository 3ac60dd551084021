# ruff: noqa: S608  -- SQL is assembled from model metadata and constants only; every value is a parameter.
"""Writing the checked rows of a CSV import into the register, set-based (resident_records.csv_load runs the checks).

From the staging tables that csv_load filled and checked (kyodo_import_rows, kyodo_import_numbers), in the import's
transaction: households in order of first appearance and their members in file order take their numbers from the
town's sequences (check digits by ``numbering.check_digit_sql``), then one ``INSERT … SELECT`` per table writes
the households, their 職権記載 events, the residents, their first records and the household records — the same
rows ``bulk.load_households`` writes one by one — and one audit row per batch names the 宛名番号 range.
docs/domain/resident_bulk_import.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection, models
from django.utils import timezone

from common import audit, context
from common.errors import ApplicationError
from resident_records import bulk, numbering
from resident_records.models import (
    ChangeEvent,
    EventKind,
    Household,
    HouseholdRecord,
    Resident,
    ResidentRecord,
    ResidentStatus,
)
from resident_records.services import HEAD
from tenants.models import Person

LOAD_STEPS = 6  # progress of the load: numbers, households, residents, records, indexes, done


def _columns(model: type[models.Model], given: dict[str, str], params: dict[str, Any]) -> tuple[str, str]:
    """INSERT column list and SELECT list: ``given`` SQL expressions, the model's defaults for the rest."""
    names, expressions = [], []
    for f in model._meta.concrete_fields:
        if f.generated:
            continue  # computed by the database
        names.append(connection.ops.quote_name(f.column))
        if f.attname in given:
            expressions.append(given[f.attname])
            continue
        default = f.get_default()
        key = f"default_{model._meta.model_name}_{f.attname}"
        params[key] = json.dumps(default) if isinstance(f, models.JSONField) else default
        expressions.append(f"%({key})s" + ("::jsonb" if isinstance(f, models.JSONField) else ""))
    return ", ".join(names), ", ".join(expressions)


def _sequence(model: type[models.Model]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        return str(cursor.fetchone()[0])


REBUILD_MIN_ROWS = 10_000  # below this, maintaining the indexes row by row costs less than rebuilding them
LOCK_TIMEOUT = "5s"


class RegisterBusy(ApplicationError):
    code = "register_busy"
    message = "住民記録が他の処理で使用中のため、一括登録を始められませんでした。しばらくしてからやり直してください。"
    status_code = 409


def _rebuilds(rows: int) -> bool:
    """Whether to load without the secondary indexes and foreign keys and rebuild them after.

    What PostgreSQL's manual advises for bulk loading ("Populating a Database": remove indexes and foreign key
    constraints, load, re-create them): one sorted index build and one anti-join per foreign key instead of an
    index insertion and a trigger per row. It takes an exclusive lock on the register's tables until the
    import commits, so it is used only when the import is at least as large as the register it joins — the
    初期登録 of a town — and never for a small import into a register in use.
    """
    if rows < REBUILD_MIN_ROWS:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {Resident._meta.db_table}")
        return rows >= int(cursor.fetchone()[0])


@dataclass
class _Structures:
    indexes: list[str] = field(default_factory=list)  # CREATE INDEX statements
    constraints: list[tuple[str, str, str]] = field(default_factory=list)  # (table, name, definition)


def _drop_structures(tables: list[str]) -> _Structures:
    """Drop the non-unique indexes and the foreign keys of ``tables``, returning what re-creates them exactly."""
    saved = _Structures()
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        try:
            for table in tables:
                cursor.execute(f"LOCK TABLE {connection.ops.quote_name(table)} IN ACCESS EXCLUSIVE MODE")
        except DatabaseError as exc:
            raise RegisterBusy() from exc
        cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace
              AND NOT i.indisunique AND NOT i.indisprimary
            """,
            [tables],
        )
        for name, definition in cursor.fetchall():
            saved.indexes.append(definition)
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        cursor.execute(
            """
            SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid
            WHERE c.contype = 'f' AND t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace
            """,
            [tables],
        )
        for table, name, definition in cursor.fetchall():
            saved.constraints.append((table, name, definition))
            quote = connection.ops.quote_name
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        cursor.execute("SET LOCAL lock_timeout = DEFAULT")
    return saved


def _restore_structures(saved: _Structures) -> None:
    """Re-create the indexes (sorted builds) and the foreign keys (each validated by one query over the table)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # PostgreSQL's manual (GIN tips): "build time for a GIN index is very sensitive to maintenance_work_mem".
        # Database server memory, for this session and only while the indexes are built.
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for definition in saved.indexes:
            cursor.execute(definition)
        for table, name, definition in saved.constraints:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        cursor.execute("SET LOCAL maintenance_work_mem = DEFAULT")


# long: the set-based write of the whole import (staging → five tables, indexes, grams) in its one transaction
def load(
    *, actor: Person | None, purpose: str, batch_size: int, progress: Callable[[int, int, str], None]
) -> bulk.BulkLoadResult:
    """Write every checked row (the staging tables must hold no row in error)."""
    now = timezone.now()
    actor_id, actor_name = (actor.pk, actor.full_name) if actor else (None, "")
    seq = {model: _sequence(model) for model in (Household, Resident, ChangeEvent, ResidentRecord, HouseholdRecord)}
    check = numbering.check_digit_sql
    params: dict[str, Any] = {
        "now": now, "head": HEAD, "reason": bulk.BULK_REASON, "kind": EventKind.EX_OFFICIO_ENTRY.value,
        "actor_id": actor_id, "actor_name": actor_name, "terminal": context.current().terminal,
        "status": ResidentStatus.RESIDENT.value, "remainder_one": numbering.remainder_one(),
    }  # fmt: skip
    with connection.cursor() as cursor:
        # Households in order of first appearance; their numbers, ids and events taken in that order.
        cursor.execute(
            """
            CREATE TEMPORARY TABLE kyodo_import_households ON COMMIT DROP AS
            SELECT h.*, nextval(%(household_seq)s) AS household_id, nextval(%(event_seq)s) AS event_id,
                   nextval(%(household_record_seq)s) AS household_record_id,
                   nextval('resident_records_household_seq') AS number_serial
            FROM (
                SELECT r.key, min(r.row_no) AS first_row, count(*) AS size,
                       min(r.address_set_on) FILTER (WHERE r.relationship = %(head)s) AS moved_in_on,
                       min(r.previous_address) FILTER (WHERE r.relationship = %(head)s) AS previous_address
                FROM kyodo_import_rows r GROUP BY r.key ORDER BY min(r.row_no)
            ) h
            """,
            {**params, "household_seq": seq[Household], "event_seq": seq[ChangeEvent],
             "household_record_seq": seq[HouseholdRecord]},
        )  # fmt: skip
        cursor.execute("CREATE UNIQUE INDEX ON kyodo_import_households (key)")
        cursor.execute("ANALYZE kyodo_import_households")
        cursor.execute(
            """
            CREATE TEMPORARY TABLE kyodo_import_members ON COMMIT DROP AS
            SELECT m.*, nextval(%(resident_seq)s) AS resident_id, nextval(%(record_seq)s) AS record_id,
                   nextval('resident_records_atena_seq') AS atena_serial
            FROM (
                SELECT r.row_no, h.household_id, h.number_serial, h.first_row
                FROM kyodo_import_rows r JOIN kyodo_import_households h USING (key) ORDER BY h.first_row, r.row_no
            ) m
            """,
            {"resident_seq": seq[Resident], "record_seq": seq[ResidentRecord]},
        )
        cursor.execute("CREATE UNIQUE INDEX ON kyodo_import_members (row_no)")
        cursor.execute("ANALYZE kyodo_import_members")
        cursor.execute(
            "CREATE TEMPORARY TABLE kyodo_import_heads ON COMMIT DROP AS SELECT k.household_id, k.resident_id "
            "FROM kyodo_import_members k JOIN kyodo_import_rows r USING (row_no) WHERE r.relationship = %(head)s",
            params,
        )
        cursor.execute("CREATE UNIQUE INDEX ON kyodo_import_heads (household_id)")
        cursor.execute("ANALYZE kyodo_import_numbers, kyodo_import_heads")
        cursor.execute("SELECT count(*) FROM kyodo_import_members")
        tables = [m._meta.db_table for m in (Household, ChangeEvent, Resident, ResidentRecord, HouseholdRecord)]
        saved = _drop_structures(tables) if _rebuilds(int(cursor.fetchone()[0])) else None
        person = {
            name: f"r.{name}"
            for name in (
                "family_name", "given_name", "family_name_kana", "given_name_kana", "former_surname",
                "former_surname_kana", "alias", "alias_kana", "birth_date", "sex", "relationship", "postal_code",
                "address", "address_detail", "domicile", "domicile_head", "became_resident_on", "resident_type",
                "nationality", "residence_status", "residence_period_end", "resident_code",
            )
        }  # fmt: skip
        attributes = {
            **person,
            "household_id": "k.household_id",
            "address_set_on": "r.became_resident_on",
            "previous_address": "CASE WHEN r.became_resident_on = h.moved_in_on THEN h.previous_address ELSE '' END",
            "notified_on": "NULL",
            "status": "%(status)s",
            "my_number_encrypted": "coalesce(n.encrypted, '')",
            "my_number_index": "coalesce(n.idx, '')",
        }
        source = (
            "FROM kyodo_import_members k JOIN kyodo_import_rows r USING (row_no) "
            "JOIN kyodo_import_households h ON h.household_id = k.household_id "
            "LEFT JOIN kyodo_import_numbers n USING (row_no)"
        )
        # Household.head and Resident.household point at each other; Django's foreign keys are DEFERRABLE
        # INITIALLY DEFERRED, so the order below only has to respect the checks at commit.
        names, values = _columns(
            Household,
            {
                "id": "h.household_id",
                "number": check("h.number_serial"),
                "head_id": "hd.resident_id",
                "created_on": "h.moved_in_on",
                "version": "1",
            },
            params,
        )
        cursor.execute(
            f"INSERT INTO {Household._meta.db_table} ({names}) SELECT {values} FROM kyodo_import_households h "
            "LEFT JOIN kyodo_import_heads hd USING (household_id)",
            params,
        )
        names, values = _columns(
            ChangeEvent,
            {
                "id": "h.event_id",
                "kind": "%(kind)s",
                "event_date": "h.moved_in_on",
                "notified_on": "NULL",
                "processed_at": "%(now)s",
                "ex_officio": "true",  # 職権記載 (bulk.load_households: ex officio kind, no notice date)
                "household_id": "h.household_id",
                "reason": "%(reason)s",
                "details": "jsonb_build_object('previous_address', h.previous_address, 'bulk', true)",
                "actor_id": "%(actor_id)s",
                "actor_name": "%(actor_name)s",
                "terminal": "%(terminal)s",
            },
            params,
        )
        cursor.execute(
            f"INSERT INTO {ChangeEvent._meta.db_table} ({names}) SELECT {values} FROM kyodo_import_households h",
            params,
        )
        names, values = _columns(
            Resident,
            {
                **attributes,
                "id": "k.resident_id",
                "atena_number": check("k.atena_serial"),
                "search_name": "r.search_name",
                "search_kana": "r.search_kana",
                "search_address": "r.search_address",  # the search's n-grams follow in the database
                "created_at": "%(now)s",
            },
            params,
        )
        progress(2, LOAD_STEPS, "登録")
        cursor.execute(f"INSERT INTO {Resident._meta.db_table} ({names}) SELECT {values} {source}", params)
        progress(3, LOAD_STEPS, "登録")
        names, values = _columns(
            ResidentRecord,
            {
                **attributes,
                "id": "k.record_id",
                "resident_id": "k.resident_id",
                "event_id": "h.event_id",
                "effective_on": "r.became_resident_on",
                "recorded_at": "%(now)s",
            },
            params,
        )
        cursor.execute(f"INSERT INTO {ResidentRecord._meta.db_table} ({names}) SELECT {values} {source}", params)
        progress(4, LOAD_STEPS, "登録")
        names, values = _columns(
            HouseholdRecord,
            {
                "id": "h.household_record_id",
                "household_id": "h.household_id",
                "event_id": "h.event_id",
                "head_id": "hd.resident_id",
                "effective_on": "h.moved_in_on",
                "recorded_at": "%(now)s",
                "dissolved": "false",
            },
            params,
        )
        cursor.execute(
            f"INSERT INTO {HouseholdRecord._meta.db_table} ({names}) SELECT {values} FROM kyodo_import_households h "
            "LEFT JOIN kyodo_import_heads hd USING (household_id)",
            params,
        )
        if saved is not None:
            progress(5, LOAD_STEPS, "索引の作成")
            _restore_structures(saved)
        return _audit_batches(cursor, actor=actor, purpose=purpose, batch_size=batch_size, params=params)


def _audit_batches(
    cursor: Any, *, actor: Person | None, purpose: str, batch_size: int, params: dict[str, Any]
) -> bulk.BulkLoadResult:
    """One audit row per batch of households (as bulk.load_households cuts them), naming its 宛名番号 range."""
    result = bulk.BulkLoadResult()
    cursor.execute("SELECT size FROM kyodo_import_households ORDER BY first_row")
    sizes = [size for (size,) in cursor.fetchall()]
    first_household = 0
    batches: list[tuple[int, int, int]] = []  # (first household, households, residents)
    count = residents = 0
    for size in sizes:
        count += 1
        residents += size
        if residents >= batch_size:
            batches.append((first_household, count, residents))
            first_household, count, residents = first_household + count, 0, 0
    if count:
        batches.append((first_household, count, residents))
    check = numbering.check_digit_sql
    cursor.execute(
        f"""
        SELECT b.n, {check("min(k.atena_serial)")}, {check("max(k.atena_serial)")}
        FROM kyodo_import_members k
        JOIN (SELECT first_row, row_number() OVER (ORDER BY first_row) - 1 AS position
              FROM kyodo_import_households) h USING (first_row)
        JOIN unnest(%(starts)s::int[], %(ends)s::int[]) WITH ORDINALITY AS b(s, e, n)
          ON h.position >= b.s AND h.position < b.e
        GROUP BY b.n ORDER BY b.n
        """,
        {**params, "starts": [b[0] for b in batches], "ends": [b[0] + b[1] for b in batches]},
    )
    ranges = cursor.fetchall()
    for (first_household, households, residents), (number, first, last) in zip(batches, ranges, strict=True):
        row = audit.record(
            actor=actor,
            action="resident.bulk_load",
            obj=("resident_records.Resident", f"{first}-{last}"),
            purpose=purpose,
            personal_data=True,
            details={
                "batch": number,
                "households": households,
                "residents": residents,
                "first_household": first_household + 1,
                "first_atena_number": first,
                "last_atena_number": last,
                "kinds": [EventKind.EX_OFFICIO_ENTRY.value],
            },
        )
        result.audit_event_ids.append(row.pk)
        result.households += households
        result.residents += residents
        result.batches += 1
        result.first_atena_number = result.first_atena_number or first
        result.last_atena_number = last
    return result
