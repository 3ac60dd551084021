"""Building blocks for koseki tests: registers with members and entries, written straight through the models
(as the importer would), so that tests of the 届出 services start from a known register.

    koseki = make_koseki(honseki="高知県高岡郡中土佐町久礼1番地", family_name="山田", members=[
        member("太郎", birth_date=date(1980, 5, 1), spouse_role="夫"),
        member("花子", birth_date=date(1982, 8, 12), sex="2", spouse_role="妻"),
        member("一郎", birth_date=date(2006, 4, 3), relationship="長男"),
    ])
    taro, hanako, ichiro = members_of(koseki)

The first member is the 筆頭者. Members with a spouse_role are linked to each other (spouse_key); children
get the head and spouse as 父/母 (names and keys) unless given. Run inside a town's schema_context.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, TypeVar

import pytest
import time_machine
from django_tenants.utils import schema_context

from common.models import AuditEvent
from common.wareki import to_wareki
from koseki.models import (
    CompiledReason,
    Entry,
    EntryKind,
    FuhyoEntry,
    FuriganaRecord,
    FuriganaStatus,
    Koseki,
    KosekiStatus,
    Member,
    Notification,
)
from koseki.services.text import refresh_search_text
from tenants.models import Person

TODAY = date(2026, 11, 27)

NAKATOSA_HONSEKI = "高知県高岡郡中土佐町久礼1番地"
SHIMANTO_HONSEKI = "高知県高岡郡四万十町琴平町1番地"

_counter = {"n": 0}


def member(
    given_name: str,
    *,
    birth_date: date,
    sex: str = "1",
    relationship: str = "",
    given_name_kana: str = "",
    spouse_role: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """One member's attributes for make_koseki (any other Member field may be passed in ``extra``)."""
    return {
        "given_name": given_name,
        "birth_date": birth_date,
        "sex": sex,
        "relationship": relationship or ("長男" if sex == "1" else "長女"),
        "given_name_kana": given_name_kana,
        "spouse_role": spouse_role,
        **extra,
    }


def make_koseki(
    *,
    honseki: str = NAKATOSA_HONSEKI,
    family_name: str = "山田",
    family_name_kana: str = "ヤマダ",
    members: list[dict[str, Any]] | None = None,
    compiled_on: date = date(2005, 4, 1),
    compiled_reason: str = CompiledReason.MARRIAGE,
    number: str | None = None,
    status: str = KosekiStatus.CURRENT,
    closed_on: date | None = None,
    furigana_status: str = FuriganaStatus.NONE,
) -> Koseki:
    _counter["n"] += 1
    specs = members if members is not None else [member("太郎", birth_date=date(1980, 5, 1), given_name_kana="タロウ")]
    koseki = Koseki.objects.create(
        number=number or f"T{uuid.uuid4().hex[:12].upper()}",
        honseki=honseki,
        family_name=family_name,
        head_given_name=specs[0]["given_name"] if specs else "",
        family_name_kana=family_name_kana,
        compiled_on=compiled_on,
        compiled_reason=compiled_reason,
        status=status,
        closed_on=closed_on,
    )
    Entry.objects.create(
        koseki=koseki, kind=EntryKind.COMPILED, event_date=compiled_on, fields=[["編製日", to_wareki(compiled_on)]]
    )
    created: list[Member] = []
    for position, spec in enumerate(specs, start=1):
        values = dict(spec)
        values.setdefault("family_name", family_name)
        values.setdefault("family_name_kana", family_name_kana)
        values.setdefault("furigana_status", furigana_status)
        values.setdefault("is_head", position == 1)
        created.append(Member.objects.create(koseki=koseki, position=position, **values))
    _link_family(created)
    for m in created:
        Entry.objects.create(
            koseki=koseki,
            member=m,
            kind=EntryKind.BIRTH,
            event_date=m.birth_date,
            notified_on=m.birth_date,
            notifier="父" if m.father_name else "母",
            fields=[["出生日", to_wareki(m.birth_date)], ["出生地", "高知県高岡郡中土佐町"], ["届出人", "父"]],
        )
        if m.spouse_role and m.spouse_key:
            spouse = next(s for s in created if s.person_key == m.spouse_key)
            Entry.objects.create(
                koseki=koseki,
                member=m,
                kind=EntryKind.MARRIAGE,
                event_date=compiled_on,
                notified_on=compiled_on,
                fields=[["婚姻日", to_wareki(compiled_on)], ["配偶者氏名", f"{spouse.family_name}{spouse.given_name}"]],
            )
    refresh_search_text(koseki)
    koseki.refresh_from_db()
    return koseki


