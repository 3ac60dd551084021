"""Reads of the koseki module: search, one register as the certificate reads it, members across registers.

Query counts are fixed per call (no query per member or per entry): the register is read in four queries
(koseki, members, entries, furigana history) and grouped in Python.

The plain reads (search_koseki, get_register ...) write no audit row: services use them inside operations that
audit themselves. What a clerk's page or the API shows goes through the audited reads at the end of this module
(``view_register``, ``view_register_form``, ``find_party_candidates``, ``view_issuances``): they take the actor and
the 利用目的 and write the row (docs/audit.md).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

import jaconv
from django.db.models import Exists, OuterRef, Q, QuerySet

from common import audit
from common.dates import day_start
from common.filters import FilterSet
from common.text import normalize_search_text, to_katakana
from koseki.errors import KosekiNotFound
from koseki.models import CertificateIssuance, Entry, FuriganaRecord, Koseki, KosekiStatus, Member, Notification

if TYPE_CHECKING:
    from tenants.models import Person

AUDIT_LABELS = {
    "koseki.late_notice_list": "戸籍: 失期通知の一覧の表示",
    "koseki.view": "戸籍: 戸籍の表示",
    "koseki.search": "戸籍: 戸籍の検索",
    "koseki.issuance_list": "戸籍: 交付履歴の表示",
    "koseki.issuance_log": "戸籍: 交付履歴の閲覧",
    "koseki.issuance_log_export": "戸籍: 交付履歴の出力",
    "koseki.notification_log": "戸籍: 届出受付帳の閲覧",
    "koseki.notification_log_export": "戸籍: 届出受付帳の出力",
}


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
    or 「久礼1234番地」), and a clerk types either (docs/domain/resident_register.md §9)."""
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


def current_parents(child: Member) -> list[Member]:
    """The recorded father's and mother's current appearances (the choices of an 入籍届, 民法 第791条)."""
    keys = [k for k in (child.father_key, child.mother_key) if k is not None]
    return list(Member.objects.filter(person_key__in=keys, is_removed=False).select_related("koseki").order_by("pk"))


def current_member(person_key: UUID) -> Member | None:
    """The person's appearance in a current register where they have not been removed, if any."""
    return (
        Member.objects.select_related("koseki")
        .filter(person_key=person_key, is_removed=False, koseki__status=KosekiStatus.CURRENT)
        .first()
    )


# --- audited reads (docs/audit.md) ---------------------------------------------------------------------
#
# Every display of a register is a recorded act: who looked, at which register, for what (docs/audit.md).
# Each read below writes one personal-data audit row with the clerk's 利用目的.


def search_registers(
    *, actor: Person | None, purpose: str, query: str, honseki: str, include_closed: bool, limit: int
) -> list[Koseki]:
    """検索, audited: which criteria were used and how many registers were listed, not the names themselves."""
    results = search_koseki(query=query, honseki=honseki, include_closed=include_closed, limit=limit)
    audit.record(
        actor=actor,
        action="koseki.search",
        purpose=purpose,
        personal_data=True,
        details={
            "criteria": [k for k, v in (("honseki", honseki), ("query", query)) if v],
            "include_closed": include_closed,
            "results": len(results),
        },
    )
    return results


def find_party_candidates(
    *, actor: Person | None, purpose: str, query: str, label: str, limit: int, exclude: Member | None = None
) -> list[Member]:
    """The other party of a 届出 (婚姻, 養子縁組): members of this town's current registers matching a name."""
    query = " ".join(query.split())
    if not query:
        return []
    registers = search_koseki(query=query, include_closed=False, limit=limit)
    members = list(
        Member.objects.filter(koseki__in=registers, is_removed=False)
        .select_related("koseki")
        .order_by("koseki_id", "position")
    )
    if exclude is not None:
        members = [m for m in members if m.person_key != exclude.person_key]
    needle = normalize_search_text(query)
    matching = [m for m in members if needle in m.search_text] or members
    if matching:
        audit.record(
            actor=actor,
            action="koseki.search",
            purpose=purpose,
            personal_data=True,
            details={"picker": label, "results": len(matching)},
        )
    return matching


