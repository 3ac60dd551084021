"""Building blocks for resident-register tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from resident_records.services import PersonInput


def person(
    family: str = "山田",
    given: str = "太郎",
    family_kana: str = "ヤマダ",
    given_kana: str = "タロウ",
    *,
    birth: date = date(1980, 5, 1),
    sex: str = "1",
    relationship: str = "世帯主",
    **extra: Any,
) -> PersonInput:
    return PersonInput(
        family_name=family,
        given_name=given,
        family_name_kana=family_kana,
        given_name_kana=given_kana,
        birth_date=birth,
        sex=sex,
        relationship=relationship,
        **extra,
    )


def family() -> list[PersonInput]:
    return [
        person(),
        person("山田", "花子", "ヤマダ", "ハナコ", birth=date(1982, 8, 12), sex="2", relationship="妻"),
        person("山田", "一郎", "ヤマダ", "イチロウ", birth=date(2012, 4, 3), relationship="子"),
    ]
