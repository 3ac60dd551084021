"""Demo registers: the same people as the demo resident register, grouped by 本籍 and 筆頭者, idempotent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django_tenants.utils import schema_context

from common.models import AuditEvent
from common.text import normalize_search_text
from koseki import demo
from koseki.models import Entry, EntryKind, FuhyoEntry, Koseki, KosekiStatus, Member, Notification
from resident_records import services
from resident_records.demo import seed_town
from resident_records.models import Resident, ResidentStatus, ResidentType
from resident_records.services import PersonInput, Versioned
from tenants.models import Person
from tests.support.shared_rows import written_once

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 27)
CROSS_HONSEKI = "高知県高岡郡中土佐町矢井賀9番地"


def _person(given: str, kana: str, birth: date, sex: str, relationship: str, code: str) -> PersonInput:
    return PersonInput(
        family_name="久礼", given_name=given, family_name_kana="クレ", given_name_kana=kana, birth_date=birth, sex=sex,
        relationship=relationship, domicile=CROSS_HONSEKI, domicile_head="久礼 一郎", resident_code=code,
    )  # fmt: skip


def _seed_residents() -> None:
    """Demo residents in both towns, and one family in 四万十町 whose 本籍 is in 中土佐町."""
    with time_machine.travel(TODAY, tick=False):
        seed_town(schema="nakatosa", count=400, seed=11)
        seed_town(schema="shimanto", count=150, seed=12)
        with schema_context("shimanto"):
            services.record_move_in(
                actor=None, event_date=date(2026, 6, 1), notified_on=date(2026, 6, 1),
                address="高知県高岡郡四万十町琴平町 1",
                members=[
                    _person("一郎", "イチロウ", date(1970, 3, 3), "1", "世帯主", "55555555555"),
                    _person("幸子", "サチコ", date(1972, 7, 7), "2", "妻", "55555555556"),
                    _person("健", "ケン", date(2001, 1, 1), "1", "子", "55555555557"),
                ],
            )  # fmt: skip


@pytest.fixture(scope="module")
def _residents_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The residents (the slow part) are seeded once for the module, in a transaction rolled back after its last
    test; every test here reads them, and each still runs in its own rolled-back block. The tests of a town
    without these residents are in test_demo_without_residents.py."""
    yield from written_once(django_db_blocker, _seed_residents)


@pytest.fixture
def residents(_residents_once: None, db: Any) -> None:
    """Demo residents in both towns, and one family in 四万十町 whose 本籍 is in 中土佐町."""


def _seeded() -> Any:
    with time_machine.travel(TODAY, tick=False):
        return demo.seed_town_registers(schema="nakatosa")


def _japanese_with_honseki_in_nakatosa() -> list[Resident]:
    found = []
    for schema in ("nakatosa", "shimanto"):
        with schema_context(schema):
            rows = Resident.objects.filter(status=ResidentStatus.RESIDENT, resident_type=ResidentType.JAPANESE)
            found += [r for r in rows if "中土佐町" in r.domicile]
    return found


def test_every_resident_with_honseki_here_is_in_the_register_of_that_honseki(residents: None) -> None:
    result = _seeded()
    assert result is not None
    expected = _japanese_with_honseki_in_nakatosa()
    assert len(expected) > 300  # most of the town's 本籍 is in the town itself
    with schema_context("nakatosa"):
        members = {m.resident_code: m for m in Member.objects.select_related("koseki").exclude(resident_code="")}
        assert len(members) == len(expected)
        for resident in expected:
            member = members[resident.resident_code]
            assert (member.family_name, member.given_name, member.birth_date, member.sex) == (
                resident.family_name, resident.given_name, resident.birth_date, resident.sex,
            )  # fmt: skip
            assert member.koseki.honseki == " ".join(resident.domicile.split())
            assert normalize_search_text(member.koseki.head_name) == normalize_search_text(resident.domicile_head)
            assert (member.family_name_kana, member.given_name_kana) == (
                resident.family_name_kana,
                resident.given_name_kana,
            )
        # Residents whose 本籍 is elsewhere have their registers elsewhere.
        assert not any("東京都" in k.honseki or "四万十町" in k.honseki for k in Koseki.objects.all())


