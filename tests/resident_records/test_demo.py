"""The demo generator: deterministic, plausible families, katakana furigana; seeding is idempotent."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from common.models import AuditEvent
from resident_records import demo
from resident_records.bulk import HouseholdInput
from resident_records.models import ChangeEvent, Resident
from resident_records.services import HEAD, PersonInput

TODAY = date(2026, 11, 27)
KATAKANA = re.compile(r"[\u30a0-\u30ff]+( [\u30a0-\u30ff]+)*")


def _age(person: PersonInput, on: date = TODAY) -> int:
    birth = person.birth_date
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _age_at(person: PersonInput, day: date) -> int:
    return _age(person, day)


@pytest.fixture(scope="module")
def town() -> list[HouseholdInput]:
    return list(demo.generate("nakatosa", 6_500, seed=3, today=TODAY))


def test_lists_are_large_enough_and_readings_are_katakana() -> None:
    families, _ = demo.family_names()
    givens = demo.given_names()
    assert len(families) >= 150
    assert sum(len(v) for (sex, _), v in givens.items() if sex == "1") >= 150
    assert sum(len(v) for (sex, _), v in givens.items() if sex == "2") >= 150
    for name in [*families, *(n for names in givens.values() for n in names)]:
        assert KATAKANA.fullmatch(name.kana), name
    assert ("山本", "ヤマモト") in {(n.kanji, n.kana) for n in families}
    assert {p.name for p in demo.places("nakatosa")} >= {"久礼", "上ノ加江", "矢井賀", "大野見吉野"}
    assert {p.name for p in demo.places("shimanto")} >= {"琴平町", "大正", "十川"}


def test_deterministic_for_a_seed_and_exact_count(town: list[HouseholdInput]) -> None:
    assert list(demo.generate("nakatosa", 6_500, seed=3, today=TODAY)) == town
    assert list(demo.generate("nakatosa", 200, seed=4, today=TODAY)) != list(
        demo.generate("nakatosa", 200, seed=3, today=TODAY)
    )
    assert sum(len(h.members) for h in town) == 6_500
    assert sum(len(h.members) for h in demo.generate("shimanto", 1, seed=1, today=TODAY)) == 1


def test_households_have_one_head_first_and_consistent_ages(town: list[HouseholdInput]) -> None:
    for household in town:
        members = list(household.members)
        assert members[0].relationship == HEAD
        assert [m.relationship for m in members].count(HEAD) == 1
        head = members[0]
        spouses = [m for m in members if m.relationship in {"妻", "夫"}]
        for member in members:
            assert member.birth_date <= TODAY
            became = member.extra.get("became_resident_on", household.moved_in_on)
            assert member.birth_date <= became <= TODAY
            born = member.birth_date
            # Every child was born when each parent was 20–45.
            if member.relationship == "子":
                for parent in [head, *spouses]:
                    assert 20 <= _age_at(parent, born) <= 45, (parent, member)
            if member.relationship == "孫":
                son = next(m for m in members if m.relationship == "子")
                wife = next(m for m in members if m.relationship == "子の妻")
                assert 20 <= _age_at(son, born) <= 45
                assert 20 <= _age_at(wife, born) <= 45
            if member.relationship in {"父", "母"}:
                assert 20 <= _age_at(member, head.birth_date) <= 45
        if spouses:
            assert abs(_age(head) - _age(spouses[0])) <= 6
        assert "高知県高岡郡中土佐町" in household.address


def test_the_town_looks_like_a_depopulating_rural_town(town: list[HouseholdInput]) -> None:
    people = [m for h in town for m in h.members]
    elderly = sum(_age(m) >= 65 for m in people) / len(people)
    assert 0.38 <= elderly <= 0.52  # 高齢化率 of such towns is around 45 %
    sizes = Counter(len(h.members) for h in town)
    assert sizes[1] > sizes[4]  # people living alone outnumber families of four
    assert 1.8 <= len(people) / len(town) <= 2.6
    relationships = Counter(m.relationship for m in people)
    assert relationships["妻"]
    assert relationships["子"]
    assert relationships["孫"]
    assert relationships["母"]
    japanese = [m for m in people if m.resident_type == "japanese"]
    in_town = sum("中土佐町" in m.domicile for m in japanese) / len(japanese)
    assert 0.8 <= in_town < 1  # 本籍 mostly in the town itself, some elsewhere
    assert all(m.domicile and m.domicile_head for m in japanese)
    assert all(KATAKANA.fullmatch(m.family_name_kana) and KATAKANA.fullmatch(m.given_name_kana) for m in people)
    assert all(not m.my_number for m in people)  # the demo does not invent 個人番号


def test_foreign_residents_have_status_and_sometimes_an_alias(town: list[HouseholdInput]) -> None:
    foreign = [m for h in town for m in h.members if m.resident_type == "foreign"]
    assert 10 <= len(foreign) <= 200
    for member in foreign:
        assert member.nationality
        assert member.residence_status
        assert not member.domicile
        if member.residence_status in {"技能実習", "特定技能", "日本人の配偶者等"}:
            assert member.residence_period_end is not None
            assert member.residence_period_end > TODAY
    generated = demo.generate("shimanto", 30_000, seed=1, today=TODAY)
    with_alias = [m for h in generated for m in h.members if m.alias]
    assert with_alias
    assert all(KATAKANA.fullmatch(m.alias_kana) for m in with_alias)


def test_seed_town_is_idempotent_and_audited_once(db: Any) -> None:
    result = demo.seed_town(schema="nakatosa", count=120, seed=5)
    assert result is not None
    assert result.residents == 120
    assert demo.seed_town(schema="nakatosa", count=120, seed=5) is None
    with schema_context("nakatosa"):
        assert Resident.objects.count() == 120
        assert ChangeEvent.objects.count() == result.households
        rows = AuditEvent.objects.filter(action="resident.bulk_load")
        assert rows.count() == 1
        assert rows.get().purpose == demo.SEED_PURPOSE


def test_seed_residents_command(db: Any) -> None:
    out = StringIO()
    call_command("seed_residents", "--schema", "shimanto", "--count", "40", "--seed", "2", stdout=out)
    assert "40人を登録しました" in out.getvalue()
    out = StringIO()
    call_command("seed_residents", "--schema", "shimanto", "--count", "40", stdout=out)
    assert "何もしませんでした" in out.getvalue()
    with schema_context("shimanto"):
        assert Resident.objects.count() == 40
        assert all("四万十町" in r.address for r in Resident.objects.all())
    with pytest.raises(CommandError, match="見つかりません"):
        call_command("seed_residents", "--schema", "council", "--count", "5")
    with pytest.raises(CommandError, match="1以上"):
        call_command("seed_residents", "--schema", "nakatosa", "--count", "0")


def test_seed_demo_can_skip_residents(db: Any) -> None:
    out = StringIO()
    call_command("seed_demo", "--no-residents", stdout=out)
    assert "Demo council ready." in out.getvalue()
    assert "residents" not in out.getvalue().split("Demo logins")[0]
    with schema_context("nakatosa"):
        assert not Resident.objects.exists()
