"""Demo registers of a town without the demo residents (the tests with them are in test_demo.py, whose module-wide
residents every test there sees)."""

from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django_tenants.utils import schema_context

from koseki import demo
from koseki.models import Koseki, Member
from resident_records import services
from resident_records.services import PersonInput
from tests.koseki.test_demo import TODAY, _seeded

pytestmark = pytest.mark.django_db


def test_demo_without_residents_creates_no_registers(db: Any) -> None:
    """The test suite's small demo (seed_demo --no-residents): no residents, so no registers either."""
    call_command("seed_demo", "--no-residents", stdout=StringIO())
    assert demo.seed_demo_registers(["nakatosa", "shimanto"]) == {"nakatosa": None, "shimanto": None}
    for schema in ("nakatosa", "shimanto"):
        with schema_context(schema):
            assert not Koseki.objects.exists()


def test_a_head_who_is_not_a_resident_is_written_as_deceased(db: Any) -> None:
    """住民票 name a 筆頭者 nobody on the platform is: a widow's late husband, or both parents of a child."""

    def alone(given: str, sex: str, birth: date, honseki: str, head: str, code: str) -> PersonInput:
        return PersonInput(
            family_name="上岡", given_name=given, family_name_kana="ウエオカ", given_name_kana="ナ", birth_date=birth,
            sex=sex, relationship="世帯主", domicile=honseki, domicile_head=head, resident_code=code,
        )  # fmt: skip

    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        for person, address in (
            (alone("トメ", "2", date(1940, 2, 2), "高知県高岡郡中土佐町大坂1番地", "上岡 正", "66666666661"), "大坂 1"),
            (alone("守", "1", date(1975, 5, 5), "高知県高岡郡中土佐町大坂2番地", "上岡 勇", "66666666662"), "大坂 2"),
        ):
            services.record_move_in(
                actor=None, event_date=date(2026, 5, 1), notified_on=date(2026, 5, 1),
                address=f"高知県高岡郡中土佐町{address}", members=[person],
            )  # fmt: skip
    _seeded()
    with schema_context("nakatosa"):
        widow = list(Member.objects.filter(koseki__honseki="高知県高岡郡中土佐町大坂1番地").order_by("position"))
        orphan = list(Member.objects.filter(koseki__honseki="高知県高岡郡中土佐町大坂2番地").order_by("position"))
    assert [(m.given_name, m.is_head, m.spouse_role, m.removed_reason) for m in widow] == [
        ("正", True, "夫", "死亡"),
        ("トメ", False, "妻", ""),
    ]
    head = orphan[0]
    assert (head.given_name, head.is_head, head.spouse_role, head.removed_reason) == ("勇", True, "夫", "死亡")
    assert [(m.sex, m.removed_reason) for m in orphan[1:]] == [("2", "死亡"), ("1", "")]
    assert orphan[2].given_name == "守"
    assert orphan[2].relationship == "長男"
    assert orphan[2].father_name == "上岡勇"
    assert orphan[2].father_key == orphan[0].person_key
    assert orphan[2].mother_key == orphan[1].person_key
