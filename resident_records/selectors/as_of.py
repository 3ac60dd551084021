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

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet

from resident_records.models import (
    ChangeEvent,
    EventKind,
    HouseholdRecord,
    Resident,
    ResidentRecord,
    ResidentStatus,
)
from resident_records.selectors.household_order import ordered_members

if TYPE_CHECKING:
    pass

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
