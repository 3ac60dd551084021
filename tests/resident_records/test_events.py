"""Every 異動 after 転入/転居: 出生, 転出 (予定/確定), 死亡, 世帯主変更, 世帯分離, 世帯合併, 職権記載/消除/修正,
誤記修正 and 異動の取消し — the records they write, the state as of a date, the audit rows, and the refusals
that write nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.db.models import Max
from django_tenants.utils import schema_context

from common.errors import ValidationFailed
from common.models import AuditEvent
from resident_records import mynumber, numbering, selectors, services
from resident_records.errors import (
    CancellationNotAllowed,
    EventNotAllowed,
    FieldNotCorrectable,
    InvalidEventDate,
    InvalidMyNumber,
    NewHeadRequired,
    ReasonRequired,
    RelationshipMissing,
    ResidentConflict,
)
from resident_records.models import (
    ChangeEvent,
    EventKind,
    Household,
    HouseholdRecord,
    Resident,
    ResidentRecord,
    ResidentStatus,
)
from resident_records.services import Versioned
from tenants.models import Person
from tests.resident_records.factories import move_in_family, person, versioned

TODAY = date(2026, 11, 27)
MOVED_IN = date(2026, 4, 1)


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def in_nakatosa(db: Any) -> Any:
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def yamada(in_nakatosa: None, clerk: Person) -> tuple[Household, Resident, Resident, Resident]:
    """世帯主 太郎, 妻 花子, 子 一郎, moved in on 2026-04-01."""
    household, (head, wife, son) = move_in_family(clerk)
    return household, head, wife, son


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (ChangeEvent, ResidentRecord, Resident, Household, HouseholdRecord, AuditEvent)
    )


@contextmanager
def writes_nothing() -> Iterator[None]:
    """Wrap a refused call: no event, record, resident, household or audit row may have been written."""
    before = _counts()
    yield
    assert _counts() == before


def _last_seq() -> int:
    return int(AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0)


def _audit_since(seq: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


def _assert_audited(seq: int, event: ChangeEvent, residents: list[Resident], purpose: str) -> None:
    rows = _audit_since(seq)
    assert sorted(r.object_repr for r in rows) == sorted(str(r) for r in residents)  # one row per resident
    for row in rows:
        assert row.action == f"resident.{event.kind}"
        assert row.personal_data
        assert row.purpose == purpose
        assert row.details["event"] == event.pk


def _fresh(resident: Resident) -> Resident:
    resident.refresh_from_db()
    return resident


def _as_of(resident: Resident, day: date) -> ResidentRecord:
    record = selectors.resident_as_of(resident, day)
    assert record is not None
    return record


def _member_ids(household: Household, day: date) -> list[int]:
    return [r.resident_id for r in selectors.household_members_as_of(household.pk, day)]


# --- 出生 ----------------------------------------------------------------------------------------


def test_birth_joins_the_household_from_the_birth_date(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    seq = _last_seq()
    born = date(2026, 11, 20)
    baby = person("山田", "二郎", "やまだ", "じろう", birth=born, relationship="子")
    event = services.record_birth(actor=clerk, household=versioned(household), child=baby, notified_on=TODAY)
    assert (event.kind, event.event_date, event.ex_officio) == (EventKind.BIRTH, born, False)
    child = Resident.objects.get(household=household, given_name="二郎")
    assert numbering.is_valid_number(child.atena_number)
    assert child.became_resident_on == child.address_set_on == born
    assert (child.address, child.family_name_kana, child.status) == (head.address, "ヤマダ", ResidentStatus.RESIDENT)
    assert child.records.get().event == event
    assert _member_ids(household, born - timedelta(days=1)) == [head.pk, wife.pk, son.pk]
    assert _member_ids(household, born) == [head.pk, wife.pk, son.pk, child.pk]
    assert selectors.resident_as_of(child, born - timedelta(days=1)) is None
    _assert_audited(seq, event, [child], "出生の処理")


def test_birth_notified_after_14_days_is_a_notice_marked_overdue(yamada: Any, clerk: Person) -> None:
    household, *_ = yamada
    baby = person("山田", "二郎", birth=TODAY - timedelta(days=15), relationship="子")
    event = services.record_birth(actor=clerk, household=versioned(household), child=baby, notified_on=TODAY)
    assert (event.ex_officio, event.overdue) == (False, True)  # 戸籍法 第49条: 14 days


def test_birth_refusals_write_nothing(yamada: Any, clerk: Person) -> None:
    household, *_ = yamada
    seen = versioned(household)
    # One validator with the bulk import (resident_records.validation): a birth date in the future is refused.
    with writes_nothing(), pytest.raises(ValidationFailed, match="生年月日が未来"):
        services.record_birth(
            actor=clerk, household=seen, child=person(birth=TODAY + timedelta(days=1), relationship="子"),
            notified_on=TODAY,
        )  # fmt: skip
    with writes_nothing(), pytest.raises(ValidationFailed, match="続柄"):
        services.record_birth(actor=clerk, household=seen, child=person(birth=TODAY), notified_on=TODAY)
    with writes_nothing(), pytest.raises(InvalidEventDate, match="世帯を設けた日"):
        services.record_birth(
            actor=clerk, household=seen, child=person(birth=date(2026, 1, 1), relationship="子"), notified_on=TODAY
        )
    services.record_birth(actor=clerk, household=seen, child=person(birth=TODAY, relationship="子"), notified_on=TODAY)
    with writes_nothing(), pytest.raises(ResidentConflict):  # the same stale screen again
        services.record_birth(
            actor=clerk, household=seen, child=person(birth=TODAY, relationship="子"), notified_on=TODAY
        )


# --- 転出 ----------------------------------------------------------------------------------------


def test_move_out_planned_ahead_then_confirmed_on_the_notice(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    planned_on = date(2026, 12, 10)  # the 転出予定日 may be in the future, the 届出 comes first
    seq = _last_seq()
    plan = services.plan_move_out(
        actor=clerk, household=versioned(household), event_date=planned_on, notified_on=TODAY,
        destination="高知県高知市本町一丁目1番1号",
    )  # fmt: skip
    assert (plan.kind, plan.ex_officio) == (EventKind.MOVE_OUT_PLANNED, False)
    for resident in (head, wife, son):
        _fresh(resident)
        assert resident.status == ResidentStatus.RESIDENT  # stays 住民 until the 転入通知
        assert (resident.moving_out_on, resident.moving_out_confirmed) == (planned_on, False)
        assert resident.moving_out_address == "高知県高知市本町一丁目1番1号"
        assert _as_of(resident, TODAY).moving_out_on == planned_on
        assert _as_of(resident, TODAY - timedelta(days=1)).moving_out_on is None
    _assert_audited(seq, plan, [head, wife, son], "転出(予定)の処理")

    with time_machine.travel(date(2026, 12, 20), tick=False):
        seq = _last_seq()
        confirmed = services.confirm_move_out(
            actor=clerk, residents=[versioned(head), versioned(wife), versioned(son)], moved_on=date(2026, 12, 12),
            notice_received_on=date(2026, 12, 18), destination="高知県高知市本町一丁目1番2号",
        )  # fmt: skip
    assert confirmed.kind == EventKind.MOVE_OUT_CONFIRMED
    assert not confirmed.ex_officio
    assert confirmed.notified_on == date(2026, 12, 18)
    for resident in (head, wife, son):
        _fresh(resident)
        assert (resident.status, resident.removal_reason, resident.removed_on) == (
            ResidentStatus.MOVED_OUT, "転出", date(2026, 12, 12),
        )  # fmt: skip
        assert resident.moving_out_confirmed
        assert resident.moving_out_on == date(2026, 12, 12)
        assert resident.moving_out_address == "高知県高知市本町一丁目1番2号"
    household.refresh_from_db()
    assert household.dissolved_on == date(2026, 12, 12)
    assert _member_ids(household, date(2026, 12, 11)) == [head.pk, wife.pk, son.pk]
    assert _member_ids(household, date(2026, 12, 12)) == []
    assert _as_of(head, date(2026, 12, 12)).status == ResidentStatus.MOVED_OUT
    _assert_audited(seq, confirmed, [head, wife, son], "転出(確定)の処理")


def test_head_moving_out_alone_needs_a_new_head_chosen_on_the_notice(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    seen = versioned(household)
    common = {"actor": clerk, "household": seen, "event_date": TODAY, "notified_on": TODAY, "destination": "高知市"}
    with writes_nothing(), pytest.raises(NewHeadRequired, match="新しい世帯主を選んでください"):
        services.plan_move_out(members=[versioned(head)], **common)
    with writes_nothing(), pytest.raises(RelationshipMissing, match=son.atena_number):
        services.plan_move_out(members=[versioned(head)], new_head=wife.pk, relationships={}, **common)
    with writes_nothing(), pytest.raises(EventNotAllowed, match="残る住民"):
        services.plan_move_out(members=[versioned(head)], new_head=head.pk, relationships={}, **common)
    services.plan_move_out(members=[versioned(head)], new_head=wife.pk, relationships={son.pk: "子"}, **common)
    assert Household.objects.get(pk=household.pk).head_id == head.pk  # applied only on confirmation

    with time_machine.travel(TODAY + timedelta(days=5), tick=False):
        event = services.confirm_move_out(
            actor=clerk, residents=[versioned(head)], moved_on=TODAY, notice_received_on=TODAY + timedelta(days=4)
        )
    household.refresh_from_db()
    assert household.head_id == wife.pk
    assert household.dissolved_on is None
    assert (_fresh(wife).relationship, _fresh(son).relationship) == ("世帯主", "子")
    assert _fresh(head).status == ResidentStatus.MOVED_OUT
    assert head.moving_out_address == "高知市"
    assert set(event.records.values_list("resident_id", flat=True)) == {head.pk, wife.pk, son.pk}
    assert selectors.household_head_as_of(household.pk, TODAY - timedelta(days=1)).head_id == head.pk  # type: ignore[union-attr]
    assert selectors.household_head_as_of(household.pk, TODAY).head_id == wife.pk  # type: ignore[union-attr]


def test_move_out_refusals_and_late_notice(yamada: Any, clerk: Person) -> None:
    household, _head, _wife, son = yamada
    with writes_nothing(), pytest.raises(EventNotAllowed, match="転出予定が登録されていません"):
        services.confirm_move_out(actor=clerk, residents=[versioned(son)], moved_on=TODAY, notice_received_on=TODAY)
    with writes_nothing(), pytest.raises(ValidationFailed, match="転出先"):
        services.plan_move_out(
            actor=clerk, household=versioned(household), event_date=TODAY, notified_on=TODAY, destination=" ",
            members=[versioned(son)],
        )  # fmt: skip
    # §4.1.3.0.1: a 転出届 more than 14 days after the move is entered 職権.
    late = services.plan_move_out(
        actor=clerk, household=versioned(household), event_date=TODAY - timedelta(days=20), notified_on=TODAY,
        destination="東京都千代田区", members=[versioned(son)],
    )  # fmt: skip
    assert late.ex_officio
    with writes_nothing(), pytest.raises(EventNotAllowed, match="既に転出予定"):
        services.plan_move_out(
            actor=clerk, household=versioned(household), event_date=TODAY, notified_on=TODAY, destination="x",
            members=[versioned(son)],
        )  # fmt: skip
    with writes_nothing(), pytest.raises(InvalidEventDate):  # the actual move cannot be in the future
        services.confirm_move_out(
            actor=clerk, residents=[versioned(son)], moved_on=TODAY + timedelta(days=1), notice_received_on=TODAY
        )
    stale = Versioned(son.pk, 1)
    with writes_nothing(), pytest.raises(ResidentConflict):
        services.confirm_move_out(actor=clerk, residents=[stale], moved_on=TODAY, notice_received_on=TODAY)
    # 30 days past the 転出予定日 with no 転入通知: listed for the clerk's 実態調査, never removed automatically.
    assert list(selectors.overdue_move_outs(TODAY + timedelta(days=11))) == [_fresh(son)]
    assert list(selectors.overdue_move_outs(TODAY + timedelta(days=10))) == []
    assert _fresh(son).status == ResidentStatus.RESIDENT


# --- 死亡 ----------------------------------------------------------------------------------------


def test_death_of_a_member(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    died = date(2026, 11, 1)
    seq = _last_seq()
    event = services.record_death(actor=clerk, resident=versioned(son), died_on=died, notified_on=date(2026, 11, 5))
    assert not event.ex_officio
    _fresh(son)
    assert (son.status, son.removed_on, son.removal_reason) == (ResidentStatus.DECEASED, died, "死亡")
    assert _member_ids(household, died - timedelta(days=1)) == [head.pk, wife.pk, son.pk]
    assert _member_ids(household, died) == [head.pk, wife.pk]
    assert _as_of(son, died - timedelta(days=1)).status == ResidentStatus.RESIDENT
    _assert_audited(seq, event, [son], "死亡の処理")
    with writes_nothing(), pytest.raises(EventNotAllowed, match="死亡"):
        services.record_death(actor=clerk, resident=versioned(son), died_on=died, notified_on=died)


def test_death_of_the_head_requires_a_new_head_in_the_same_event(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    with writes_nothing(), pytest.raises(NewHeadRequired):
        services.record_death(actor=clerk, resident=versioned(head), died_on=TODAY, notified_on=TODAY)
    with writes_nothing(), pytest.raises(RelationshipMissing):
        services.record_death(actor=clerk, resident=versioned(head), died_on=TODAY, notified_on=TODAY, new_head=wife.pk)
    seq = _last_seq()
    event = services.record_death(
        actor=clerk, resident=versioned(head), died_on=TODAY, notified_on=TODAY, new_head=wife.pk,
        relationships={son.pk: "子"},
    )  # fmt: skip
    household.refresh_from_db()
    assert household.head_id == wife.pk
    assert _fresh(wife).relationship == "世帯主"
    assert _fresh(head).status == ResidentStatus.DECEASED
    _assert_audited(seq, event, [head, wife, son], "死亡の処理")
    view = selectors.household_as_of(household.pk, TODAY)
    assert view is not None
    assert view.head_id == wife.pk
    assert [r.resident_id for r in view.members] == [wife.pk, son.pk]
    before = selectors.household_as_of(household.pk, TODAY - timedelta(days=1))
    assert before is not None
    assert before.head_id == head.pk
    assert [r.relationship for r in before.members] == ["世帯主", "妻", "子"]


def test_death_of_the_last_member_dissolves_the_household(in_nakatosa: None, clerk: Person) -> None:
    household, (alone,) = move_in_family(clerk, members=[person()])
    with writes_nothing(), pytest.raises(InvalidEventDate, match="生年月日"):
        services.record_death(actor=clerk, resident=versioned(alone), died_on=date(1970, 1, 1), notified_on=TODAY)
    with writes_nothing(), pytest.raises(InvalidEventDate, match="直前の異動"):  # before the 転入
        services.record_death(actor=clerk, resident=versioned(alone), died_on=date(2026, 3, 1), notified_on=TODAY)
    services.record_death(actor=clerk, resident=versioned(alone), died_on=TODAY, notified_on=TODAY)
    household.refresh_from_db()
    assert household.dissolved_on == TODAY
    view = selectors.household_as_of(household.pk, TODAY)
    assert view is not None
    assert view.dissolved
    assert view.members == []
    # No 転居 for a deceased person: the household has no 住民 left.
    with writes_nothing(), pytest.raises(EventNotAllowed):
        services.record_change_of_address(
            actor=clerk, household=versioned(household), event_date=TODAY, notified_on=TODAY, address="x"
        )


def test_death_with_a_stale_screen_is_a_conflict(yamada: Any, clerk: Person) -> None:
    _household, _head, _wife, son = yamada
    seen = versioned(son)
    services.correct_clerical_error(actor=clerk, resident=seen, changes={"given_name": "一朗"}, reason="誤字")
    with writes_nothing(), pytest.raises(ResidentConflict):
        services.record_death(actor=clerk, resident=seen, died_on=TODAY, notified_on=TODAY)


# --- 世帯主変更 ----------------------------------------------------------------------------------


def test_change_of_head_re_expresses_every_relationship(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    day = date(2026, 11, 1)
    seq = _last_seq()
    event = services.change_head(
        actor=clerk, household=versioned(household), new_head=wife.pk,
        relationships={head.pk: "夫", son.pk: "子"}, event_date=day, notified_on=date(2026, 11, 10),
    )  # fmt: skip
    household.refresh_from_db()
    assert household.head_id == wife.pk
    assert [_fresh(r).relationship for r in (head, wife, son)] == ["夫", "世帯主", "子"]
    assert _as_of(head, day - timedelta(days=1)).relationship == "世帯主"
    assert _as_of(head, day).relationship == "夫"
    before, after = (selectors.household_as_of(household.pk, d) for d in (day - timedelta(days=1), day))
    assert before is not None
    assert after is not None
    assert (before.head_id, after.head_id) == (head.pk, wife.pk)
    assert [r.resident_id for r in after.members] == [wife.pk, head.pk, son.pk]
    _assert_audited(seq, event, [head, wife, son], "世帯主変更の処理")


def test_change_of_head_refusals(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    seen = versioned(household)
    common = {"actor": clerk, "household": seen, "event_date": TODAY, "notified_on": TODAY}
    stranger, _ = move_in_family(clerk, members=[person("佐藤", "次郎")])
    outsider = Resident.objects.get(household=stranger)
    seen = versioned(household)
    common["household"] = seen
    with writes_nothing(), pytest.raises(EventNotAllowed, match="現在の世帯員"):
        services.change_head(new_head=outsider.pk, relationships={}, **common)
    with writes_nothing(), pytest.raises(EventNotAllowed, match="既に世帯主"):
        services.change_head(new_head=head.pk, relationships={wife.pk: "妻", son.pk: "子"}, **common)
    with writes_nothing(), pytest.raises(RelationshipMissing) as missing:
        services.change_head(new_head=wife.pk, relationships={head.pk: "夫"}, **common)
    assert son.atena_number in missing.value.message
    assert missing.value.details == {"missing": [son.atena_number]}
    with writes_nothing(), pytest.raises(ValidationFailed, match="世帯主は1世帯に1人"):
        services.change_head(new_head=wife.pk, relationships={head.pk: "世帯主", son.pk: "子"}, **common)
    with writes_nothing(), pytest.raises(ValidationFailed, match="世帯員でない"):
        services.change_head(new_head=wife.pk, relationships={head.pk: "夫", son.pk: "子", outsider.pk: "子"}, **common)
    with writes_nothing(), pytest.raises(InvalidEventDate):
        services.change_head(new_head=wife.pk, relationships={head.pk: "夫", son.pk: "子"}, **common | {
            "event_date": TODAY + timedelta(days=1)})  # fmt: skip
    services.change_head(new_head=wife.pk, relationships={head.pk: "夫", son.pk: "子"}, **common)
    with writes_nothing(), pytest.raises(ResidentConflict):
        services.change_head(new_head=son.pk, relationships={head.pk: "父", wife.pk: "母"}, **common)


# --- 世帯分離 / 世帯合併 -------------------------------------------------------------------------


def test_split_household_forms_a_new_household_at_the_same_address(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    day = date(2026, 11, 1)
    seq = _last_seq()
    event = services.split_household(
        actor=clerk, household=versioned(household), members=[versioned(son)], new_head=son.pk, relationships={},
        event_date=day, notified_on=day,
    )  # fmt: skip
    _fresh(son)
    new = Household.objects.get(pk=event.details["new_household"])
    assert new.number != household.number
    assert numbering.is_valid_number(new.number)
    assert (new.head_id, new.created_on, son.household_id, son.relationship) == (son.pk, day, new.pk, "世帯主")
    assert son.address == head.address
    assert _member_ids(household, day - timedelta(days=1)) == [head.pk, wife.pk, son.pk]
    assert _member_ids(household, day) == [head.pk, wife.pk]
    assert _member_ids(new, day) == [son.pk]
    assert selectors.household_as_of(new.pk, day - timedelta(days=1)) is None
    assert Household.objects.get(pk=household.pk).head_id == head.pk
    _assert_audited(seq, event, [son], "世帯分離の処理")


def test_split_with_the_head_leaving_and_its_refusals(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    common = {"actor": clerk, "household": versioned(household), "event_date": TODAY, "notified_on": TODAY}
    everyone = [versioned(head), versioned(wife), versioned(son)]
    with writes_nothing(), pytest.raises(EventNotAllowed, match="1人以上残して"):
        services.split_household(members=everyone, new_head=head.pk, relationships={}, **common)
    with writes_nothing(), pytest.raises(EventNotAllowed, match="分離する住民から"):
        services.split_household(members=[versioned(son)], new_head=wife.pk, relationships={}, **common)
    with writes_nothing(), pytest.raises(NewHeadRequired):
        services.split_household(
            members=[versioned(head), versioned(wife)], new_head=head.pk, relationships={wife.pk: "妻"}, **common
        )
    with writes_nothing(), pytest.raises(RelationshipMissing):
        services.split_household(members=[versioned(head), versioned(wife)], new_head=head.pk, relationships={},
                                 remaining_head=son.pk, **common)  # fmt: skip
    event = services.split_household(
        members=[versioned(head), versioned(wife)], new_head=head.pk, relationships={wife.pk: "妻"},
        remaining_head=son.pk, **common,
    )  # fmt: skip
    household.refresh_from_db()
    assert household.head_id == son.pk
    assert _fresh(son).relationship == "世帯主"
    assert _fresh(head).household_id == event.details["new_household"] == _fresh(wife).household_id
    with writes_nothing(), pytest.raises(ResidentConflict):
        services.split_household(members=[versioned(son)], new_head=son.pk, relationships={}, **common)


def test_merge_households_at_the_same_address(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    parents, (father, mother) = move_in_family(
        clerk,
        members=[person("山田", "茂", birth=date(1950, 1, 1)), person("山田", "和子", birth=date(1952, 2, 2),
                                                                      sex="2", relationship="妻")],
        on=date(2026, 5, 1),
    )  # fmt: skip
    day = date(2026, 11, 1)
    seq = _last_seq()
    event = services.merge_households(
        actor=clerk, household=versioned(household), absorbed=versioned(parents),
        relationships={father.pk: "父", mother.pk: "母"}, event_date=day, notified_on=day,
    )  # fmt: skip
    parents.refresh_from_db()
    assert parents.dissolved_on == day
    assert (_fresh(father).household_id, father.relationship, _fresh(mother).relationship) == (household.pk, "父", "母")
    assert _member_ids(parents, day - timedelta(days=1)) == [father.pk, mother.pk]
    assert _member_ids(parents, day) == []
    view = selectors.household_as_of(household.pk, day)
    assert view is not None
    assert view.head_id == head.pk
    # The parents joined from outside after the household was set up: newcomers, appended at the end.
    assert [r.resident_id for r in view.members] == [head.pk, wife.pk, son.pk, father.pk, mother.pk]
    dissolved = selectors.household_as_of(parents.pk, day)
    assert dissolved is not None
    assert dissolved.dissolved
    _assert_audited(seq, event, [father, mother], "世帯合併の処理")


def test_merge_refusals(yamada: Any, clerk: Person) -> None:
    household, _head, *_ = yamada
    elsewhere, (other,) = move_in_family(clerk, members=[person("佐藤", "次郎")], address="中土佐町矢井賀 2")
    with writes_nothing(), pytest.raises(EventNotAllowed, match="先に転居"):
        services.merge_households(
            actor=clerk, household=versioned(household), absorbed=versioned(elsewhere),
            relationships={other.pk: "同居人"}, event_date=TODAY, notified_on=TODAY,
        )  # fmt: skip
    same, (lodger,) = move_in_family(clerk, members=[person("佐藤", "三郎")])
    with writes_nothing(), pytest.raises(RelationshipMissing):
        services.merge_households(
            actor=clerk, household=versioned(household), absorbed=versioned(same), relationships={},
            event_date=TODAY, notified_on=TODAY,
        )  # fmt: skip
    with writes_nothing(), pytest.raises(EventNotAllowed, match="同じ世帯"):
        services.merge_households(
            actor=clerk, household=versioned(household), absorbed=versioned(household), relationships={},
            event_date=TODAY, notified_on=TODAY,
        )  # fmt: skip
    stale = Versioned(same.pk, same.version - 1) if same.version > 1 else Versioned(same.pk, 99)
    with writes_nothing(), pytest.raises(ResidentConflict):
        services.merge_households(
            actor=clerk, household=versioned(household), absorbed=stale, relationships={lodger.pk: "同居人"},
            event_date=TODAY, notified_on=TODAY,
        )  # fmt: skip


# --- 職権記載 / 職権消除 --------------------------------------------------------------------------


def test_ex_officio_entry_needs_a_reason_and_has_no_notice(in_nakatosa: None, clerk: Person) -> None:
    with writes_nothing(), pytest.raises(ReasonRequired):
        services.record_ex_officio_entry(
            actor=clerk, event_date=TODAY, address="中土佐町久礼 9", members=[person()], reason="  "
        )
    seq = _last_seq()
    event = services.record_ex_officio_entry(
        actor=clerk, event_date=date(2026, 10, 1), address="中土佐町久礼 9", members=[person()],
        reason="実態調査により居住の事実を確認",
    )  # fmt: skip
    resident = Resident.objects.get(household=event.household)
    assert (event.kind, event.notified_on, event.ex_officio) == (EventKind.EX_OFFICIO_ENTRY, None, True)
    assert event.reason == "実態調査により居住の事実を確認"
    assert resident.notified_on is None
    assert resident.became_resident_on == date(2026, 10, 1)
    assert selectors.resident_as_of(resident, date(2026, 9, 30)) is None
    assert _as_of(resident, date(2026, 10, 1)).status == ResidentStatus.RESIDENT
    _assert_audited(seq, event, [resident], "職権記載の処理")


def test_ex_officio_removal(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    with writes_nothing(), pytest.raises(ReasonRequired):
        services.record_ex_officio_removal(actor=clerk, residents=[versioned(son)], event_date=TODAY, reason="")
    with writes_nothing(), pytest.raises(NewHeadRequired):
        services.record_ex_officio_removal(
            actor=clerk, residents=[versioned(head)], event_date=TODAY, reason="実態調査により居住の事実なし"
        )
    seq = _last_seq()
    event = services.record_ex_officio_removal(
        actor=clerk, residents=[versioned(son)], event_date=date(2026, 11, 2), reason="実態調査により居住の事実なし"
    )
    assert event.ex_officio
    assert event.notified_on is None
    assert event.reason == "実態調査により居住の事実なし"
    _fresh(son)
    assert (son.status, son.removed_on, son.removal_reason) == (ResidentStatus.REMOVED, date(2026, 11, 2), "職権消除")
    assert _member_ids(household, date(2026, 11, 1)) == [head.pk, wife.pk, son.pk]
    assert _member_ids(household, date(2026, 11, 2)) == [head.pk, wife.pk]
    _assert_audited(seq, event, [son], "職権消除の処理")
    with writes_nothing(), pytest.raises(EventNotAllowed, match="消除"):
        services.record_ex_officio_removal(actor=clerk, residents=[versioned(son)], event_date=TODAY, reason="再")


# --- 職権修正 / 誤記修正 ------------------------------------------------------------------------


def test_clerical_error_is_corrected_from_the_date_of_the_record(yamada: Any, clerk: Person) -> None:
    _household, _head, _wife, son = yamada
    original = son.records.get()
    seq = _last_seq()
    event = services.correct_clerical_error(
        actor=clerk, resident=versioned(son), changes={"given_name": " 一朗 ", "given_name_kana": "いちろう"},
        reason="転入届の記載誤り",
    )  # fmt: skip
    assert (event.kind, event.ex_officio, event.details["fields"]) == (
        EventKind.CLERICAL_CORRECTION, True, ["given_name"],
    )  # fmt: skip
    assert (_fresh(son).given_name, son.search_name) == ("一朗", "山田一朗")
    assert _as_of(son, MOVED_IN).given_name == "一朗"  # default: effective from the corrected record's date
    assert selectors.resident_as_of(son, MOVED_IN - timedelta(days=1)) is None
    original.refresh_from_db()
    assert original.given_name == "一郎"  # the mistaken record stays in the history
    assert [r.given_name for r in selectors.history(son)] == ["一郎", "一朗"]
    _assert_audited(seq, event, [son], "誤記修正の処理")


def test_correction_from_an_earlier_date_applies_across_later_records(yamada: Any, clerk: Person) -> None:
    household, _head, _wife, son = yamada
    services.record_change_of_address(
        actor=clerk, household=versioned(household), event_date=date(2026, 10, 1), notified_on=date(2026, 10, 1),
        address="中土佐町矢井賀 2",
    )  # fmt: skip
    services.record_ex_officio_correction(
        actor=clerk, resident=versioned(son), changes={"birth_date": date(2012, 4, 30)},
        reason="本籍地からの通知による", effective_on=date(2026, 6, 1),
    )  # fmt: skip
    may, june, october = (_as_of(son, d) for d in (date(2026, 5, 31), date(2026, 6, 1), date(2026, 10, 1)))
    assert (may.birth_date, may.address) == (date(2012, 4, 3), "高知県高岡郡中土佐町久礼 1234")
    assert (june.birth_date, june.address) == (date(2012, 4, 30), "高知県高岡郡中土佐町久礼 1234")
    assert (october.birth_date, october.address) == (date(2012, 4, 30), "中土佐町矢井賀 2")
    assert _fresh(son).birth_date == date(2012, 4, 30)
    # A later event copies the corrected entry, and an event before it keeps the corrected value from June.
    services.record_death(actor=clerk, resident=versioned(son), died_on=TODAY, notified_on=TODAY)
    assert _as_of(son, TODAY).birth_date == date(2012, 4, 30)
    assert _as_of(son, date(2026, 5, 1)).birth_date == date(2012, 4, 3)


def test_correction_refusals(yamada: Any, clerk: Person) -> None:
    _household, _head, wife, son = yamada
    seen = versioned(son)
    fix = services.correct_clerical_error
    for field in ("atena_number", "status", "household", "my_number_encrypted", "removal_reason"):
        with writes_nothing(), pytest.raises(FieldNotCorrectable, match=field):
            fix(actor=clerk, resident=seen, changes={field: "x"}, reason="誤記")
    with writes_nothing(), pytest.raises(ValidationFailed, match="現在の記載と同じ"):
        fix(actor=clerk, resident=seen, changes={"given_name": "一郎"}, reason="誤記")
    with writes_nothing(), pytest.raises(ReasonRequired):
        fix(actor=clerk, resident=seen, changes={"given_name": "一朗"}, reason="")
    with writes_nothing(), pytest.raises(InvalidEventDate):
        fix(actor=clerk, resident=seen, changes={"given_name": "一朗"}, reason="誤記", effective_on=date(2026, 3, 1))
    with writes_nothing(), pytest.raises(InvalidEventDate):
        fix(
            actor=clerk, resident=seen, changes={"given_name": "一朗"}, reason="誤記", effective_on=TODAY + timedelta(1)
        )
    with writes_nothing(), pytest.raises(ValidationFailed, match="空にできません"):
        fix(actor=clerk, resident=seen, changes={"family_name": " "}, reason="誤記")
    with writes_nothing(), pytest.raises(EventNotAllowed, match="世帯主変更"):
        fix(actor=clerk, resident=seen, changes={"relationship": "世帯主"}, reason="誤記")
    with writes_nothing(), pytest.raises(InvalidMyNumber):
        fix(actor=clerk, resident=seen, changes={}, my_number="123456789019", reason="誤記")
    fix(actor=clerk, resident=seen, changes={}, my_number="1234 5678 9018", reason="番号カードで確認")
    assert mynumber.decrypt(_fresh(son).my_number_encrypted) == "123456789018"
    with writes_nothing(), pytest.raises(EventNotAllowed, match="別の住民"):
        fix(actor=clerk, resident=versioned(wife), changes={}, my_number="123456789018", reason="誤記")
    with writes_nothing(), pytest.raises(ResidentConflict):
        fix(actor=clerk, resident=seen, changes={"given_name": "一朗"}, reason="誤記")


# --- 異動の取消し --------------------------------------------------------------------------------


def test_cancel_move_in_removes_the_residents_it_created(in_nakatosa: None, clerk: Person) -> None:
    household, residents = move_in_family(clerk)
    move_in = ChangeEvent.objects.get(household=household, kind=EventKind.MOVE_IN)
    seq = _last_seq()
    cancellation = services.cancel_event(actor=clerk, event_id=move_in.pk, reason="別人の転入届を誤って処理")
    assert (cancellation.kind, cancellation.cancels_id, cancellation.ex_officio) == (
        EventKind.CANCELLATION, move_in.pk, True,
    )  # fmt: skip
    for resident in residents:
        _fresh(resident)
        assert (resident.status, resident.removal_reason, resident.removed_on) == (
            ResidentStatus.REMOVED, "異動の取消し", MOVED_IN,
        )  # fmt: skip
        assert selectors.resident_as_of(resident, TODAY) is None  # the move-in never took effect
        restoring = resident.records.get(event=cancellation)
        assert restoring.effective_on == MOVED_IN
        assert restoring.status == ResidentStatus.REMOVED
        assert [(e.kind, e.is_cancelled) for e in selectors.events_for(resident)] == [  # type: ignore[attr-defined]
            (EventKind.MOVE_IN, True), (EventKind.CANCELLATION, False),
        ]  # fmt: skip
    household.refresh_from_db()
    assert household.dissolved_on == MOVED_IN
    assert selectors.household_as_of(household.pk, TODAY) is None
    _assert_audited(seq, cancellation, residents, "異動の取消しの処理")


def test_cancel_change_of_address_restores_the_previous_address(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    moved = services.record_change_of_address(
        actor=clerk, household=versioned(household), event_date=date(2026, 10, 1), notified_on=date(2026, 10, 1),
        address="中土佐町矢井賀 2",
    )  # fmt: skip
    services.cancel_event(actor=clerk, event_id=moved.pk, reason="転居先の誤り")
    for resident in (head, wife, son):
        _fresh(resident)
        assert (resident.address, resident.address_set_on) == ("高知県高岡郡中土佐町久礼 1234", MOVED_IN)
        assert resident.status == ResidentStatus.RESIDENT
        assert resident.previous_address == ""
        assert _as_of(resident, date(2026, 10, 2)).address == "高知県高岡郡中土佐町久礼 1234"
    assert len(_member_ids(household, TODAY)) == 3
    # The register keeps working after a cancellation: a new 転居 is recorded normally.
    services.record_change_of_address(
        actor=clerk, household=versioned(household), event_date=date(2026, 10, 2), notified_on=TODAY, address="正"
    )
    assert _as_of(head, date(2026, 10, 2)).address == "正"


def test_cancel_death_of_the_head_restores_the_head_and_relationships(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    death = services.record_death(
        actor=clerk, resident=versioned(head), died_on=TODAY, notified_on=TODAY, new_head=wife.pk,
        relationships={son.pk: "子"},
    )  # fmt: skip
    services.cancel_event(actor=clerk, event_id=death.pk, reason="同姓同名の別人の死亡届")
    household.refresh_from_db()
    assert household.head_id == head.pk
    assert household.dissolved_on is None
    assert [(_fresh(r).status, r.relationship) for r in (head, wife, son)] == [
        (ResidentStatus.RESIDENT, "世帯主"), (ResidentStatus.RESIDENT, "妻"), (ResidentStatus.RESIDENT, "子"),
    ]  # fmt: skip
    assert head.removed_on is None
    assert head.removal_reason == ""
    view = selectors.household_as_of(household.pk, TODAY)
    assert view is not None
    assert view.head_id == head.pk
    assert len(view.members) == 3


def test_cancel_split_puts_the_members_back(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    split = services.split_household(
        actor=clerk, household=versioned(household), members=[versioned(son)], new_head=son.pk, relationships={},
        event_date=TODAY, notified_on=TODAY,
    )  # fmt: skip
    new = Household.objects.get(pk=split.details["new_household"])
    services.cancel_event(actor=clerk, event_id=split.pk, reason="世帯分離届の取下げ")
    assert (_fresh(son).household_id, son.relationship) == (household.pk, "子")
    new.refresh_from_db()
    assert new.dissolved_on == TODAY
    assert _member_ids(household, TODAY) == [head.pk, wife.pk, son.pk]
    assert _member_ids(new, TODAY) == []
    assert selectors.household_as_of(new.pk, TODAY) is None


def test_cancel_refusals_and_order(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    move_in = ChangeEvent.objects.get(household=household, kind=EventKind.MOVE_IN)
    moved = services.record_change_of_address(
        actor=clerk, household=versioned(household), event_date=TODAY, notified_on=TODAY, address="中土佐町矢井賀 2"
    )
    with writes_nothing(), pytest.raises(CancellationNotAllowed, match="先に後の異動を取り消して") as later:
        services.cancel_event(actor=clerk, event_id=move_in.pk, reason="誤り")
    assert later.value.details == {"later_event": moved.pk}
    with writes_nothing(), pytest.raises(ReasonRequired):
        services.cancel_event(actor=clerk, event_id=moved.pk, reason=" ")
    cancellation = services.cancel_event(actor=clerk, event_id=moved.pk, reason="誤り")
    with writes_nothing(), pytest.raises(CancellationNotAllowed, match="既に取り消されています"):
        services.cancel_event(actor=clerk, event_id=moved.pk, reason="誤り")
    with writes_nothing(), pytest.raises(CancellationNotAllowed, match="取消しそのもの"):
        services.cancel_event(actor=clerk, event_id=cancellation.pk, reason="誤り")
    # With the later event cancelled, the earlier one can be cancelled in turn.
    services.cancel_event(actor=clerk, event_id=move_in.pk, reason="誤り")
    assert all(_fresh(r).status == ResidentStatus.REMOVED for r in (head, wife, son))
    assert selectors.resident_as_of(head, TODAY) is None
    assert [e.is_cancelled for e in selectors.events_for(head)] == [True, True, False, False]  # type: ignore[attr-defined]


def test_event_dated_before_the_last_one_is_refused(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    services.change_head(
        actor=clerk, household=versioned(household), new_head=wife.pk, relationships={head.pk: "夫", son.pk: "子"},
        event_date=date(2026, 11, 1), notified_on=date(2026, 11, 1),
    )  # fmt: skip
    with writes_nothing(), pytest.raises(InvalidEventDate, match="直前の異動"):
        services.split_household(
            actor=clerk, household=versioned(household), members=[versioned(son)], new_head=son.pk,
            relationships={}, event_date=date(2026, 10, 1), notified_on=TODAY,
        )  # fmt: skip


# --- 世帯員の並び順 (標準仕様書 §5.2) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("relationship", "group"),
    [
        ("世帯主", (1, 0)), ("妻", (1, 1)), ("夫", (1, 1)), ("未届の妻", (1, 1)),
        ("子", (1, 2)), ("長男", (1, 2)), ("長女", (1, 2)), ("二男", (1, 2)), ("三女", (1, 2)), ("次男", (1, 2)),
        ("養子", (1, 2)), ("妻の子", (1, 2)), ("子の妻", (2, 0)), ("長男の妻", (2, 0)), ("子の夫", (2, 0)),
        ("孫", (2, 1)), ("孫の妻", (2, 1)), ("曾孫", (2, 2)), ("父", (3, 0)), ("母", (3, 0)), ("妻の母", (3, 0)),
        ("祖父", (3, 1)), ("兄", (3, 2)), ("妹", (3, 2)), ("弟の妻", (3, 2)), ("おい", (3, 3)), ("縁故者", (3, 3)),
        ("叔母", (3, 3)), ("同居人", (3, 4)), (" 長 男 ", (1, 2)),
    ],
)  # fmt: skip
def test_relationship_groups(relationship: str, group: tuple[int, int]) -> None:
    assert selectors.relationship_group(relationship) == group


def test_household_sort_order() -> None:
    def member(pk: int, relationship: str, born: date) -> ResidentRecord:
        return ResidentRecord(
            resident=Resident(pk=pk, atena_number=f"{pk:011d}"), relationship=relationship, birth_date=born
        )

    rows = [
        member(1, "同居人", date(1990, 1, 1)),
        member(2, "孫", date(2020, 1, 1)),
        member(3, "母", date(1930, 1, 1)),
        member(4, "長女", date(1985, 6, 1)),
        member(5, "長男の妻", date(1984, 1, 1)),
        member(6, "世帯主", date(1955, 1, 1)),
        member(7, "長男", date(1983, 1, 1)),
        member(8, "妻", date(1957, 1, 1)),
        member(9, "二女", date(1985, 6, 1)),  # twins of 長女: same birth date, 宛名番号 decides
        member(10, "妹", date(1960, 1, 1)),
        member(11, "子", date(1990, 3, 3)),  # joined later from outside: appended at the end
    ]
    ordered = selectors.ordered_members(rows, newcomers={11: 500})
    assert [r.resident_id for r in ordered] == [6, 8, 7, 4, 9, 5, 2, 3, 10, 1, 11]


def test_born_child_sorts_with_the_children_but_a_newcomer_goes_last(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    # An elder daughter moves back in from outside: a newcomer, listed after everyone whatever her 続柄.
    services.record_move_in(
        actor=clerk, event_date=date(2026, 6, 1), notified_on=date(2026, 6, 1), address=head.address,
        members=[person("山田", "美咲", birth=date(2008, 1, 1), sex="2", relationship="子")],
        join_household=versioned(household),
    )  # fmt: skip
    daughter = Resident.objects.get(household=household, given_name="美咲")
    baby_input = person("山田", "桜", birth=date(2026, 11, 20), sex="2", relationship="子")
    services.record_birth(actor=clerk, household=versioned(household), child=baby_input, notified_on=TODAY)
    baby = Resident.objects.get(household=household, given_name="桜")
    view = selectors.household_as_of(household.pk, TODAY)
    assert view is not None
    assert [r.resident_id for r in view.members] == [head.pk, wife.pk, son.pk, baby.pk, daughter.pk]
    before = selectors.household_as_of(household.pk, date(2026, 5, 31))
    assert before is not None
    assert [r.resident_id for r in before.members] == [head.pk, wife.pk, son.pk]
    # A 世帯主変更 gives every 続柄 anew, so nobody is a newcomer any more: children sort by birth date.
    services.change_head(
        actor=clerk, household=versioned(household), new_head=wife.pk,
        relationships={head.pk: "夫", son.pk: "子", baby.pk: "子", daughter.pk: "子"}, event_date=TODAY,
        notified_on=TODAY,
    )  # fmt: skip
    view = selectors.household_as_of(household.pk, TODAY)
    assert view is not None
    assert [r.resident_id for r in view.members] == [wife.pk, head.pk, daughter.pk, son.pk, baby.pk]


def test_late_notices_are_marked_overdue_not_ex_officio(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    late = TODAY - timedelta(days=15)
    change = services.change_head(
        actor=clerk, household=versioned(household), new_head=wife.pk, relationships={head.pk: "夫", son.pk: "子"},
        event_date=late, notified_on=TODAY,
    )  # fmt: skip
    death = services.record_death(actor=clerk, resident=versioned(son), died_on=late, notified_on=TODAY)
    split = services.split_household(
        actor=clerk, household=versioned(household), members=[versioned(head)], new_head=head.pk, relationships={},
        event_date=TODAY - timedelta(days=14), notified_on=TODAY,
    )  # fmt: skip
    assert (change.overdue, death.overdue, split.overdue) == (True, True, False)
    assert not any(e.ex_officio for e in (change, death, split))


def test_stale_screens_are_refused_for_move_out_removal_and_joining(yamada: Any, clerk: Person) -> None:
    household, _head, _wife, son = yamada
    seen = versioned(household)
    services.record_change_of_address(actor=clerk, household=seen, event_date=TODAY, notified_on=TODAY, address="A")
    with writes_nothing(), pytest.raises(ResidentConflict):
        services.plan_move_out(actor=clerk, household=seen, event_date=TODAY, notified_on=TODAY, destination="x")
    with writes_nothing(), pytest.raises(ResidentConflict):
        services.record_ex_officio_removal(
            actor=clerk, residents=[Versioned(son.pk, 1)], event_date=TODAY, reason="調査"
        )
    with writes_nothing(), pytest.raises(ResidentConflict):
        services.record_ex_officio_entry(
            actor=clerk, event_date=TODAY, address="A", members=[person(relationship="同居人")], reason="調査",
            join_household=seen,
        )  # fmt: skip
    with writes_nothing(), pytest.raises(EventNotAllowed, match="既に世帯主"):  # one 世帯主 per household
        services.record_move_in(
            actor=clerk, event_date=TODAY, notified_on=TODAY, address="A", members=[person()],
            join_household=versioned(household),
        )  # fmt: skip


def test_cancel_merge_and_confirmed_move_out(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    other, (lodger,) = move_in_family(clerk, members=[person("佐藤", "三郎")], on=date(2026, 5, 1))
    merge = services.merge_households(
        actor=clerk, household=versioned(household), absorbed=versioned(other), relationships={lodger.pk: "同居人"},
        event_date=TODAY, notified_on=TODAY,
    )  # fmt: skip
    services.cancel_event(actor=clerk, event_id=merge.pk, reason="合併届の取下げ")
    other.refresh_from_db()
    assert (other.dissolved_on, other.head_id) == (None, lodger.pk)
    assert (_fresh(lodger).household_id, lodger.relationship) == (other.pk, "世帯主")
    assert _member_ids(other, TODAY) == [lodger.pk]
    assert _member_ids(household, TODAY) == [head.pk, wife.pk, son.pk]

    services.plan_move_out(
        actor=clerk, household=versioned(other), event_date=TODAY, notified_on=TODAY, destination="高知市"
    )
    confirmed = services.confirm_move_out(
        actor=clerk, residents=[versioned(lodger)], moved_on=TODAY, notice_received_on=TODAY
    )
    assert Household.objects.get(pk=other.pk).dissolved_on == TODAY
    services.cancel_event(actor=clerk, event_id=confirmed.pk, reason="別人の転入通知")
    _fresh(lodger)
    assert (lodger.status, lodger.moving_out_confirmed, lodger.moving_out_on) == (ResidentStatus.RESIDENT, False, TODAY)
    assert Household.objects.get(pk=other.pk).dissolved_on is None
    assert _member_ids(other, TODAY) == [lodger.pk]


def test_a_household_leaving_in_parts_needs_no_new_head(yamada: Any, clerk: Person) -> None:
    household, head, wife, son = yamada
    for members in ([versioned(wife), versioned(son)], [versioned(head)]):
        services.plan_move_out(
            actor=clerk, household=versioned(household), event_date=TODAY, notified_on=TODAY, destination="高知市",
            members=members,
        )  # fmt: skip
    services.confirm_move_out(actor=clerk, residents=[versioned(head)], moved_on=TODAY, notice_received_on=TODAY)
    household.refresh_from_db()
    assert household.head_id == head.pk
    assert household.dissolved_on is None
    services.confirm_move_out(
        actor=clerk, residents=[versioned(wife), versioned(son)], moved_on=TODAY, notice_received_on=TODAY
    )
    household.refresh_from_db()
    assert household.dissolved_on == TODAY
    assert _member_ids(household, TODAY) == []
