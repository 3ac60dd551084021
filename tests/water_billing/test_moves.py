"""異動連携: the resident register's moves become the water office's tasks; the clerk confirms; the cross-module
read is audited (docs/domain/water_billing.md §8)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django_tenants.utils import schema_context

from common.models import AuditEvent
from resident_records import services as rr
from tests.resident_records.factories import move_in_family, versioned
from water_billing.models import Connection, FeedCursor, MoveTask, MoveTaskKind, MoveTaskState
from water_billing.services import moves

from . import factories

pytestmark = pytest.mark.django_db
OLD = "高知県高岡郡中土佐町久礼 1234"
NEW = "高知県高岡郡中土佐町上ノ加江 55"


@pytest.fixture
def moved(db: Any) -> Any:
    with schema_context("nakatosa"):
        household, residents = move_in_family(None, address=OLD)
        conn = factories.connection(address=OLD, resident_number=residents[0].atena_number)
        rr.record_change_of_address(
            actor=None, household=versioned(household), event_date=date(2026, 6, 1),
            notified_on=date(2026, 6, 1), address=NEW,
        )  # fmt: skip
        yield household, residents, conn


def test_a_move_becomes_one_task_for_the_household_head(moved: Any) -> None:
    _, residents, conn = moved
    created = moves.pull_moves(actor=None)
    tasks = list(MoveTask.objects.order_by("event_id"))
    assert created == 2  # 転入 → 開栓, 転居 → 閉栓・開栓
    assert [t.kind for t in tasks] == [MoveTaskKind.OPEN, MoveTaskKind.MOVE]
    assert tasks[1].address == NEW
    assert tasks[1].tap_number == conn.tap_number
    assert {t.atena_number for t in tasks} == {residents[0].atena_number}


def test_pulling_again_creates_nothing(moved: Any) -> None:
    moves.pull_moves(actor=None)
    assert moves.pull_moves(actor=None) == 0
    assert FeedCursor.objects.get(name=moves.FEED).last_event_id > 0


def test_the_cross_module_read_is_audited(moved: Any) -> None:
    _, residents, _ = moved
    moves.pull_moves(actor=None)
    row = AuditEvent.objects.filter(action="resident.view").latest("seq")
    assert row.purpose == moves.PURPOSE
    assert residents[0].atena_number in row.details["persons"]


def test_nothing_changes_until_the_clerk_confirms(moved: Any) -> None:
    _, _, conn = moved
    moves.pull_moves(actor=None)
    task = MoveTask.objects.get(kind=MoveTaskKind.MOVE)
    assert Connection.objects.get(pk=conn.pk).closed_on is None
    moves.resolve_task(actor=None, task=task, confirm=True)
    assert Connection.objects.get(pk=conn.pk).closed_on == date(2026, 6, 1)
    assert MoveTask.objects.get(pk=task.pk).state == MoveTaskState.DONE


def test_a_task_is_resolved_once(moved: Any) -> None:
    moves.pull_moves(actor=None)
    task = MoveTask.objects.get(kind=MoveTaskKind.OPEN)
    moves.resolve_task(actor=None, task=task, confirm=False)
    with pytest.raises(moves.TaskResolved):
        moves.resolve_task(actor=None, task=task, confirm=True)
