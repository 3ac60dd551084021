"""Reads of the koseki module: search, one register as the certificate reads it, members across registers.

Query counts are fixed per call (no query per member or per entry): the register is read in four queries
(koseki, members, entries, furigana history) and grouped in Python. Auditing a read is the caller's job
(the view or certificate service knows the purpose).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

import jaconv
from django.db.models import Exists, OuterRef, Q

from common.text import normalize_search_text, to_katakana
from koseki.errors import KosekiNotFound
from koseki.models import Entry, FuriganaRecord, Koseki, KosekiStatus, Member


@dataclass
class MemberView:
    member: Member
    # Certificate order (event_date, id). Struck entries are included (entry.is_struck): certificates skip
    # them, the history page shows them struck with their reason.
    entries: list[Entry] = field(default_factory=list)
    furigana_history: list[FuriganaRecord] = field(default_factory=list)


@dataclass
class Register:
    koseki: Koseki
    koseki_entries: list[Entry]  # 戸籍事項 (member is null), same order as member entries
    members: list[MemberView]  # in 記載順 (position), removed members included (除籍)

    @property
    def current_members(self) -> list[MemberView]:
        return [view for view in self.members if not view.member.is_removed]


def search_koseki(*, query: str = "", honseki: str = "", include_closed: bool = True, limit: int = 50) -> list[Koseki]:
    """Registers whose 筆頭者, any member's name or furigana, or 本籍 (prefix) match ``query``.

    The name is matched on the normalised keys (common.text.normalize_search_text), so 'やまだ', 'ﾔﾏﾀﾞ' and
    'ヤマダ' find the same registers. ``honseki`` narrows by 本籍 prefix, spaces ignored."""
    qs = Koseki.objects.all()
    if not include_closed:
        qs = qs.filter(status=KosekiStatus.CURRENT)
    if "".join(honseki.split()):
        qs = qs.filter(_honseki_prefix(honseki))
    text = query.strip()
    if text:
        key = normalize_search_text(text)
        member_match = Member.objects.filter(koseki=OuterRef("pk"), search_text__contains=key)
        qs = qs.filter(Q(search_text__contains=key) | _honseki_prefix(text) | Exists(member_match))
    return list(qs.order_by("honseki", "family_name", "head_given_name", "pk")[: max(0, limit)])


def _honseki_prefix(text: str) -> Q:
    """本籍 starting with ``text`` whatever the width of its digits: a 本籍 is kept as written (「久礼１２３４番地」
    or 「久礼1234番地」), and a clerk types either (issue 10 §11)."""
    plain = "".join(text.split())
    nfkc = unicodedata.normalize("NFKC", plain)
    condition = Q()
    for variant in {plain, nfkc, jaconv.h2z(nfkc, kana=False, ascii=False, digit=True)}:
        condition |= Q(honseki__startswith=variant)
    return condition


def get_register(*, koseki_id: int) -> Register:
    koseki = Koseki.objects.filter(pk=koseki_id).first()
    if koseki is None:
        raise KosekiNotFound()
    return _register(koseki)


def get_register_by_number(*, number: str) -> Register:
    koseki = Koseki.objects.filter(number=number).first()
    if koseki is None:
        raise KosekiNotFound()
    return _register(koseki)


def _register(koseki: Koseki) -> Register:
    members = list(Member.objects.filter(koseki=koseki).order_by("position"))
    entries = list(Entry.objects.filter(koseki=koseki).order_by("event_date", "id"))
    history = list(FuriganaRecord.objects.filter(member__koseki=koseki).order_by("recorded_at", "id"))
    by_member: dict[int | None, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_member[entry.member_id].append(entry)
    furigana: dict[int, list[FuriganaRecord]] = defaultdict(list)
    for record in history:
        furigana[record.member_id].append(record)
    for member in members:
        member.koseki = koseki  # no query when a caller follows member.koseki
    return Register(
        koseki=koseki,
        koseki_entries=by_member[None],
        members=[MemberView(m, by_member[m.pk], furigana[m.pk]) for m in members],
    )


def find_members(
    *,
    family_name: str = "",
    given_name: str = "",
    birth_date: date | None = None,
    include_removed: bool = False,
) -> list[Member]:
    """Members by name (kanji as written, or furigana in kana of any width) and birth date, with their koseki."""
    qs = Member.objects.select_related("koseki")
    family = "".join(family_name.split())
    if family:
        qs = qs.filter(Q(family_name=family) | Q(family_name_kana=to_katakana(family)))
    given = "".join(given_name.split())
    if given:
        qs = qs.filter(Q(given_name=given) | Q(given_name_kana=to_katakana(given)))
    if birth_date is not None:
        qs = qs.filter(birth_date=birth_date)
    if not include_removed:
        qs = qs.filter(is_removed=False)
    return list(qs.order_by("family_name", "given_name", "birth_date", "koseki_id", "position")[:200])


def members_by_person_key(person_key: UUID) -> list[Member]:
    """Every appearance of one person in this town's registers, oldest register first."""
    return list(
        Member.objects.select_related("koseki").filter(person_key=person_key).order_by("koseki__compiled_on", "pk")
    )


def current_member(person_key: UUID) -> Member | None:
    """The person's appearance in a current register where they have not been removed, if any."""
    return (
        Member.objects.select_related("koseki")
        .filter(person_key=person_key, is_removed=False, koseki__status=KosekiStatus.CURRENT)
        .first()
    )
