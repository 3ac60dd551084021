"""Reads of the register: the state of a resident or a household as of any date.

How a past state is computed (the records are append-only, see models.py):
* Records of cancelled events are ignored (they stay in the history, marked, see ``events_for``).
* A cancellation's own records only repeat an earlier state (they restore the current row), so they are not
  a state of their own either: the state after a cancellation is what the remaining records say.
* A correction (職権修正 / 誤記修正) is an overlay: from its effective date, the fields it corrected replace
  the values of every record that was written before the correction. Records written after it already
  carry the corrected value. The mistaken records stay in the history as they were.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from common import audit
from common.dates import day_start, local_today
from common.errors import ValidationFailed
from resident_records import disclosure, mynumber, search, support
from resident_records.errors import HouseholdNotFound, ResidentNotFound
from resident_records.models import (
    CertificateIssuance,
    ChangeEvent,
    ClerkTask,
    EventKind,
    Household,
    HouseholdRecord,
    Resident,
    ResidentRecord,
    ResidentStatus,
    SupportMeasure,
)
from tenants.models import Person

if TYPE_CHECKING:
    from tenants.models import Person

CORRECTION_KINDS = frozenset({EventKind.EX_OFFICIO_CORRECTION, EventKind.CLERICAL_CORRECTION})
# Events whose records are not a state of their own (see the module docstring).
NOT_A_STATE = frozenset({EventKind.CANCELLATION, *CORRECTION_KINDS})
# Events by which members join an existing household from outside, for the "newcomers last" rule.
JOINING_KINDS = frozenset(
    {EventKind.MOVE_IN, EventKind.MOVE_IN_FROM_ABROAD, EventKind.EX_OFFICIO_ENTRY, EventKind.HOUSEHOLD_MERGE}
)


def effective_records() -> QuerySet[ResidentRecord]:
    """Records of events that were not cancelled (a cancelled event stays in the history, marked)."""
    return ResidentRecord.objects.filter(event__cancelled_by__isnull=True)


def resident_as_of(resident: Resident, day: date) -> ResidentRecord | None:
    """The resident's entry as it stood on ``day`` (None before the resident was registered here).

    The returned record carries the corrections effective on ``day``; it is a read-only view (the history
    tables refuse UPDATE).
    """
    records = list(
        effective_records()
        .filter(resident=resident, effective_on__lte=day)
        .select_related("event")
        .order_by("-effective_on", "-recorded_at", "-id")
    )
    return state_from_records(resident, records, day)


def state_from_records(resident: Resident, records: list[ResidentRecord], day: date) -> ResidentRecord | None:
    """The one rule reading a resident's state on ``day`` from their effective records, newest first.

    Used by ``resident_as_of`` and by the batch readers (CSV export as of a day), so every view of a past day
    agrees. A day before 住民となった年月日 (as it reads after corrections) shows no residence: the entry did
    not exist yet (docs/domain/resident_register.md §9), even when a correction moved that date later than the first
    record.
    """
    base = next((r for r in records if r.event.kind not in NOT_A_STATE), None)
    if base is None:
        return None
    corrections = sorted(
        (r for r in records if r.event.kind in CORRECTION_KINDS and r.event_id > base.event_id),
        key=lambda r: r.event_id,
    )
    for correction in corrections:
        for name in correction.event.details.get("fields", []):
            setattr(base, name, getattr(correction, name))
    if day < base.became_resident_on:
        return None
    base.resident = resident
    return base


def history(resident: Resident) -> QuerySet[ResidentRecord]:
    """Every record of the resident, cancelled ones included, for the history timeline."""
    return resident.records.select_related("event", "event__cancelled_by").order_by("effective_on", "recorded_at", "id")


def events_for(resident: Resident) -> QuerySet[ChangeEvent]:
    """The resident's 異動 in processing order, each annotated ``is_cancelled`` (cancelled ones stay listed)."""
    cancelled = ChangeEvent.objects.filter(cancels=OuterRef("pk"))
    return (
        ChangeEvent.objects.filter(records__resident=resident)
        .annotate(is_cancelled=Exists(cancelled))
        .select_related("cancels")
        .order_by("processed_at", "id")
    )


