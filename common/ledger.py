"""Append-only, hash-chained ledgers (finance's journal, the water enterprise's books, …).

A ledger is a concrete subclass of ``ChainedLine`` in a town's schema that names the fields its hash covers::

    class JournalLine(ChainedLine):
        chained_fields = ("posted_on", "account_code", "debit", "credit", "memo", "source_type", "source_id")
        ...

Lines are written only through ``append`` inside the service's transaction; the table refuses UPDATE, DELETE and
TRUNCATE (``append_only_sql`` in the app's migration). Each line's ``row_hash`` covers its chained fields, its
``seq``, the schema and the previous line's hash, so an edited, deleted, reordered or copied line is found by
``verify`` (``python manage.py verify_ledger``). Balances are computed from the lines, never stored twice.

Writers of one ledger are serialised by a transaction-scoped advisory lock on (schema, table): postings are far
rarer than audited reads, and the caller usually holds the lock of what it posts against (a budget line, a bill)
anyway. The design and its guarantees: docs/ledgers.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone
from django_tenants.utils import schema_context

from common.errors import ApplicationError
from common.tenancy import current_schema

GENESIS_HASH = "0" * 64


class ChainedLine(models.Model):
    """The chain columns every ledger line carries."""

    seq = models.BigIntegerField("連番", unique=True, editable=False)
    recorded_at = models.DateTimeField("記録日時", editable=False)
    prev_hash = models.CharField("直前行のハッシュ", max_length=64, editable=False)
    row_hash = models.CharField("行ハッシュ", max_length=64, editable=False)

    # The model's own fields that the hash covers (besides seq, recorded_at, the schema and prev_hash).
    chained_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True


L = TypeVar("L", bound=ChainedLine)


class LedgerOutsideTransaction(ApplicationError):
    code = "ledger_outside_transaction"
    message = "帳簿への記帳は業務処理のトランザクションの中でのみ行えます。"


_registry: dict[str, type[ChainedLine]] = {}


def register_ledger(model: type[ChainedLine]) -> None:
    """Called by the owning app in ``AppConfig.ready``; ``verify_ledger`` then checks it in every town."""
    _registry[model._meta.label] = model


def registered_ledgers() -> dict[str, type[ChainedLine]]:
    return dict(_registry)


# Derived tables kept from a ledger (e.g. finance's monthly rollup): label -> (ledger label, check). A check
# returns None when the table agrees with its ledger in the current schema, else what differs.
_derived: dict[str, tuple[str, Callable[[], str | None]]] = {}


def register_derived_check(ledger: type[ChainedLine], label: str, check: Callable[[], str | None]) -> None:
    """``verify_ledger`` runs ``check`` in every town after verifying ``ledger``'s chain."""
    _derived[label] = (ledger._meta.label, check)


def derived_checks(ledger_label: str) -> dict[str, Callable[[], str | None]]:
    return {label: check for label, (source, check) in _derived.items() if source == ledger_label}


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # 100, 100.0 and 100.00 are the same amount, whatever the column's scale returns.
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, models.Model):
        return value.pk
    return value


def compute_hash(model: type[ChainedLine], values: Mapping[str, Any], *, schema: str) -> str:
    payload = {name: _canonical(values[name]) for name in model.chained_fields}
    payload["seq"] = values["seq"]
    payload["recorded_at"] = _canonical(values["recorded_at"])
    payload["prev_hash"] = values["prev_hash"]
    payload["schema"] = schema
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _lock_key(schema: str, table: str) -> int:
    digest = hashlib.sha256(f"kyodo-ledger:{schema}:{table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def append(model: type[L], lines: Sequence[L]) -> list[L]:
    """Chain and insert ``lines`` (unsaved instances of ``model``) at the end of the ledger, in order.

    Must run inside the caller's ``transaction.atomic()``: the lines commit or roll back with the operation
    that caused them."""
    if not connection.in_atomic_block:
        raise LedgerOutsideTransaction()
    if not lines:
        return []
    schema = current_schema()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(schema, model._meta.db_table)])
    last = model._default_manager.order_by("-seq").values_list("seq", "row_hash").first()
    seq, prev_hash = last if last else (0, GENESIS_HASH)
    # Truncated to microseconds, as PostgreSQL stores it, so the hash recomputes exactly.
    now = timezone.now()
    for line in lines:
        seq += 1
        line.seq = seq
        line.recorded_at = now
        line.prev_hash = prev_hash
        values = {name: getattr(line, _attname(model, name)) for name in model.chained_fields}
        values.update(seq=seq, recorded_at=now, prev_hash=prev_hash)
        line.row_hash = compute_hash(model, values, schema=schema)
        prev_hash = line.row_hash
    return model._default_manager.bulk_create(lines)


def _attname(model: type[ChainedLine], name: str) -> str:
    """A foreign key is hashed by its id (what ``values()`` returns when verifying)."""
    return model._meta.get_field(name).attname  # type: ignore[union-attr]


@dataclass(frozen=True)
class LedgerBreak:
    seq: int | None
    reason: str

    def __str__(self) -> str:
        return f"seq={self.seq}: {self.reason}"


@dataclass(frozen=True)
class LedgerReport:
    ledger: str
    schema: str
    rows: int
    first_break: LedgerBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def _rows(model: type[ChainedLine]) -> Iterator[dict[str, Any]]:
    fields = [_attname(model, name) for name in model.chained_fields]
    rows = model._default_manager.order_by("seq").values("seq", "recorded_at", "prev_hash", "row_hash", *fields)
    names = dict(zip(fields, model.chained_fields, strict=True))
    for row in rows.iterator(chunk_size=5000):
        yield {names.get(key, key): value for key, value in row.items()}


def verify(model: type[ChainedLine], schema: str | None = None) -> LedgerReport:
    """Walk the ledger in seq order and report the first line whose link or content does not hold."""
    schema = schema or current_schema()
    count = 0
    with schema_context(schema):
        prev_hash = GENESIS_HASH
        prev_time: datetime | None = None
        for expected_seq, row in enumerate(_rows(model), start=1):
            count += 1
            reason = None
            if row["seq"] != expected_seq:
                reason = f"連番が飛んでいます (期待値 {expected_seq}): 行が削除または挿入された可能性"
            elif row["prev_hash"] != prev_hash:
                reason = "直前行のハッシュと一致しません: 行の削除・差し込み・順序の入れ替え"
            elif compute_hash(model, row, schema=schema) != row["row_hash"]:
                reason = "行の内容がハッシュと一致しません: 行が書き換えられているか、別の自治体の行です"
            elif prev_time is not None and row["recorded_at"] < prev_time:
                reason = "記録日時が直前行より前です"
            if reason is not None:
                return LedgerReport(model._meta.label, schema, count, LedgerBreak(row["seq"], reason))
            prev_hash, prev_time = row["row_hash"], row["recorded_at"]
    return LedgerReport(model._meta.label, schema, count, None)


def append_only_sql(table: str) -> tuple[str, str]:
    """(forward, reverse) SQL for the app's migration: the table refuses UPDATE, DELETE and TRUNCATE."""
    forward = f"""
CREATE OR REPLACE FUNCTION kyodo_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger % is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'check_violation';
END;
$$;
CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION kyodo_ledger_append_only();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION kyodo_ledger_append_only();
"""
    reverse = f"""
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};
"""
    return forward, reverse
