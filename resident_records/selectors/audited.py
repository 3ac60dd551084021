"""Audited reads of persons: every page and API response that shows a person's details (docs/audit.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet

from common import audit
from common.dates import local_today
from resident_records import disclosure, mynumber, search, support
from resident_records.errors import HouseholdNotFound, ResidentNotFound
from resident_records.models import (
    CertificateIssuance,
    ChangeEvent,
    Household,
    Resident,
    ResidentRecord,
    ResidentStatus,
    SupportMeasure,
)
from resident_records.selectors.as_of import (
    HouseholdAsOf,
    events_for,
    history,
    household_as_of,
    household_members_as_of,
    resident_as_of,
)
from tenants.models import Person

if TYPE_CHECKING:
    from tenants.models import Person

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
