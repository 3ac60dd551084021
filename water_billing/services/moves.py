"""異動連携 (docs/domain/water_billing.md §8): the resident register's 転入, 転居, 転出 and 死亡 become 開栓, 閉栓 and
名義変更 tasks on the water office's list. A pull: this service reads the register's public, audited selector
(resident_records.selectors.address_moves_since) from a per-town cursor, run by a periodic task and by the
clerk's button; the clerk sees what confirming a task would change (``preview``) and confirms it, which applies
the change through services.connections; nothing changes a contract on its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from common import audit
from common.errors import ApplicationError, ValidationFailed
from resident_records.selectors import address_moves_since
from water_billing.models import Connection, FeedCursor, MoveTask, MoveTaskKind, MoveTaskState
from water_billing.services import connections
from water_billing.services.connections import UserDetails

FEED = "resident_records.moves"
PURPOSE = "水道の開栓・閉栓・名義変更の確認(住民異動の連携)"
BATCH = 500

_KIND = {
    "move_in": MoveTaskKind.OPEN,
    "move_in_abroad": MoveTaskKind.OPEN,
    "change_of_address": MoveTaskKind.MOVE,
    "move_out_confirmed": MoveTaskKind.CLOSE,
    "death": MoveTaskKind.TRANSFER,
}


class TaskResolved(ApplicationError):
    code = "move_task_resolved"
    message = "この処理は既に完了しています。"
    status_code = 409


def _match(resident_number: str, address: str, previous: str) -> str:
    """The connection the task concerns: the resident's own contract, else one at the old or new address."""
    found = (
        Connection.objects.filter(resident_number=resident_number, closed_on__isnull=True)
        .values_list("tap_number", flat=True)
        .first()
    )
    if found:
        return found
    for where in (previous, address):
        if where:
            tap = (
                Connection.objects.filter(address=where, closed_on__isnull=True)
                .values_list("tap_number", flat=True)
                .first()
            )
            if tap:
                return tap
    return ""


def pull_moves(*, actor: Any) -> int:
    """Read the 異動 after this town's cursor (audited by the register's selector) and list a task for each
    household head who moved, or each resident who moved alone; returns the number of tasks created."""
    created = 0
    with transaction.atomic():
        cursor, _ = FeedCursor.objects.select_for_update().get_or_create(name=FEED)
        while True:
            moves = address_moves_since(actor=actor, purpose=PURPOSE, after_event_id=cursor.last_event_id, limit=BATCH)
            if not moves:
                break
            by_event: dict[int, list[Any]] = {}
            for move in moves:
                by_event.setdefault(move.event_id, []).append(move)
            tasks = []
            for event_moves in by_event.values():
                heads = [m for m in event_moves if m.household_head] or event_moves[:1]
                for move in heads:
                    tasks.append(
                        MoveTask(
                            event_id=move.event_id, atena_number=move.atena_number, kind=_KIND[move.kind],
                            event_kind=move.kind_label, event_date=move.event_date, name=move.name[:100],
                            kana=move.kana[:200], address=(move.moving_out_address or move.address)[:300]
                            if move.kind == "move_out_confirmed" else move.address[:300],
                            previous_address=(move.address if move.kind == "move_out_confirmed"
                                              else move.previous_address)[:300],
                            tap_number=_match(move.atena_number, move.address, move.previous_address),
                        )
                    )  # fmt: skip
            MoveTask.objects.bulk_create(tasks, ignore_conflicts=True)
            created += len(tasks)
            cursor.last_event_id = max(m.event_id for m in moves)
            if len(by_event) < BATCH:
                break
        cursor.save()
        audit.record(
            actor=actor,
            action="water.moves.pull",
            obj=("water_billing.FeedCursor", FEED, FEED),
            details={"tasks": created, "cursor": cursor.last_event_id},
        )
    return created


@dataclass(frozen=True)
class Decision:
    """What confirming a task does (§8): the day, the connection to open (開栓, or 転居's new address) and the new
    使用者 (the resident's details from the register for 開栓 and 転居; typed by the clerk for 名義変更)."""

    day: date
    open_tap: str = ""
    user: UserDetails | None = None


@dataclass(frozen=True)
class Change:
    tap_number: str
    action: str
    before: str
    after: str


def default_decision(task: MoveTask) -> Decision:
    user = None if task.kind == MoveTaskKind.TRANSFER else UserDetails(task.name, task.kana, task.atena_number)
    open_tap = ""
    if task.kind in {MoveTaskKind.OPEN, MoveTaskKind.MOVE}:
        at_new = Connection.objects.filter(address=task.address).exclude(tap_number=_close_tap(task))
        open_tap = str(at_new.order_by("-opened_on").values_list("tap_number", flat=True).first() or "")
        if task.kind == MoveTaskKind.OPEN and not open_tap:
            open_tap = task.tap_number
    return Decision(day=task.event_date, open_tap=open_tap, user=user)