def household_members_as_of(household_id: int, day: date) -> list[ResidentRecord]:
    """Who belonged to the household on ``day``, each as their entry stood then (still 住民 on that day)."""
    return _household_members(household_id, day)[0]


def _household_members(household_id: int, day: date) -> tuple[list[ResidentRecord], dict[int, tuple[int, str]]]:
    """The members on ``day``, and each one's first record in this household (by event, states only).

    Two queries whatever the household's size (the residents, then all their effective records up to ``day``):
    each member's state is read by ``state_from_records``, the rule ``resident_as_of`` applies to one resident.
    """
    candidates = (
        effective_records()
        .filter(effective_on__lte=day, resident__records__household_id=household_id)
        .values_list("resident_id", flat=True)
        .distinct()
    )
    residents = list(Resident.objects.filter(pk__in=candidates).order_by("pk"))
    by_resident: dict[int, list[ResidentRecord]] = {r.pk: [] for r in residents}
    records = (
        effective_records()
        .filter(resident_id__in=list(by_resident), effective_on__lte=day)
        .select_related("event", "household")  # the API prints each member's 世帯番号
        .order_by("resident_id", "-effective_on", "-recorded_at", "-id")
    )
    first_here: dict[int, ResidentRecord] = {}
    for record in records if by_resident else []:
        by_resident[record.resident_id].append(record)
        if record.household_id == household_id and record.event.kind not in NOT_A_STATE:
            earlier = first_here.get(record.resident_id)
            if earlier is None or record.event_id < earlier.event_id:
                first_here[record.resident_id] = record
    # Read before state_from_records applies corrections to the records it returns.
    joining = {pk: (r.event_id, r.event.kind) for pk, r in first_here.items()}
    members = []
    for resident in residents:
        state = state_from_records(resident, by_resident[resident.pk], day)
        if state is not None and state.household_id == household_id and state.status == ResidentStatus.RESIDENT:
            members.append(state)
    return members, joining


