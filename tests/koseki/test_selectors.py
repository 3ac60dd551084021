"""Reads of the koseki module: search by name, kana of any width and 本籍, one register in a fixed number of
queries, members by name and by person_key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from koseki import selectors
from koseki.errors import KosekiNotFound
from koseki.models import Entry, EntryKind, FuriganaRecord, FuriganaStatus, KosekiStatus
from tests.koseki.factories import SHIMANTO_HONSEKI, make_koseki, member, members_of, single_head, yamada_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_nakatosa(db: Any) -> Iterator[None]:
    with schema_context("nakatosa"):
        yield


def test_search_by_head_member_name_and_kana(in_nakatosa: None) -> None:
    yamada = yamada_family()
    sato = single_head()
    assert yamada in selectors.search_koseki(query="山田太郎")
    assert yamada in selectors.search_koseki(query="山田 桜")
    # Kana in hiragana or half-width katakana finds the member's furigana.
    assert yamada in selectors.search_koseki(query="さくら")
    assert yamada in selectors.search_koseki(query="ﾊﾅｺ")
    found = selectors.search_koseki(query="サトウケン")
    assert sato in found
    assert yamada not in found


def test_search_by_honseki_prefix_and_closed_filter(in_nakatosa: None) -> None:
    here = yamada_family()
    there = make_koseki(honseki=SHIMANTO_HONSEKI, family_name="高橋", family_name_kana="タカハシ")
    closed = make_koseki(
        family_name="鈴木", family_name_kana="スズキ", status=KosekiStatus.CLOSED, closed_on=date(2020, 1, 1)
    )
    by_prefix = selectors.search_koseki(honseki="高知県高岡郡中土佐町")
    assert here in by_prefix
    assert closed in by_prefix
    assert there not in by_prefix
    assert there in selectors.search_koseki(query="高知県高岡郡四万十町")
    assert closed not in selectors.search_koseki(query="鈴木", include_closed=False)
    assert closed in selectors.search_koseki(query="鈴木")
    assert len(selectors.search_koseki(honseki="高知県", limit=1)) == 1


def test_member_search_text_is_used_when_the_register_key_is_stale(in_nakatosa: None) -> None:
    koseki = yamada_family()
    type(koseki).objects.filter(pk=koseki.pk).update(search_text="")
    assert koseki in selectors.search_koseki(query="イチロウ")


def test_register_reads_in_fixed_queries_with_entries_in_order(in_nakatosa: None) -> None:
    koseki = yamada_family()
    taro = members_of(koseki)[0]
    struck = Entry.objects.create(
        koseki=koseki,
        member=taro,
        kind=EntryKind.BIRTH,
        event_date=date(1980, 5, 1),
        fields=[["出生日", "x"]],
        is_struck=True,
        struck_reason="誤記",
    )
    FuriganaRecord.objects.create(
        member=taro, family_name_kana="ヤマダ", given_name_kana="タロウ", status=FuriganaStatus.FILED,
        effective_on=date(2025, 6, 1),
    )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        register = selectors.get_register(koseki_id=koseki.pk)
        names = [(view.member.full_name, view.member.koseki.number, len(view.entries)) for view in register.members]
    assert len([q for q in queries.captured_queries if not q["sql"].startswith("SET ")]) == 4, queries.captured_queries
    assert [n for n, _, _ in names] == ["山田\u3000太郎", "山田\u3000花子", "山田\u3000一郎", "山田\u3000桜"]
    assert register.koseki_entries[0].kind == EntryKind.COMPILED
    taro_view = register.members[0]
    assert struck in taro_view.entries  # struck entries are kept for the history page
    dates = [(e.event_date, e.id) for e in taro_view.entries]
    assert dates == sorted(dates)
    assert [r.status for r in taro_view.furigana_history] == [FuriganaStatus.FILED]
    assert len(register.current_members) == 4


def test_register_not_found(in_nakatosa: None) -> None:
    with pytest.raises(KosekiNotFound):
        selectors.get_register(koseki_id=987654321)


def test_find_members_by_name_kana_and_birth_date(in_nakatosa: None) -> None:
    koseki = yamada_family()
    hanako = members_of(koseki)[1]
    assert selectors.find_members(family_name="山田", given_name="花子") == [hanako]
    assert selectors.find_members(family_name="やまだ", given_name="ﾊﾅｺ", birth_date=date(1982, 8, 12)) == [hanako]
    assert selectors.find_members(family_name="山田", given_name="花子", birth_date=date(1990, 1, 1)) == []
    type(hanako).objects.filter(pk=hanako.pk).update(is_removed=True, removed_on=date(2024, 1, 1))
    assert selectors.find_members(given_name="花子") == []
    assert [m.pk for m in selectors.find_members(given_name="花子", include_removed=True)] == [hanako.pk]


def test_members_by_person_key_across_registers(in_nakatosa: None) -> None:
    parents = yamada_family()
    ichiro = members_of(parents)[2]
    own = make_koseki(
        compiled_on=date(2025, 1, 1),
        members=[member("一郎", birth_date=ichiro.birth_date, person_key=ichiro.person_key)],
    )
    appearances = selectors.members_by_person_key(ichiro.person_key)
    assert [m.koseki_id for m in appearances] == [parents.pk, own.pk]
    other_town_nothing: list[Any]
    with schema_context("shimanto"):
        other_town_nothing = selectors.members_by_person_key(ichiro.person_key)
    assert other_town_nothing == []


def test_search_by_honseki_accepts_digits_of_either_width(in_nakatosa: None) -> None:
    # Issue 10 §11: a 本籍 written with full-width digits is found by half-width ones and the other way round
    # (before: only the exact width matched).
    full = make_koseki(honseki="高知県高岡郡中土佐町久礼１２３４番地", family_name="全角", family_name_kana="ゼンカク")
    half = make_koseki(honseki="高知県高岡郡中土佐町久礼5678番地", family_name="半角", family_name_kana="ハンカク")
    assert full in selectors.search_koseki(honseki="高知県高岡郡中土佐町久礼1234")
    assert half in selectors.search_koseki(honseki="高知県高岡郡中土佐町久礼５６７８")
    assert full in selectors.search_koseki(query="高知県高岡郡中土佐町久礼1234")
