"""The text of the register the 届出 services write: dates in 和暦, names, furigana in katakana, and the search
keys of members and registers (koseki.selectors searches them)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from common.text import normalize_search_text, to_katakana
from common.wareki import to_wareki
from koseki.errors import (
    FuriganaNotKatakana,
)
from koseki.models import (
    Koseki,
    Member,
)

_KATAKANA_RE = re.compile(r"[\u30a1-\u30f6\u30fc\u30fb]+(?: [\u30a1-\u30f6\u30fc\u30fb]+)*")


# --- text ----------------------------------------------------------------------------------------


def wareki(d: date) -> str:
    """Dates in Entry.fields: 和暦 with half-width digits; the certificate converts them to full-width."""
    return to_wareki(d)


def plain_name(family_name: str, given_name: str) -> str:
    """A name as the register prints it in 【父】【母】【配偶者氏名】: no space between 氏 and 名."""
    return f"{family_name}{given_name}"


def koseki_label(koseki: Koseki) -> str:
    """【従前戸籍】/【入籍戸籍】 wording: 本籍 then 筆頭者氏名."""
    return f"{koseki.honseki}\u3000{plain_name(koseki.family_name, koseki.head_given_name)}"


def katakana(value: str, *, required: bool = False, label: str = "振り仮名") -> str:
    """A furigana as the register keeps it (common.text.to_katakana), refused unless it is katakana only."""
    text = to_katakana(value)
    if not text:
        if required:
            raise FuriganaNotKatakana(f"{label}を片仮名で入力してください(戸籍法第13条第2項)。")
        return ""
    if not _KATAKANA_RE.fullmatch(text):
        raise FuriganaNotKatakana(
            f"{label}「{value}」は片仮名ではありません。振り仮名は片仮名で記載してください(戸籍法第13条第2項)。",
            details={"value": value},
        )
    return text


def member_search_text(member: Member) -> str:
    name = normalize_search_text(plain_name(member.family_name, member.given_name))
    kana = normalize_search_text(f"{member.family_name_kana}{member.given_name_kana}")
    return f"{name}|{kana}"[:400]


def koseki_search_text(koseki: Koseki, members: Iterable[Member]) -> str:
    """筆頭者 and every member's name and kana, '|'-separated so that a query never matches across two names.

    Capped at the column's 400 characters; the search selector also looks at Member.search_text, so a
    very large register stays findable by every member."""
    parts = [
        normalize_search_text(plain_name(koseki.family_name, koseki.head_given_name)),
        normalize_search_text(koseki.family_name_kana),
    ]
    for member in members:
        parts.append(member_search_text(member))
    return "|".join(p for p in parts if p)[:400]


def refresh_search_text(koseki: Koseki) -> None:
    """Recompute Koseki.search_text and every Member.search_text of the register (after any change)."""
    members = list(Member.objects.filter(koseki=koseki).order_by("position"))
    for member in members:
        text = member_search_text(member)
        if member.search_text != text:
            member.search_text = text
            Member.objects.filter(pk=member.pk).update(search_text=text)
    koseki.search_text = koseki_search_text(koseki, members)
    Koseki.objects.filter(pk=koseki.pk).update(search_text=koseki.search_text)