def household_head_as_of(household_id: int, day: date) -> HouseholdRecord | None:
    return (
        HouseholdRecord.objects.filter(
            household_id=household_id, effective_on__lte=day, event__cancelled_by__isnull=True
        )
        .exclude(event__kind=EventKind.CANCELLATION)
        .order_by("-effective_on", "-recorded_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class HouseholdAsOf:
    household_id: int
    head_id: int | None
    dissolved: bool
    members: list[ResidentRecord]  # in certificate order (標準仕様書 §5.2)


def household_as_of(household_id: int, day: date) -> HouseholdAsOf | None:
    """The household as it stood on ``day``: its 世帯主 and members in certificate order (None before it existed)."""
    head = household_head_as_of(household_id, day)
    if head is None:
        return None
    members, joining = _household_members(household_id, day)
    return HouseholdAsOf(
        household_id=household_id,
        head_id=head.head_id,
        dissolved=head.dissolved,
        members=ordered_members(members, newcomers=_newcomers(household_id, day, members, joining)),
    )


def _newcomers(
    household_id: int, day: date, members: list[ResidentRecord], joining: dict[int, tuple[int, str]]
) -> dict[int, int]:
    """Members who joined after the household took its present shape, with the id of their joining event.

    The household takes its shape when it is set up, and again at each 世帯主変更 (which re-gives every 続柄).
    A member who came in later from outside (転入, 職権記載, 世帯合併) is a newcomer; a child born into the
    household is not, and sorts by 続柄 like the others. ``joining`` is each member's first record in the household
    (its event id and kind, from ``_household_members``): no query per member.
    """
    reshaped = (
        HouseholdRecord.objects.filter(
            household_id=household_id, effective_on__lte=day, event__cancelled_by__isnull=True
        )
        .exclude(event__kind__in=NOT_A_STATE)
        .select_related("event")
        .order_by("event_id")
    )
    shaped_at = 0
    for index, record in enumerate(reshaped):
        if index == 0 or record.event.kind == EventKind.HEAD_CHANGE:
            shaped_at = record.event_id
    joined: dict[int, int] = {}
    for member in members:
        first = joining.get(member.resident_id)
        if first is not None and first[0] > shaped_at and first[1] in JOINING_KINDS:
            joined[member.resident_id] = first[0]
    return joined


@dataclass(frozen=True)
class OverdueNotice:
    """One line of the 期間経過 list: a 届出 made after its period (住基法 第52条第2項 の通知のため)."""

    event: ChangeEvent
    days_late: int
    names: list[str]
    address: str


def overdue_notices(*, actor: Person | None, purpose: str, since: date, until: date) -> list[OverdueNotice]:
    """住基法 届出 (第22〜25条) recorded 期間経過 with 異動日 in [since, until], not cancelled, oldest first.

    The town notifies the 簡易裁判所 of them (住基法 第52条第2項: 過料); the list names the persons, so reading it
    is an audited read of personal data with its purpose.
    """
    from common import audit
    from resident_records.services.common import RESIDENT_NOTICE_KINDS, notice_period_days

    events = list(
        ChangeEvent.objects.filter(
            overdue=True,
            kind__in=RESIDENT_NOTICE_KINDS,
            event_date__range=(since, until),
            cancelled_by__isnull=True,
        )
        .select_related("household")
        .prefetch_related("records")
        .order_by("event_date", "id")
    )
    rows = []
    for event in events:
        records = sorted(event.records.all(), key=lambda r: r.resident_id)
        assert event.notified_on is not None  # overdue implies a 届出日
        rows.append(
            OverdueNotice(
                event=event,
                days_late=(event.notified_on - event.event_date).days - notice_period_days(event.kind),
                names=[r.full_name for r in records],
                address=records[0].address if records else "",
            )
        )
    audit.record(
        actor=actor,
        action="resident.overdue_notices",
        purpose=purpose,
        personal_data=True,
        details={"since": since.isoformat(), "until": until.isoformat(), "events": [r.event.pk for r in rows]},
    )
    return rows


def clerk_tasks(*, limit: int = 200) -> list[ClerkTask]:
    """処理待ち: open tasks first, oldest first (their summaries name 宛名番号, never names: no audited read)."""
    return list(ClerkTask.objects.order_by("status", "created_at", "id")[:limit])


def overdue_move_outs(today: date, *, days: int = 30) -> QuerySet[Resident]:
    """住民 whose 転出予定日 passed more than ``days`` ago with no 転入通知 yet.

    Nothing is done automatically: the clerk investigates (実態調査) and, if the person has left, removes the
    entry by 職権消除 (services.record_ex_officio_removal).
    """
    return Resident.objects.filter(
        status=ResidentStatus.RESIDENT,
        moving_out_confirmed=False,
        moving_out_on__lt=today - timedelta(days=days),
    ).order_by("moving_out_on", "pk")


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


# --- audited reads (docs/audit.md) ---------------------------------------------------------------------
#
# Every page and API response that shows a person's details is built by one of these: each takes the actor and
# the 利用目的, writes one personal-data audit row per view, listing the persons shown (the town's 安全確保措置,
# 住基法 第36条の2: who looked at whose entry, and why; docs/audit.md) and returns what the page and the API
# render. Views reach them through ``common.purpose.PurposeGate`` (resident_records.views.personal_data_page),
# which demands the purpose.


def resident_by_atena_number(atena_number: str) -> Resident:
    """The resident a URL names by 宛名番号 (never by a row id, which would be a guessable sequence)."""
    resident = Resident.objects.select_related("household").filter(atena_number=atena_number).first()
    if resident is None:
        raise ResidentNotFound()
    return resident


def household_by_number(number: str) -> Household:
    """The household a URL names by 世帯番号."""
    household = Household.objects.filter(number=number).first()
    if household is None:
        raise HouseholdNotFound()
    return household


def find_residents(
    *,
    actor: Person | None,
    purpose: str,
    query: str = "",
    birth_date: str = "",
    address: str = "",
    atena_number: str = "",
    include_removed: bool = False,
    limit: int = 50,
) -> list[Resident]:
    """検索 (search.search_residents), audited. The criteria themselves are not logged (they are names and birth
    dates): which ones were used and how many residents were listed is what an auditor needs."""
    results = search.search_residents(
        query=query,
        birth_date=birth_date,
        address=address,
        atena_number=atena_number,
        include_removed=include_removed,
        limit=limit,
    )
    given = {"query": query, "birth_date": birth_date, "address": address, "atena_number": atena_number}
    audit.record(
        actor=actor,
        action="resident.search",
        purpose=purpose,
        personal_data=True,
        details={
            "criteria": [k for k, v in given.items() if v],
            "include_removed": include_removed,
            "results": len(results),
        },
    )
    return results


def find_resident_page(
    *,
    actor: Person | None,
    purpose: str,
    query: str = "",
    birth_date: str = "",
    address: str = "",
    atena_number: str = "",
    include_removed: bool = False,
    page: int = 1,
    per_page: int = 100,
) -> search.SearchPage:
    """The clerk's result list (search.search_page: the count and one page of rows), audited like
    ``find_residents``; each row says whether a 支援措置 covers the resident (the banner, one query per page)."""
    results = search.search_page(
        query=query,
        birth_date=birth_date,
        address=address,
        atena_number=atena_number,
        include_removed=include_removed,
        page=page,
        per_page=per_page,
    )
    protected = disclosure.protected_resident_ids(among=[row.pk for row in results.rows]) if results.rows else set()
    if protected:
        results = replace(results, rows=[replace(row, protected=row.pk in protected) for row in results.rows])
    given = {"query": query, "birth_date": birth_date, "address": address, "atena_number": atena_number}
    audit.record(
        actor=actor,
        action="resident.search",
        purpose=purpose,
        personal_data=True,
        details={
            "criteria": [k for k, v in given.items() if v],
            "include_removed": include_removed,
            "results": len(results.rows),
            "matched": results.total,
            "page": results.page,
        },
    )
    return results


def view_residents(
    *,
    actor: Person | None,
    residents: Iterable[Resident],
    purpose: str,
    obj: Any = None,
    details: dict[str, Any] | None = None,
) -> None:
    """One personal-data audit row for one view, listing the 宛名番号 of every resident it shows in
    ``details["persons"]`` (the building block of the selectors below; docs/audit.md «One row per view»).

    ``obj`` is what the view is of (the resident whose page it is, the household); by default the one resident
    shown. An auditor finds a person's reads with ``details @> {"persons": [宛名番号]}`` (common.selectors,
    the ``person`` filter, served by a GIN index). A view that shows nobody writes no row.
    """
    shown = list(dict.fromkeys(residents))
    if not shown:
        return
    if obj is None:
        obj = shown[0]
    audit.record(
        actor=actor,
        action="resident.view",
        obj=obj,
        purpose=purpose,
        personal_data=True,
        details={**(details or {}), "persons": [r.atena_number for r in shown]},
    )


@dataclass(frozen=True)
class ResidentView:
    """A resident's page (and the API's resident): the entry (as of a date), household, 異動, masked 個人番号."""

    resident: Resident
    entry: Resident | ResidentRecord | None  # the current row, or the entry as it stood on ``as_of``
    as_of: date | None
    household: HouseholdAsOf | None
    events: list[ChangeEvent]
    masked_my_number: str


@transaction.atomic
def view_resident(
    *, actor: Person | None, resident: Resident, purpose: str, as_of: date | None = None, with_household: bool = True
) -> ResidentView:
    """A resident's entry; with the household table, each other member shown is a read of their data too: one
    audit row for the view, listing everyone shown (docs/audit.md «One row per view»).

    One transaction: the read and its audit row commit together, so a worker killed half-way leaves none of them,
    never some of the rows of a page nobody received (docs/domain/bcp-reliability.md §5)."""
    entry: Resident | ResidentRecord | None = resident_as_of(resident, as_of) if as_of else resident
    when = {"as_of": as_of.isoformat()} if as_of else {}
    household = None
    if with_household and entry is not None:
        household = household_as_of(entry.household_id, as_of or local_today())
    others = [m.resident for m in household.members if m.resident_id != resident.pk] if household else []
    view_residents(actor=actor, residents=[resident, *others], obj=resident, purpose=purpose, details=when or None)
    masked = ""
    if entry is not None and entry.my_number_encrypted:
        masked = mynumber.mask(mynumber.decrypt(entry.my_number_encrypted))
    return ResidentView(
        resident=resident,
        entry=entry,
        as_of=as_of,
        household=household,
        events=list(events_for(resident)) if with_household else [],
        masked_my_number=masked,
    )


def view_resident_history(*, actor: Person | None, resident: Resident, purpose: str) -> list[ResidentRecord]:
    """Every recorded state of a resident, cancelled ones included."""
    audit.record(actor=actor, action="resident.view_history", obj=resident, purpose=purpose, personal_data=True)
    return list(history(resident))


def reveal_my_number(*, actor: Person | None, resident: Resident, purpose: str) -> str:
    """個人番号 in full, for one response, with its own audited purpose (番号法 第19条・第20条): the one audited
    reveal (mynumber.reveal), as a certificate that prints it."""
    return mynumber.reveal(actor=actor, resident=resident, purpose=purpose)


@dataclass(frozen=True)
class HouseholdView:
    """A household's current members (a 異動 form) or its members as of a date (the API)."""

    household: Household
    residents: list[Resident]  # current 住民 of the household, by id
    head: Resident | None
    members: list[ResidentRecord]  # as of ``as_of`` (empty unless asked)


def current_residents(household: Household) -> tuple[list[Resident], Resident | None]:
    """The household's 住民 and its 世帯主 (the first member if the head left), without an audit row: for
    services and for selectors that audit what they show."""
    residents = list(household.resident_set.filter(status=ResidentStatus.RESIDENT).order_by("pk"))
    head = next((r for r in residents if r.pk == household.head_id), residents[0] if residents else None)
    return residents, head


@transaction.atomic
def view_household(
    *,
    actor: Person | None,
    household: Household,
    purpose: str,
    as_of: date | None = None,
    also: Iterable[Resident] = (),
    details: dict[str, Any] | None = None,
) -> HouseholdView:
    """The members a 異動 form (or the API) shows; ``also`` adds a person shown with them (a 除票's resident)."""
    if as_of is not None:
        members = household_members_as_of(household.pk, as_of)
        view_residents(
            actor=actor,
            residents=[m.resident for m in members],
            obj=household,
            purpose=purpose,
            details={"as_of": as_of.isoformat(), "household": household.number, **(details or {})},
        )
        return HouseholdView(household=household, residents=[], head=None, members=members)
    residents, head = current_residents(household)
    shown = {r.pk: r for r in [*residents, *also]}
    view_residents(
        actor=actor,
        residents=shown.values(),
        obj=household,
        purpose=purpose,
        details=details if details is not None else {"household": household.number},
    )
    return HouseholdView(household=household, residents=residents, head=head, members=[])


def view_issuances(*, actor: Person | None, day: date, purpose: str) -> list[CertificateIssuance]:
    """The day's 交付履歴 (標準仕様書 §1.3.8): it names the residents each certificate was issued for."""
    issuances = list(CertificateIssuance.objects.filter(issued_at__date=day).prefetch_related("residents"))
    audit.record(
        actor=actor,
        action="certificate.list",
        purpose=purpose,
        personal_data=True,
        details={"day": day.isoformat(), "count": len(issuances)},
    )
    return issuances


def view_issuance(*, actor: Person | None, issuance: CertificateIssuance, purpose: str) -> CertificateIssuance:
    """One issuance's completion page (its 発行番号, the persons it names, the PDF just printed): one read row
    listing the named residents."""
    residents = list(issuance.residents.all())
    view_residents(
        actor=actor, residents=residents, obj=issuance, purpose=purpose, details={"issuance": issuance.number}
    )
    return issuance


def measures_of(resident: Resident) -> list[SupportMeasure]:
    """Every 支援措置 naming ``resident`` (as 支援対象者 or accompanying person), newest decision first."""
    return list(
        SupportMeasure.objects.filter(Q(resident=resident) | Q(accompanying=resident))
        .distinct()
        .select_related("resident")
        .order_by("-decided_at", "-id")
    )


def view_support_measures(*, actor: Person | None, resident: Resident, purpose: str) -> list[SupportMeasure]:
    """A resident's 支援措置 page: that a person is protected is itself personal data (docs/audit.md)."""
    audit.record(actor=actor, action="support_measure.view", obj=resident, purpose=purpose, personal_data=True)
    return measures_of(resident)


def support_measures_needing_attention(*, actor: Person | None, today: date) -> QuerySet[SupportMeasure]:
    """The 支援措置責任者's alert list (ending within a month or lapsed), for the page and the API; numbers and
    dates only, no names. Its reading is audited with the count listed."""
    measures = support.measures_needing_attention(today=today)
    audit.record(actor=actor, action="support_measure.attention_list", details={"count": measures.count()})
    return measures


# --- audited logs (no names: numbers, kinds and dates) -----------------------------------------------------


def change_event_log(*, actor: Person | None, filters: Mapping[str, str], export: bool) -> QuerySet[ChangeEvent]:
    """The 異動 log, filtered by ``kind``, ``since`` and ``until`` (YYYY-MM-DD); its listing or export is audited."""
    events = ChangeEvent.objects.select_related("household", "cancelled_by").order_by("-processed_at", "-id")
    try:
        if filters.get("kind"):
            events = events.filter(kind=filters["kind"])
        if filters.get("since"):
            events = events.filter(event_date__gte=filters["since"])
        if filters.get("until"):
            events = events.filter(event_date__lte=filters["until"])
        events.exists()
    except DjangoValidationError as exc:
        raise ValidationFailed("日付は YYYY-MM-DD で指定してください。", details={"error": exc.messages}) from exc
    audit.record(
        actor=actor,
        action="resident.event_export" if export else "resident.event_list",
        details={k: v for k, v in filters.items() if k in {"kind", "since", "until"}},
    )
    return events


def certificate_issuance_log(
    *, actor: Person | None, filters: Mapping[str, Any], export: bool
) -> QuerySet[CertificateIssuance]:
    """交付履歴 (標準仕様書 §1.3.8) filtered by 交付日 (Asia/Tokyo days), kind and voided; audited with its filters."""
    rows = CertificateIssuance.objects.prefetch_related("residents").order_by("-issued_at", "-id")
    if filters.get("since"):
        rows = rows.filter(issued_at__gte=day_start(filters["since"]))
    if filters.get("until"):
        rows = rows.filter(issued_at__lt=day_start(filters["until"] + timedelta(days=1)))
    if filters.get("kind"):
        rows = rows.filter(kind=filters["kind"])
    if filters.get("voided") is not None:
        rows = rows.filter(voided_at__isnull=not filters["voided"])
    audit.record(
        actor=actor,
        action="certificate.log_export" if export else "certificate.log_list",
        details={k: str(v) for k, v in filters.items() if v not in (None, "")},
    )
    return rows


def population_on(day: date) -> int:
    """住民基本台帳人口 on ``day``: residents whose entry, as it stood that day, was a 住民 (not 転出・死亡・消除).
    Public for the council's cost sharing (人口割, docs/domain/finance.md §9)."""
    latest = (
        effective_records()
        .filter(effective_on__lte=day)
        .exclude(event__kind__in=NOT_A_STATE)
        .order_by("resident_id", "-effective_on", "-recorded_at", "-id")
        .distinct("resident_id")
    )
    return ResidentRecord.objects.filter(
        pk__in=latest.values("pk"), status=ResidentStatus.RESIDENT, became_resident_on__lte=day
    ).count()


def certificates_issued(since: date, until: date) -> int:
    """住民票の写し等 issued in the period and not voided (a usage metric of the cost sharing)."""
    return CertificateIssuance.objects.filter(
        issued_at__gte=day_start(since), issued_at__lt=day_start(until + timedelta(days=1)), voided_at__isnull=True
    ).count()