@dataclass(frozen=True)
class RegisterView:
    """The register page: the register as the 全部事項証明書 prints it, and the 受付帳 lines that changed it."""

    register: Register
    notifications: list[Notification]


def view_register(*, actor: Person | None, koseki: Koseki, purpose: str) -> RegisterView:
    register = _register(koseki)
    audit.record(
        actor=actor,
        action="koseki.view",
        obj=register.koseki,
        purpose=purpose,
        personal_data=True,
        details={"number": register.koseki.number, "members": len(register.members)},
    )
    # The 受付帳 lines that changed this register (JSON containment on the list of numbers).
    notifications = list(Notification.objects.filter(koseki_numbers__contains=[koseki.number])[:100])
    return RegisterView(register=register, notifications=notifications)


def view_register_form(
    *, actor: Person | None, koseki: Koseki, purpose: str, page: str, member: Member | None = None
) -> None:
    """A 届出, 職権訂正 or 交付 form shows the register it works on (its 筆頭者, the member's name): one row."""
    audit.record(
        actor=actor,
        action="koseki.view",
        obj=koseki,
        purpose=purpose,
        personal_data=True,
        details={"number": koseki.number, "page": page, **({"member": str(member.public_id)} if member else {})},
    )


def register_by_public_id(public_id: UUID) -> Koseki:
    koseki = Koseki.objects.filter(public_id=public_id).first()
    if koseki is None:
        raise KosekiNotFound()
    return koseki


def view_issuances(*, actor: Person | None, day: date, purpose: str) -> list[CertificateIssuance]:
    """The day's 交付履歴: it names each register's 筆頭者 and each requester."""
    issuances = list(CertificateIssuance.objects.filter(issued_at__date=day))
    audit.record(
        actor=actor,
        action="koseki.issuance_list",
        purpose=purpose,
        personal_data=True,
        details={"day": day.isoformat(), "count": len(issuances)},
    )
    return issuances


# --- audited logs (no names: numbers, kinds, dates) ----------------------------------------------------------


def issuance_log(*, actor: Person | None, filters: FilterSet, export: bool) -> QuerySet[CertificateIssuance]:
    """交付履歴 by 交付日 (Asia/Tokyo), kind and 広域交付 (koseki.filters, validated); its listing or export is audited
    with the filters."""
    audit.record(
        actor=actor,
        action="koseki.issuance_log_export" if export else "koseki.issuance_log",
        details=filters.audit_details(),
    )
    return filters.filter_queryset(CertificateIssuance.objects.order_by("-issued_at", "-id"))


def notification_log(*, actor: Person | None, filters: FilterSet, export: bool) -> QuerySet[Notification]:
    """受付帳 by 受理日 and kind (koseki.filters, validated); its listing or export is audited with the filters."""
    audit.record(
        actor=actor,
        action="koseki.notification_log_export" if export else "koseki.notification_log",
        details=filters.audit_details(),
    )
    return filters.filter_queryset(Notification.objects.order_by("-accepted_on", "-processed_at", "-id"))


def late_notifications(*, actor: Person | None, since: date, until: date, purpose: str) -> list[Notification]:
    """The 届出 accepted after their period (期間経過) between two 受理日, for the 失期通知 to the 簡易裁判所
    (戸籍法 第137条, 戸籍法施行規則 第65条; docs/domain/koseki.md). The list names the notifiers: audited."""
    rows = list(
        Notification.objects.filter(is_late=True, accepted_on__gte=since, accepted_on__lte=until).order_by(
            "accepted_on", "number"
        )
    )
    audit.record(
        actor=actor,
        action="koseki.late_notice_list",
        purpose=purpose,
        personal_data=True,
        details={"since": str(since), "until": str(until), "count": len(rows)},
    )
    return rows


def certificates_issued(since: date, until: date) -> int:
    """戸籍証明書 issued in the period (a usage metric of the council's cost sharing)."""
    return CertificateIssuance.objects.filter(
        issued_at__gte=day_start(since), issued_at__lt=day_start(until + timedelta(days=1))
    ).count()
