"""異動連携 (docs/domain/water_billing.md §8): the resident register's 転入, 転居, 転出 and 死亡 become 開栓, 閉栓 and
名義変更 tasks on the water office's list. A pull: this service reads the register's public, audited selector
(resident_records.selectors.address_moves_since) from a per-town cursor, run by a periodic task and by the
clerk's button; the clerk confirms each task, and only a confirmed 閉栓 changes a contract."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from common import audit
from common.errors import ApplicationError, ValidationFailed
from resident_records.selectors import address_moves_since
from water_billing.models import Connection, FeedCursor, MoveTask, MoveTaskKind, MoveTaskState

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


def resolve_task(*, actor: Any, task: MoveTask, confirm: bool, closed_on: date | None = None) -> MoveTask:
    """The clerk's decision. Confirming a 閉栓 (or the 閉栓 of a 転居) closes the matched connection on the
    異動日 (or ``closed_on``); a 開栓 or 名義変更 is done by the clerk on the connection itself (the new user signs
    the application), so confirming it only records that it was handled."""
    with transaction.atomic():
        task = MoveTask.objects.select_for_update().get(pk=task.pk)
        if task.state != MoveTaskState.OPEN:
            raise TaskResolved()
        closed = ""
        if confirm and task.kind in {MoveTaskKind.CLOSE, MoveTaskKind.MOVE} and task.tap_number:
            connection = Connection.objects.select_for_update().get(tap_number=task.tap_number)
            day = closed_on or task.event_date
            if day < connection.opened_on:
                raise ValidationFailed("閉栓日は開栓日より後の日付にしてください。", code="close_before_open")
            if connection.closed_on is None:
                connection.closed_on = day
                connection.save(update_fields=["closed_on"])
                closed = connection.tap_number
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
            details={"kind": task.kind, "confirm": confirm, "closed": closed, "persons": [task.atena_number]},
        )
    return task