def _link_family(members: list[Member]) -> None:
    spouses = [m for m in members if m.spouse_role and not m.is_removed]
    husband = next((m for m in spouses if m.spouse_role == "夫"), None)
    wife = next((m for m in spouses if m.spouse_role == "妻"), None)
    if husband is not None and wife is not None:
        for a, b in ((husband, wife), (wife, husband)):
            if a.spouse_key is None:
                a.spouse_key = b.person_key
                a.save(update_fields=["spouse_key"])
    father = husband or next((m for m in members if m.is_head and m.sex == "1"), None)
    mother = wife or next((m for m in members if m.is_head and m.sex == "2"), None)
    for child in members:
        if child.spouse_role or child.is_head:
            continue
        changed = False
        if father is not None and not child.father_name and child.father_key is None:
            child.father_name, child.father_key, changed = (
                f"{father.family_name}{father.given_name}",
                father.person_key,
                True,
            )
        if mother is not None and not child.mother_name and child.mother_key is None:
            child.mother_name, child.mother_key, changed = (
                f"{mother.family_name}{mother.given_name}",
                mother.person_key,
                True,
            )
        if changed:
            child.save(update_fields=["father_name", "father_key", "mother_name", "mother_key"])


def members_of(koseki: Koseki) -> list[Member]:
    return list(Member.objects.filter(koseki=koseki).order_by("position"))


def yamada_family(*, honseki: str = NAKATOSA_HONSEKI, **kwargs: Any) -> Koseki:
    """山田太郎 (筆頭者, 夫), 花子 (妻), 一郎 (長男, adult since 2024) and 桜 (長女, a minor)."""
    return make_koseki(
        honseki=honseki,
        members=[
            member(
                "太郎", birth_date=date(1980, 5, 1), given_name_kana="タロウ", spouse_role="夫", relationship="長男"
            ),
            member("花子", birth_date=date(1982, 8, 12), sex="2", given_name_kana="ハナコ", spouse_role="妻"),
            member("一郎", birth_date=date(2006, 4, 3), given_name_kana="イチロウ", relationship="長男"),
            member("桜", birth_date=date(2012, 7, 7), sex="2", given_name_kana="サクラ", relationship="長女"),
        ],
        **kwargs,
    )


def single_head(
    given_name: str = "健",
    *,
    family_name: str = "佐藤",
    family_name_kana: str = "サトウ",
    sex: str = "1",
    birth_date: date = date(1995, 1, 15),
    honseki: str = NAKATOSA_HONSEKI,
    given_name_kana: str = "ケン",
) -> Koseki:
    """A one-person register (e.g. after 分籍): the person is 筆頭者 and unmarried."""
    return make_koseki(
        honseki=honseki,
        family_name=family_name,
        family_name_kana=family_name_kana,
        compiled_reason=CompiledReason.SPLIT,
        members=[member(given_name, birth_date=birth_date, sex=sex, given_name_kana=given_name_kana)],
    )


# --- fixtures and checks for the service tests (import them into the test module) -------------------


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def in_nakatosa(db: Any) -> Iterator[None]:
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        yield


def snapshot() -> dict[str, Any]:
    """Row counts and the changeable state of every register and member of the current schema."""
    return {
        "kosekis": list(Koseki.objects.order_by("pk").values_list("pk", "status", "version", "honseki", "search_text")),
        "members": list(
            Member.objects.order_by("pk").values_list(
                "pk", "is_removed", "spouse_key", "spouse_role", "family_name_kana", "given_name_kana", "version"
            )
        ),
        "entries": list(Entry.objects.order_by("pk").values_list("pk", "is_struck")),
        "notifications": Notification.objects.count(),
        "furigana": FuriganaRecord.objects.count(),
        "fuhyo": FuhyoEntry.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


ErrorT = TypeVar("ErrorT", bound=Exception)


def refused(error: type[ErrorT], call: Callable[[], object]) -> ErrorT:
    """``call`` raises ``error`` and writes nothing (``snapshot`` before and after are equal); the error, to look at."""
    before = snapshot()
    with pytest.raises(error) as info:
        call()
    assert snapshot() == before, "a refused 届出 must write nothing"
    return info.value


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def fields_of(entry: Entry) -> dict[str, str]:
    return {label: value for label, value in entry.fields}
