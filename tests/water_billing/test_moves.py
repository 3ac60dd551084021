"""異動連携: the resident register's moves become the water office's tasks; the clerk confirms; the cross-module
read is audited (docs/domain/water_billing.md §8)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django_tenants.utils import schema_context

from common.errors import ValidationFailed
from common.models import AuditEvent
from resident_records import services as rr
from tests.resident_records.factories import move_in_family, versioned
from water_billing.models import Connection, FeedCursor, FinalReadingRequest, MoveTask, MoveTaskKind, MoveTaskState
from water_billing.services import moves
from water_billing.services.connections import UserDetails

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


# --- confirming applies the change to the contract (§8) ------------------------------------------------------


def test_confirming_a_move_requests_the_final_reading(moved: Any) -> None:
    _, _, conn = moved
    moves.pull_moves(actor=None)
    moves.resolve_task(actor=None, task=MoveTask.objects.get(kind=MoveTaskKind.MOVE), confirm=True)
    assert FinalReadingRequest.objects.get().connection_id == conn.pk


def test_a_move_opens_the_connection_at_the_new_address_for_the_resident(moved: Any) -> None:
    _, residents, _ = moved
    new = factories.connection(address=NEW, user_name="前の 使用者", closed_on=date(2026, 3, 31))
    moves.pull_moves(actor=None)
    moves.resolve_task(actor=None, task=MoveTask.objects.get(kind=MoveTaskKind.MOVE), confirm=True)
    opened = Connection.objects.get(pk=new.pk)
    assert opened.closed_on is None
    assert opened.opened_on == date(2026, 6, 1)
    assert opened.resident_number == residents[0].atena_number


def test_the_preview_changes_nothing(moved: Any) -> None:
    _, _, conn = moved
    moves.pull_moves(actor=None)
    task = MoveTask.objects.get(kind=MoveTaskKind.MOVE)
    [change] = moves.preview(task, moves.default_decision(task))
    assert change.action == "閉栓"
    assert Connection.objects.get(pk=conn.pk).closed_on is None


def test_a_death_transfers_the_contract_to_the_new_user(moved: Any) -> None:
    _, residents, conn = moved
    task = MoveTask.objects.create(
        event_id=999, atena_number=residents[0].atena_number, kind=MoveTaskKind.TRANSFER, event_kind="死亡",
        event_date=date(2026, 7, 1), name="故 人", address=OLD, tap_number=conn.tap_number,
    )  # fmt: skip
    decision = moves.Decision(day=date(2026, 7, 1), user=UserDetails("承継 花子", "ｼｮｳｹｲ ﾊﾅｺ", ""))
    moves.resolve_task(actor=None, task=task, confirm=True, decision=decision)
    assert Connection.objects.get(pk=conn.pk).user_name == "承継 花子"


def test_a_transfer_without_the_new_user_is_refused_and_changes_nothing(moved: Any) -> None:
    _, residents, conn = moved
    task = MoveTask.objects.create(
        event_id=998, atena_number=residents[0].atena_number, kind=MoveTaskKind.TRANSFER, event_kind="死亡",
        event_date=date(2026, 7, 1), name="故 人", address=OLD, tap_number=conn.tap_number,
    )  # fmt: skip
    with pytest.raises(ValidationFailed):
        moves.resolve_task(actor=None, task=task, confirm=True)
    assert MoveTask.objects.get(pk=task.pk).state == MoveTaskState.OPEN


def test_the_contract_change_is_audited(moved: Any) -> None:
    moves.pull_moves(actor=None)
    moves.resolve_task(actor=None, task=MoveTask.objects.get(kind=MoveTaskKind.MOVE), confirm=True)
    assert AuditEvent.objects.filter(action="water.connection.close").exists()


def test_the_clerk_sees_the_preview_then_confirms(moved: Any, new_person: Any, client_for: Any) -> None:
    _, _, conn = moved
    moves.pull_moves(actor=None)
    task = MoveTask.objects.get(kind=MoveTaskKind.MOVE)
    clerk = client_for(new_person("wb-move-clerk", nakatosa="water_clerk").username, "nakatosa")
    page = clerk.get(f"/water_billing/moves/{task.public_id}/").content.decode()
    assert "2026-06-01 閉栓・精算検針を依頼" in page
    clerk.post(f"/water_billing/moves/{task.public_id}/", {"decision": "confirm", "day": "2026-06-01"})
    with schema_context("nakatosa"):
        assert Connection.objects.get(pk=conn.pk).closed_on == date(2026, 6, 1)


def test_the_final_reading_request_is_on_the_readings_page(moved: Any, new_person: Any, client_for: Any) -> None:
    _, _, conn = moved
    moves.pull_moves(actor=None)
    moves.resolve_task(actor=None, task=MoveTask.objects.get(kind=MoveTaskKind.MOVE), confirm=True)
    reader = client_for(new_person("wb-move-reader", nakatosa="meter_reader").username, "nakatosa")
    page = reader.get("/water_billing/readings/").content.decode()
    assert f"<td>{conn.tap_number}</td><td>{OLD}</td><td>2026-06-01</td>" in page
