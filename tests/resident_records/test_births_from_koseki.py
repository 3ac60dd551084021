"""Issue 10 §14: accepting a 出生届 in koseki enters the child in the resident register (or leaves the resident
clerk a task), koseki calling resident_records.services.koseki_births — a birth is never typed twice."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from koseki import services as koseki_services
from koseki.models import Notification
from resident_records.models import ChangeEvent, ClerkTask, ClerkTaskKind, EventKind, Resident
from tenants.models import Person
from tests.koseki.factories import NAKATOSA_HONSEKI, clerk, in_nakatosa, members_of, yamada_family
from tests.resident_records.factories import move_in_family, person

pytestmark = pytest.mark.django_db
__all__ = ["clerk", "in_nakatosa"]  # fixtures


def _birth(actor: Person, **kwargs: Any) -> Notification:
    values: dict[str, Any] = {
        "given_name": "陽斗", "given_name_kana": "はると", "sex": "1", "birth_date": date(2026, 11, 1),
        "birth_place": "高知県高岡郡中土佐町", "notified_on": date(2026, 11, 10), "notifier_name": "山田太郎",
        "notifier_capacity": "父", **kwargs,
    }  # fmt: skip
    return koseki_services.record_birth(actor=actor, **values)


def test_a_birth_accepted_in_koseki_enters_the_child_in_the_parents_household(in_nakatosa: None, clerk: Person) -> None:
    household, (taro_here, _hanako_here, _ichiro_here) = move_in_family(clerk)  # 山田太郎・花子 live here
    taro, hanako, *_ = members_of(yamada_family())
    notification = _birth(clerk, mother=hanako, father=taro)

    # Before: nothing reached the register; the clerk typed the child again on the 出生届 screen.
    child = Resident.objects.get(household=household, given_name="陽斗")
    assert (child.family_name, child.given_name_kana, child.relationship) == ("山田", "ハルト", "子")
    assert (child.birth_date, child.became_resident_on) == (date(2026, 11, 1), date(2026, 11, 1))
    assert (child.domicile, child.domicile_head) == (NAKATOSA_HONSEKI, "山田 太郎")
    assert child.address == taro_here.address
    event = ChangeEvent.objects.get(records__resident=child)
    assert (event.kind, event.notified_on, event.ex_officio) == (EventKind.BIRTH, date(2026, 11, 10), False)
    assert not ClerkTask.objects.exists()
    assert notification.details["child_member_id"]


def test_a_birth_to_parents_living_elsewhere_leaves_a_task(in_nakatosa: None, clerk: Person) -> None:
    taro, hanako, *_ = members_of(yamada_family())
    before = Resident.objects.count()
    notification = _birth(clerk, mother=hanako, father=taro)

    assert Resident.objects.count() == before
    task = ClerkTask.objects.get()
    assert task.kind == ClerkTaskKind.BIRTH_ELSEWHERE
    assert task.source_reference == f"koseki.birth:{notification.pk}"
    assert "第9条第2項" in task.summary


def test_a_birth_the_register_cannot_place_leaves_a_task_with_the_reason(in_nakatosa: None, clerk: Person) -> None:
    # The parents live here as 同居人 of someone else's household: the child's 続柄 is the clerk's decision.
    move_in_family(
        clerk,
        members=[
            person("高橋", "一", "タカハシ", "ハジメ", birth=date(1950, 1, 1)),
            person("山田", "太郎", "ヤマダ", "タロウ", birth=date(1980, 5, 1), relationship="同居人"),
            person("山田", "花子", "ヤマダ", "ハナコ", birth=date(1982, 8, 12), sex="2", relationship="同居人"),
        ],
    )
    taro, hanako, *_ = members_of(yamada_family())
    _birth(clerk, mother=hanako, father=taro)

    assert not Resident.objects.filter(given_name="陽斗").exists()
    task = ClerkTask.objects.get()
    assert task.kind == ClerkTaskKind.BIRTH_UNPLACED
    assert "同居人" in task.summary


def test_the_clerk_sees_the_task_and_marks_it_done(clerk: Person, client_for: Any) -> None:
    from django_tenants.utils import schema_context

    with schema_context("nakatosa"):
        taro, hanako, *_ = members_of(yamada_family())
        _birth(clerk, mother=hanako, father=taro)
        task = ClerkTask.objects.get()
    client = client_for("tanaka", "nakatosa")
    listed = client.get("/resident_records/tasks/").content.decode()
    assert "父母とも本町の住民として見つかりません" in listed
    assert client.post(f"/resident_records/tasks/{task.public_id}/done/").status_code == 302
    with schema_context("nakatosa"):
        task.refresh_from_db()
    assert task.status == "done"
    assert task.done_by_name