def test_registers_follow_the_act(residents: None) -> None:
    _seeded()
    with schema_context("nakatosa"):
        kosekis = list(Koseki.objects.prefetch_related("members", "entries"))
        assert {k.status for k in kosekis} == {KosekiStatus.CURRENT}
        reasons = Counter(k.compiled_reason for k in kosekis)
        assert reasons["marriage"] > reasons["split"] > 0
        for koseki in kosekis:
            members = sorted(koseki.members.all(), key=lambda m: m.position)
            heads = [m for m in members if m.is_head]
            assert len(heads) == 1
            assert heads[0].position == 1
            assert koseki.head_given_name == heads[0].given_name
            for member in members:
                births = [e for e in koseki.entries.all() if e.member_id == member.pk and e.kind == EntryKind.BIRTH]
                assert len(births) == 1
                assert births[0].event_date == member.birth_date
                assert births[0].fields[0][0] == "出生日"
                assert births[0].fields[0][1].endswith("日")
            wives = [m for m in members if m.spouse_role == "妻"]
            husbands = [m for m in members if m.spouse_role == "夫"]
            if wives and husbands:
                assert wives[0].spouse_key == husbands[0].person_key
                marriage = [e for e in koseki.entries.all() if e.kind == EntryKind.MARRIAGE]
                assert len(marriage) == 2
                assert marriage[0].event_date == koseki.compiled_on
                children = [m for m in members if not m.spouse_role and not m.is_head]
                for child in children:
                    assert child.birth_date > koseki.compiled_on
                    assert child.relationship[-1] in "男女"
                    assert child.mother_key == wives[0].person_key
        # widows: the 筆頭者 named on the 住民票 is a late husband, 除籍 by 死亡.
        late = Member.objects.filter(is_removed=True)
        assert late.exists()
        assert set(late.values_list("removed_reason", flat=True)) == {"死亡"}
        assert Entry.objects.filter(kind=EntryKind.DEATH).count() == late.count()
        assert Member.objects.exclude(furigana_status="").count() > 0


def test_a_register_can_hold_people_living_in_the_other_town(residents: None) -> None:
    _seeded()
    with schema_context("nakatosa"):
        koseki = Koseki.objects.get(honseki=CROSS_HONSEKI)
        members = list(Member.objects.filter(koseki=koseki).order_by("position"))
        assert [(m.given_name, m.relationship, m.spouse_role) for m in members] == [
            ("一郎", members[0].relationship, "夫"),
            ("幸子", members[1].relationship, "妻"),
            ("健", "長男", ""),
        ]
        lines = FuhyoEntry.objects.filter(koseki=koseki).order_by("member__position")
        assert [(line.address, line.source_town_code) for line in lines] == [
            ("高知県高岡郡四万十町琴平町 1", "394122")
        ] * 3


def test_the_fuhyo_follows_a_demo_resident_who_moves(residents: None) -> None:
    _seeded()
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        resident = Resident.objects.filter(
            status=ResidentStatus.RESIDENT, resident_type=ResidentType.JAPANESE, domicile__contains="中土佐町"
        ).first()
        assert resident is not None
        household = resident.household
        services.record_change_of_address(
            actor=Person.objects.get(username="tanaka"), household=Versioned(household.pk, household.version),
            event_date=date(2026, 11, 20), notified_on=date(2026, 11, 20), address="高知県高岡郡中土佐町久礼 999",
        )  # fmt: skip
        member = Member.objects.get(resident_code=resident.resident_code)
        latest = FuhyoEntry.objects.filter(member=member).order_by("-address_set_on", "-id").first()
    assert latest is not None
    assert (latest.address, latest.source_event) == ("高知県高岡郡中土佐町久礼 999", "転居")


def test_seeding_is_idempotent_and_audited_once(residents: None) -> None:
    first = _seeded()
    with schema_context("nakatosa"):
        counts = (Koseki.objects.count(), Member.objects.count(), Entry.objects.count())
    assert _seeded() is None
    with schema_context("nakatosa"):
        assert (Koseki.objects.count(), Member.objects.count(), Entry.objects.count()) == counts
        assert Notification.objects.get().details["source"] == "demo"
        row = AuditEvent.objects.get(action="koseki.import")
    assert row.purpose == demo.SEED_PURPOSE
    assert row.details["registers"] == first.registers


def test_seed_koseki_command_and_a_town_without_residents(residents: None) -> None:
    out = StringIO()
    with time_machine.travel(TODAY, tick=False):
        call_command("seed_koseki", "--schema", "nakatosa", stdout=out)
        call_command("seed_koseki", "--schema", "nakatosa", stdout=out)
    text = out.getvalue()
    assert "nakatosa: 戸籍" in text
    assert "何もしませんでした" in text
