"""Promoting the standby to primary: sequences set past the values in use, then the audit row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from bcp.models import Standby
from bcp.standby.connections import _db_execute, _db_rows, get_standby, replicated_schemas
from bcp.standby.errors import NotAStandby
from bcp.standby.lag import is_promoted
from common import audit

if TYPE_CHECKING:
    from tenants.models import Person

# Sequences that no column owns: the 宛名番号 / 世帯番号 of resident_records (numbering.py) are the serial
# followed by one check digit (住民記録システム標準仕様書 §1.1.13), so the serial in use is the number minus its
# last digit. (schema-relative sequence name) -> (table, column).
CHECK_DIGIT_SEQUENCES = {
    "resident_records_atena_seq": ("resident_records_resident", "atena_number"),
    "resident_records_household_seq": ("resident_records_household", "number"),
}


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
