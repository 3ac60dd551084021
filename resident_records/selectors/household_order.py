"""The order of a household's members on a certificate (住民記録システム標準仕様書 §5.2)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING

from resident_records.models import (
    ResidentRecord,
)

if TYPE_CHECKING:
    pass

# --- household sort order (住民記録システム標準仕様書 §5.2, docs/domain/resident_register.md)
# ---------------------------
#
# How 続柄 strings are read (they are written relative to the 世帯主, 住民基本台帳事務処理要領):
#   tier 1: 世帯主; then the spouse (妻, 夫, 未届の妻, 未届の夫); then the head's children by birth date —
#           子, 長男/長女, 二男/二女 (次男/次女) ..., 養子/養女, and the spouse's children (妻の子, 夫の子).
#   tier 2: the families of married children: their spouses (子の妻, 子の夫, 長男の妻 ...), then 孫 (and
#           孫の妻/孫の夫), then 曾孫. 続柄 strings do not say which child a grandchild belongs to, so tier 2 is
#           ordered by generation, then birth date.
#   tier 3: parents (父, 母, 養父, 養母, 妻の父, 夫の母 ...), then grandparents (祖父, 祖母), then siblings
#           (兄, 姉, 弟, 妹 and their spouses), then other relatives (おじ, おば, おい, めい, 縁故者 ...
#           and any 続柄 not listed here), and last 同居人 (not related).
#   newcomers: members who joined from outside after the household took its shape come after all tiers,
#           in the order they joined.
# Within a group: birth date, then 宛名番号.

_CHILD = re.compile(r"^(子|養子|養女|(?:長|次|[二三四五六七八九十]+)[男女]|(?:妻|夫)の子)$")
_CHILD_SPOUSE = re.compile(r"^(子|養子|養女|(?:長|次|[二三四五六七八九十]+)[男女])の(妻|夫)$")
_GRANDCHILD = re.compile(r"^孫(の(妻|夫))?$")
_GREAT_GRANDCHILD = re.compile(r"^(曾孫|曽孫|ひ孫|玄孫)$")
_PARENT = re.compile(r"^((妻|夫)の)?(父|母|養父|養母)$")
_GRANDPARENT = re.compile(r"^((妻|夫)の)?(祖父|祖母)$")
_SIBLING = re.compile(r"^(兄|姉|弟|妹)(の(妻|夫))?$")
_LODGER = frozenset({"同居人"})


def relationship_group(relationship: str) -> tuple[int, int]:
    """(tier, group within the tier) of a 続柄 string; see the table above."""
    text = "".join(unicodedata.normalize("NFKC", relationship or "").split())
    if text == "世帯主":
        return 1, 0
    if text in {"妻", "夫", "未届の妻", "未届の夫"}:
        return 1, 1
    if _CHILD.match(text):
        return 1, 2
    if _CHILD_SPOUSE.match(text):
        return 2, 0
    if _GRANDCHILD.match(text):
        return 2, 1
    if _GREAT_GRANDCHILD.match(text):
        return 2, 2
    if _PARENT.match(text):
        return 3, 0
    if _GRANDPARENT.match(text):
        return 3, 1
    if _SIBLING.match(text):
        return 3, 2
    if text in _LODGER:
        return 3, 4
    return 3, 3


def household_sort_key(record: ResidentRecord, *, joined: int | None = None) -> tuple[int, int, int, date, str]:
    """Sort key of one member; ``joined`` (the id of the joining event) marks a newcomer."""
    atena = record.resident.atena_number
    if joined is not None:
        return 4, 0, joined, record.birth_date, atena
    tier, group = relationship_group(record.relationship)
    return tier, group, 0, record.birth_date, atena


def ordered_members(
    records: Iterable[ResidentRecord], *, newcomers: Mapping[int, int] | None = None
) -> list[ResidentRecord]:
    """Members in the order of a household certificate (標準仕様書 §5.2)."""
    joined = newcomers or {}
    return sorted(records, key=lambda r: household_sort_key(r, joined=joined.get(r.resident_id)))
