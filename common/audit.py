"""Writing and verifying the tamper-evident audit trail.

Writing from a service is one line::

    audit.record(actor=actor, action="resident.view", obj=resident, purpose=purpose, personal_data=True)

The row joins the caller's transaction, so a rolled-back operation leaves no audit row and a committed
one always has its row. Writing takes no lock: the row is inserted *unchained* (its ``seq`` comes from a
database sequence, no hash yet), and the sequencer (``chain_pending``) links the committed rows of a trail
into its SHA-256 chain right after — queued when the writing transaction commits (``common.tasks.
chain_audit_trail``), with a periodic beat task as the safety net, and run first by every verification.
Chain order is the order in which rows became visible to the sequencer, i.e. commit order (docs/audit.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
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
CHAIN_BATCH = 2000  # rows linked per sequencer transaction
# A row still unchained this long after it was written means the sequencer is not running (or fails): the
# verification reports it (settings.KYODO_AUDIT_UNCHAINED_MAX_AGE_SECONDS overrides).
UNCHAINED_MAX_AGE_SECONDS = 600
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
    """SHA-256 of a row's content, its number and its link. ``chain_seq`` (the place in the chain) is hashed
    when it differs from ``seq`` (the number the row got when written); rows chained before the sequencer
    existed have both equal, and their hash is unchanged. Either way, changing either number changes the hash."""
    payload = {name: _canonical(fields[name]) for name in HASHED_FIELDS}
    if fields["chain_seq"] != fields["seq"]:
        payload["chain_seq"] = fields["chain_seq"]
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
    fields: dict[str, Any] = {
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
    }
    # No lock and no read of the head: ``seq`` is the database's (a sequence), the chain columns stay empty
    # until the sequencer links the row after this transaction commits. One INSERT, so no savepoint is needed
    # for the row to be all or nothing; it commits or rolls back with the caller's transaction.
    with schema_context(trail) if trail != current_schema() else nullcontext():
        event = AuditEvent.objects.create(**fields)
    transaction.on_commit(lambda: request_chaining(trail))
    reads = _reads.get()
    if reads is not None and personal_data:
        reads.actions.append(action)
    return event


def all_trails() -> list[str]:
    """The council trail (public) and the trail of every town that has not withdrawn."""
    public = get_public_schema_name()
    towns = get_tenant_model().objects.exclude(schema_name=public).exclude(status="withdrawn")
    return [public, *towns.order_by("schema_name").values_list("schema_name", flat=True)]


# --- The sequencer: linking committed rows into the chain ------------------------------------------------


def _pending_key(trail: str) -> str:
    return f"kyodo-audit-chain-pending:{trail}"


def request_chaining(trail: str) -> None:
    """After a commit that wrote audit rows: make sure a sequencer run of ``trail`` starts after this commit.

    One task per burst: the cache key says a run is queued and not yet started (the run deletes it before it
    reads, so a row committed after that queues the next run). A lost message or a broker that is down only
    delays the chain until the periodic run (common.tasks.chain_all_audit_trails); the clerk's request never
    fails for it.
    """
    from common.tasks import chain_audit_trail  # the task module imports this one

    try:
        with schema_context(trail):  # the cache key carries the schema (django_tenants.cache.make_key)
            if cache.add(_pending_key(trail), 1, timeout=60):
                chain_audit_trail.delay(trail)
    except Exception:  # the request committed already; the periodic run chains the row
        logger.warning("could not queue the audit sequencer for %s", trail, exc_info=True)


def run_sequencer(trail: str) -> int:
    """The queued run (common.tasks.chain_audit_trail): clear the pending mark, then chain."""
    with schema_context(trail):
        cache.delete(_pending_key(trail))
    return chain_pending(trail)


def chain_pending(trail: str | None = None) -> int:
    """Link every committed, not yet chained row of ``trail`` onto the head of its chain; returns how many.

    Rows are inserted without a lock, so their ``seq`` (taken at insert) is not the order in which they
    commit: a transaction that started earlier may commit later. The sequencer never puts a row *before*
    the chain's head, only after it: each run reads, in one snapshot, the rows committed so far that have no
    place yet, and appends them (in ``seq`` order) to the head. A row whose transaction commits after that
    snapshot is not lost — it is still unchained and the next run appends it. So the chain's order is the
    order in which rows became visible (commit order, at the granularity of a run), no row can ever need to go
    between two chained rows, and nothing already chained changes. Runs of one trail are serialised by an
    advisory lock that only sequencers take: writers never wait for it.
    """
    trail = trail or current_schema()
    total = 0
    with schema_context(trail):
        while True:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(trail)])
                head = (
                    AuditEvent.objects.filter(chain_seq__isnull=False)
                    .order_by("-chain_seq")
                    .values_list("chain_seq", "row_hash")
                    .first()
                )
                position, prev_hash = (head[0] or 0, head[1] or GENESIS_HASH) if head is not None else (0, GENESIS_HASH)
                rows = list(
                    AuditEvent.objects.filter(chain_seq__isnull=True)
                    .order_by("seq")
                    .values("id", *(f for f in HASHED_FIELDS if f != "prev_hash"))[:CHAIN_BATCH]
                )
                if not rows:
                    return total
                ids, positions, prevs, hashes = [], [], [], []
                for row in rows:
                    position += 1
                    fields = {**row, "chain_seq": position, "prev_hash": prev_hash}
                    prev_hash = compute_row_hash(fields)
                    ids.append(row["id"])
                    positions.append(position)
                    prevs.append(fields["prev_hash"])
                    hashes.append(prev_hash)
                with connection.cursor() as cursor:
                    # The append-only trigger lets exactly this through: a row's empty chain columns set once,
                    # nothing else changed (common migration 0006).
                    cursor.execute(
                        "UPDATE common_auditevent AS e SET chain_seq = v.chain_seq, prev_hash = v.prev_hash, "
                        "row_hash = v.row_hash FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) "
                        "AS v(id, chain_seq, prev_hash, row_hash) WHERE e.id = v.id",
                        [ids, positions, prevs, hashes],
                    )
            total += len(rows)
            if len(rows) < CHAIN_BATCH:
                return total


def chain_all_trails() -> dict[str, int]:
    """The periodic safety net: chain whatever is pending in every trail."""
    return {trail: chain_pending(trail) for trail in all_trails()}


# --- Verification ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None
    row_id: int | None
    reason: str
    chain_seq: int | None = None

    def __str__(self) -> str:
        return f"row seq={self.seq} chain_seq={self.chain_seq} id={self.row_id}: {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    trail: str
    rows: int
    first_break: ChainBreak | None
    unchained: int = 0  # rows written but not yet linked (younger than the allowed age)

    @property
    def intact(self) -> bool:
        return self.first_break is None


def _chained_rows() -> Iterator[dict[str, Any]]:
    rows = AuditEvent.objects.filter(chain_seq__isnull=False).order_by("chain_seq")
    yield from rows.values("id", "row_hash", "chain_seq", *HASHED_FIELDS).iterator(chunk_size=2000)


def unchained_max_age() -> timedelta:
    return timedelta(seconds=getattr(settings, "KYODO_AUDIT_UNCHAINED_MAX_AGE_SECONDS", UNCHAINED_MAX_AGE_SECONDS))


def verify_chain(trail: str | None = None, *, chain_first: bool = True) -> ChainReport:
    """Run the sequencer, then walk one trail in chain order and report the first row that does not hold.

    Catches an edited row (its hash no longer recomputes), a deleted row (a gap in ``chain_seq`` and a
    broken link), a row inserted or moved (its ``prev_hash`` does not follow its predecessor), a row copied
    from another schema (the trail name is part of the hash), rows cut from the end (the anchors kept in
    public) and a row left unchained for longer than ``unchained_max_age`` (the sequencer is not running, or
    a row cannot be linked).
    """
    trail = trail or current_schema()
    if chain_first:
        try:
            chain_pending(trail)
        except Exception:  # e.g. a row the trigger refuses to link: the walk below says what is wrong
            logger.exception("the audit sequencer failed in %s", trail)
    count = 0
    anchors = _anchors(trail)
    with schema_context(trail):
        prev_hash = GENESIS_HASH
        expected = 1
        for row in _chained_rows():
            count += 1
            reason = _link_problem(row, trail=trail, expected=expected, prev_hash=prev_hash)
            if reason is not None:
                return ChainReport(trail, count, ChainBreak(row["seq"], row["id"], reason, row["chain_seq"]))
            anchored = anchors.get(row["chain_seq"])
            if anchored is not None and anchored != row["row_hash"]:
                reason = "検証済みの記録点とハッシュが一致しません: 行が書き換えられています"
                return ChainReport(trail, count, ChainBreak(row["seq"], row["id"], reason, row["chain_seq"]))
            prev_hash, expected = row["row_hash"], expected + 1
        if anchors and max(anchors) >= expected:
            missing = max(anchors)
            reason = f"検証済みの記録点 (連鎖番号 {missing}) までの行がありません: 末尾の行が削除されています"
            return ChainReport(trail, count, ChainBreak(None, None, reason, missing))
        unchained = AuditEvent.objects.filter(chain_seq__isnull=True)
        stale = unchained.filter(occurred_at__lt=timezone.now() - unchained_max_age()).order_by("seq").first()
        if stale is not None:
            reason = "連鎖されていない行が残っています: 順序付け (sequencer) が動いていないか、行を連鎖できません"
            return ChainReport(trail, count, ChainBreak(stale.seq, stale.pk, reason))
        return ChainReport(trail, count, None, unchained=unchained.count())


def _anchors(trail: str) -> dict[int, str]:
    return _anchors_kept().anchors(trail)


def anchor_head(trail: str) -> int | None:
    """Record the current head of an intact trail in the public schema (after a successful verify)."""
    with schema_context(trail):
        head = (
            AuditEvent.objects.filter(chain_seq__isnull=False)
            .order_by("-chain_seq")
            .values_list("chain_seq", "row_hash")
            .first()
        )
    if head is None or head[0] is None or head[1] is None:
        return None
    _anchors_kept().add(trail, head[0], head[1])
    return head[0]


def _link_problem(row: dict[str, Any], *, trail: str, expected: int, prev_hash: str) -> str | None:
    # occurred_at is not compared with the previous row's: the chain is in commit order, and a transaction
    # that wrote its row earlier may commit (and be chained) after one that wrote later.
    if row["chain_seq"] != expected:
        return f"連鎖番号が飛んでいます (期待値 {expected}): 行が削除または挿入された可能性"
    if row["trail"] != trail:
        return f"別のスキーマ ({row['trail']}) の行です"
    if row["prev_hash"] != prev_hash:
        return "直前行のハッシュと一致しません: 行の削除・差し込み・順序の入れ替え"
    if compute_row_hash(row) != row["row_hash"]:
        return "行の内容がハッシュと一致しません: 行が書き換えられています"
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
