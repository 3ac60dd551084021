"""Writing and verifying the tamper-evident audit trail.

Writing from a service is one line::

    audit.record(actor=actor, action="resident.view", obj=resident, purpose=purpose, personal_data=True)

The row joins the caller's transaction, so a rolled-back operation leaves no audit row and a committed
one always has its row. Rows are chained per schema: a transaction-scoped advisory lock serialises the
writers of one trail so that two concurrent requests cannot both chain onto the same previous row.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from common import context
from common.errors import InvalidPurpose, PurposeRequired
from common.models import AuditEvent
from common.tenancy import current_schema
from common.text import unprintable_reason

PURPOSE_MAX_LENGTH = 200  # AuditEvent.purpose


class Actor(Protocol):
    """Who acts: a platform identity (tenants.Person). common names only what the trail records of it."""

    pk: Any
    username: str
    full_name: str


class AnchorStore(Protocol):
    """Where the verified heads of the trails are kept, outside the trails themselves (tenants.anchors)."""

    def anchors(self, trail: str) -> dict[int, str]: ...

    def add(self, trail: str, seq: int, row_hash: str) -> None: ...


_anchor_store: AnchorStore | None = None


def register_anchor_store(store: AnchorStore) -> None:
    """Called by the app that keeps the anchors (tenants, in its AppConfig.ready): common imports no app."""
    global _anchor_store
    _anchor_store = store


def _anchors_kept() -> AnchorStore:
    if _anchor_store is None:  # never verify without the anchors: truncation would go unnoticed
        raise ImproperlyConfigured("no audit anchor store is registered (tenants.apps registers it)")
    return _anchor_store


logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq", "occurred_at", "trail", "actor_id", "actor_username", "actor_name", "role", "action",
    "object_type", "object_id", "object_repr", "personal_data", "purpose", "client_ip", "terminal",
    "channel", "request_id", "details", "prev_hash",
)  # fmt: skip


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def compute_row_hash(fields: dict[str, Any]) -> str:
    payload = {name: _canonical(fields[name]) for name in HASHED_FIELDS}
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _lock_key(trail: str) -> int:
    digest = hashlib.sha256(f"kyodo-audit:{trail}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _object_fields(obj: Any) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    if isinstance(obj, tuple):
        object_type, object_id, *rest = obj
        return str(object_type), str(object_id), str(rest[0]) if rest else ""
    meta = getattr(obj, "_meta", None)
    object_type = meta.label if meta is not None else type(obj).__name__
    return object_type, str(getattr(obj, "pk", "")), str(obj)[:200]


@dataclass
class PersonalDataReads:
    """The personal-data rows written while a page was being built (see ``counting_personal_data``)."""

    actions: list[str] = field(default_factory=list)


_reads: ContextVar[PersonalDataReads | None] = ContextVar("kyodo_personal_data_reads", default=None)


@contextmanager
def counting_personal_data() -> Iterator[PersonalDataReads]:
    """Collect the actions of the ``personal_data=True`` rows recorded inside the block.

    ``common.purpose.personal_data_page`` uses it to refuse a page that showed a person's details without the
    selector having written its audit row (docs/audit.md).
    """
    reads = PersonalDataReads()
    token = _reads.set(reads)
    try:
        yield reads
    finally:
        _reads.reset(token)


def record(
    *,
    actor: Actor | None,
    action: str,
    obj: Any = None,
    purpose: str = "",
    personal_data: bool = False,
    details: dict[str, Any] | None = None,
    council: bool = False,
    role: str | None = None,
) -> AuditEvent:
    """Append one audit row to the current town's trail (or the council trail with council=True).

    ``obj`` is a model instance or a ``(type, id[, label])`` tuple. ``personal_data=True`` marks a read
    or write of resident, koseki or payroll data and requires a purpose.
    """
    purpose = (purpose or "").strip()
    if personal_data and not purpose:
        raise PurposeRequired()
    # The purpose is typed by people and lands in audit CSVs: printable and bounded, never silently cut.
    if reason := unprintable_reason(purpose, max_length=PURPOSE_MAX_LENGTH):
        raise InvalidPurpose("利用目的" + reason)
    ctx = context.current()
    object_type, object_id, object_repr = _object_fields(obj)
    trail = get_public_schema_name() if council else current_schema()
    with schema_context(trail), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(trail)])
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "row_hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        fields: dict[str, Any] = {
            "seq": seq,
            # Truncated to microseconds, as PostgreSQL stores it, so the hash recomputes exactly.
            "occurred_at": timezone.now(),
            "trail": trail,
            "actor_id": actor.pk if actor is not None else None,
            "actor_username": actor.username if actor is not None else "",
            "actor_name": actor.full_name if actor is not None else "",
            "role": role if role is not None else ",".join(ctx.roles),
            "action": action,
            "object_type": object_type,
            "object_id": object_id[:100],
            "object_repr": object_repr[:200],
            "personal_data": personal_data,
            "purpose": purpose,
            "client_ip": ctx.client_ip,
            "terminal": ctx.terminal[:100],
            "channel": ctx.channel,
            "request_id": ctx.request_id[:64],
            "details": json.loads(json.dumps(details or {}, default=str)),
            "prev_hash": prev_hash,
        }
        fields["row_hash"] = compute_row_hash(fields)
        event = AuditEvent.objects.create(**fields)
    reads = _reads.get()
    if reads is not None and personal_data:
        reads.actions.append(action)
    return event


def all_trails() -> list[str]:
    """The council trail (public) and the trail of every town that has not withdrawn."""
    public = get_public_schema_name()
    towns = get_tenant_model().objects.exclude(schema_name=public).exclude(status="withdrawn")
    return [public, *towns.order_by("schema_name").values_list("schema_name", flat=True)]


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None
    row_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"row seq={self.seq} id={self.row_id}: {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    trail: str
    rows: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def _rows() -> Iterator[dict[str, Any]]:
    yield from (AuditEvent.objects.order_by("seq").values("id", "row_hash", *HASHED_FIELDS).iterator(chunk_size=2000))


def verify_chain(trail: str | None = None) -> ChainReport:
    """Walk one trail in seq order and report the first row whose link or content does not hold.

    Catches an edited row (its hash no longer recomputes), a deleted row (a gap in seq and a broken
    link), a row inserted out of order (its prev_hash or time does not follow its predecessor) and a row
    copied from another schema (the trail name is part of the hash).
    """
    trail = trail or current_schema()
    count = 0
    anchors = _anchors(trail)
    with schema_context(trail):
        prev_hash = GENESIS_HASH
        prev_time: datetime | None = None
        expected_seq = 1
        for row in _rows():
            count += 1
            reason = _link_problem(
                row, trail=trail, expected_seq=expected_seq, prev_hash=prev_hash, prev_time=prev_time
            )
            if reason is not None:
                return ChainReport(trail, count, ChainBreak(row["seq"], row["id"], reason))
            anchored = anchors.get(row["seq"])
            if anchored is not None and anchored != row["row_hash"]:
                reason = "検証済みの記録点とハッシュが一致しません: 行が書き換えられています"
                return ChainReport(trail, count, ChainBreak(row["seq"], row["id"], reason))
            prev_hash, prev_time, expected_seq = row["row_hash"], row["occurred_at"], expected_seq + 1
    if anchors and max(anchors) >= expected_seq:
        missing = max(anchors)
        reason = f"検証済みの記録点 (連番 {missing}) までの行がありません: 末尾の行が削除されています"
        return ChainReport(trail, count, ChainBreak(missing, None, reason))
    return ChainReport(trail, count, None)


def _anchors(trail: str) -> dict[int, str]:
    return _anchors_kept().anchors(trail)


def anchor_head(trail: str) -> int | None:
    """Record the current head of an intact trail in the public schema (after a successful verify)."""
    with schema_context(trail):
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "row_hash").first()
    if head is None:
        return None
    _anchors_kept().add(trail, head[0], head[1])
    return head[0]


def _link_problem(
    row: dict[str, Any], *, trail: str, expected_seq: int, prev_hash: str, prev_time: datetime | None
) -> str | None:
    if row["seq"] != expected_seq:
        return f"連番が飛んでいます (期待値 {expected_seq}): 行が削除または挿入された可能性"
    if row["trail"] != trail:
        return f"別のスキーマ ({row['trail']}) の行です"
    if row["prev_hash"] != prev_hash:
        return "直前行のハッシュと一致しません: 行の削除・差し込み・順序の入れ替え"
    if compute_row_hash(row) != row["row_hash"]:
        return "行の内容がハッシュと一致しません: 行が書き換えられています"
    if prev_time is not None and row["occurred_at"] < prev_time:
        return "日時が直前行より前です: 順序どおりに記録されていません"
    return None


def verify_all_trails() -> list[dict[str, Any]]:
    """Verify every trail; an intact one is anchored, a broken one is logged as an error and noted in the
    council trail (the nightly task common.tasks.verify_all_audit_chains)."""
    results = []
    for schema in all_trails():
        with schema_context(schema):
            report = verify_chain(schema)
        results.append({"trail": schema, "rows": report.rows, "intact": report.intact})
        if report.intact:
            anchor_head(schema)
        else:
            logger.error("audit chain broken in %s: %s", schema, report.first_break)
            record(
                actor=None,
                action="audit.chain_broken",
                details={"trail": schema, "first_break": str(report.first_break)},
                council=True,
            )
    return results