def _close_tap(task: MoveTask) -> str:
    """The connection a 閉栓 or 転居 closes: the matched one, unless it is at the new address."""
    if task.kind == MoveTaskKind.CLOSE:
        return task.tap_number
    if task.kind == MoveTaskKind.MOVE and task.tap_number:
        at = Connection.objects.filter(tap_number=task.tap_number).values_list("address", flat=True).first()
        return task.tap_number if at != task.address else ""
    return ""


def _connection(tap_number: str) -> Connection:
    found = Connection.objects.filter(tap_number=tap_number.strip()).first()
    if found is None:
        raise ValidationFailed(f"水栓番号「{tap_number}」の給水装置がありません。", code="tap_unknown")
    return found


def _user_line(user: UserDetails | None) -> str:
    return f"{user.name}({user.resident_number})" if user and user.resident_number else (user.name if user else "")


def preview(task: MoveTask, decision: Decision) -> list[Change]:
    """What confirming ``task`` with ``decision`` would change, connection by connection; writes nothing."""
    changes: list[Change] = []
    day = f"{decision.day:%Y-%m-%d}"
    close_tap = _close_tap(task)
    if close_tap:
        conn = _connection(close_tap)
        if conn.closed_on is None:
            changes.append(Change(conn.tap_number, "閉栓", f"使用中({conn.user_name})", f"{day} 閉栓・精算検針を依頼"))
    if task.kind in {MoveTaskKind.OPEN, MoveTaskKind.MOVE} and decision.open_tap:
        conn = _connection(decision.open_tap)
        if conn.closed_on is not None:
            before = f"閉栓中({conn.closed_on:%Y-%m-%d} 閉栓)"
            changes.append(Change(conn.tap_number, "開栓", before, f"{day} 開栓 使用者 {_user_line(decision.user)}"))
        elif decision.user and conn.resident_number != decision.user.resident_number:
            changes.append(Change(conn.tap_number, "使用者の変更(開栓)", conn.user_name, _user_line(decision.user)))
    if task.kind == MoveTaskKind.TRANSFER and task.tap_number:
        conn = _connection(task.tap_number)
        changes.append(Change(conn.tap_number, "名義変更", conn.user_name, _user_line(decision.user) or "(未入力)"))
    return changes


def _apply(actor: Any, task: MoveTask, decision: Decision) -> list[Change]:
    changes = preview(task, decision)
    close_tap = _close_tap(task)
    for change in changes:
        conn = _connection(change.tap_number)
        if change.tap_number == close_tap and change.action == "閉栓":
            connections.close_connection(
                actor=actor, connection=conn, closed_on=decision.day, reason=f"異動連携: {task.event_kind}"
            )
        elif task.kind == MoveTaskKind.TRANSFER:
            if decision.user is None:
                raise ValidationFailed("新しい使用者の氏名を入力してください。", code="user_name_required")
            connections.transfer_connection(actor=actor, connection=conn, on=decision.day, user=decision.user)
        elif decision.user is not None:
            connections.open_connection(actor=actor, connection=conn, opened_on=decision.day, user=decision.user)
    return changes


def resolve_task(*, actor: Any, task: MoveTask, confirm: bool, decision: Decision | None = None) -> MoveTask:
    """The clerk's decision, after the preview (§8: nothing changes a contract on its own). Confirming applies the
    changes of ``preview`` through the connection services — 閉栓 with a final-reading request, 開栓 for the new
    使用者, 名義変更 — in one transaction with the task's own audit row; dismissing changes nothing."""
    with transaction.atomic():
        task = MoveTask.objects.select_for_update().get(pk=task.pk)
        if task.state != MoveTaskState.OPEN:
            raise TaskResolved()
        applied = _apply(actor, task, decision or default_decision(task)) if confirm else []
        task.state = MoveTaskState.DONE if confirm else MoveTaskState.DISMISSED
        task.resolved_by_id = getattr(actor, "pk", None)
        task.resolved_by_name = str(getattr(actor, "full_name", "") or "")[:100]
        task.resolved_at = timezone.now()
        task.save(update_fields=["state", "resolved_by_id", "resolved_by_name", "resolved_at"])
        audit.record(
            actor=actor,
            action="water.moves.resolve",
            obj=("water_billing.MoveTask", str(task.public_id), task.atena_number),
            personal_data=True,
            purpose=PURPOSE,
            details={"kind": task.kind, "confirm": confirm, "persons": [task.atena_number],
                     "changes": [f"{c.tap_number} {c.action}" for c in applied]},
        )  # fmt: skip
    return task
