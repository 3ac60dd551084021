"""世帯主変更, 世帯分離 and 世帯合併 (住基法 第25条)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from django.db import transaction

from resident_records import numbering
from resident_records.errors import EventNotAllowed, HouseholdNotFound
from resident_records.models import ChangeEvent, EventKind, Household
from resident_records.services.common import (
    Versioned,
    _apply_head,
    _audit,
    _bump,
    _check_not_before_history,
    _check_relationships,
    _finish_departure,
    _household_record,
    _members,
    _moving_members,
    _new_event,
    _record,
    _save,
    _successor,
    lock_household,
)
from tenants.models import Person

# --- 世帯主変更 / 世帯分離 / 世帯合併 ------------------------------------------------------------


@transaction.atomic
def change_head(
    *,
    actor: Person | None,
    household: Versioned,
    new_head: int,
    relationships: Mapping[int, str],
    event_date: date,
    notified_on: date | None,
) -> ChangeEvent:
    """世帯主変更 (住基法 第25条): every member's 続柄 is re-expressed relative to the new 世帯主."""
    locked = lock_household(household)
    members = _members(locked)
    chosen = next((m for m in members if m.pk == new_head), None)
    if chosen is None:
        raise EventNotAllowed(
            "新しい世帯主は、この世帯の現在の世帯員(住民)から選んでください。", code="new_head_not_member"
        )
    if chosen.pk == locked.head_id:
        raise EventNotAllowed("この方は既に世帯主です。", code="already_head")
    given = _check_relationships(members, chosen, relationships)
    _check_not_before_history(members, event_date)
    event = _new_event(
        actor=actor, kind=EventKind.HEAD_CHANGE, event_date=event_date, notified_on=notified_on, household=locked
    )
    _apply_head(locked, chosen, members, given)
    for member in members:
        _save(member, notified_on=notified_on or member.notified_on)
        _record(member, event)
    _bump(locked)
    _household_record(locked, event)
    _audit(actor, event, members)
    return event


@transaction.atomic
def split_household(
    *,
    actor: Person | None,
    household: Versioned,
    members: Sequence[Versioned],
    new_head: int,
    relationships: Mapping[int, str],
    event_date: date,
    notified_on: date | None,
    remaining_head: int | None = None,
    remaining_relationships: Mapping[int, str] | None = None,
) -> ChangeEvent:
    """世帯分離 (住基法 第25条 世帯変更届): chosen members form a NEW household at the same address.

    The new household gets a new 世帯番号 and one of the leavers as 世帯主; the original household keeps at
    least one member and a 世帯主 (a new one, chosen here, if its 世帯主 is among the leavers).
    """
    locked = lock_household(household)
    leaving, remaining = _moving_members(locked, members)
    if not remaining:
        raise EventNotAllowed(
            "世帯の全員を分離することはできません。元の世帯に1人以上残してください。", code="split_needs_remaining"
        )
    head = next((r for r in leaving if r.pk == new_head), None)
    if head is None:
        raise EventNotAllowed("新しい世帯の世帯主は、分離する住民から選んでください。", code="new_head_not_member")
    new_relationships = _check_relationships(leaving, head, relationships)
    leaving_ids = {r.pk for r in leaving}
    successor = _successor(locked, remaining, leaving_ids, remaining_head, remaining_relationships)
    _check_not_before_history([*leaving, *remaining] if successor else leaving, event_date)
    new_household = Household.objects.create(number=numbering.next_household_number(), created_on=event_date)
    event = _new_event(
        actor=actor,
        kind=EventKind.HOUSEHOLD_SPLIT,
        event_date=event_date,
        notified_on=notified_on,
        household=locked,
        details={"new_household": new_household.pk, "new_household_number": new_household.number},
    )
    _apply_head(new_household, head, leaving, new_relationships)
    for resident in leaving:
        _save(resident, household=new_household, notified_on=notified_on or resident.notified_on)
        _record(resident, event)
    _bump(new_household)
    _household_record(new_household, event)
    _finish_departure(event, locked, remaining, successor)
    _audit(actor, event, [*leaving, *remaining] if successor else leaving)
    return event


def household_to_merge(*, into: Household, number: str) -> Household:
    """The household a 世帯合併 into ``into`` absorbs, by its 世帯番号: an existing household other than ``into``
    that has not been dissolved."""
    number = " ".join((number or "").split())
    found = (
        Household.objects.filter(number=number, dissolved_on__isnull=True).exclude(pk=into.pk).first()
        if number
        else None
    )
    if found is None:
        raise HouseholdNotFound(
            "この世帯番号の世帯は見つかりません(消滅した世帯とこの世帯を除く)。",
            code="merge_household_not_found",
            details={"field": "absorbed_number"},
        )
    return found


@transaction.atomic
def merge_households(
    *,
    actor: Person | None,
    household: Versioned,
    absorbed: Versioned,
    relationships: Mapping[int, str],
    event_date: date,
    notified_on: date | None,
) -> ChangeEvent:
    """世帯合併 (住基法 第25条): every member of ``absorbed`` joins ``household``, which is then dissolved.

    Both households must be at the same address (a household elsewhere moves first: 転居, then 合併), and each
    joining member's 続柄 is given relative to the receiving household's 世帯主.
    """
    if household.id == absorbed.id:
        raise EventNotAllowed("同じ世帯どうしは合併できません。", code="same_household")
    # Lock in id order so two clerks merging the same pair the other way round cannot deadlock.
    first, second = sorted([household, absorbed], key=lambda v: v.id)
    locked = {v.id: lock_household(v) for v in (first, second)}
    target, source = locked[household.id], locked[absorbed.id]
    for item in (target, source):
        if item.dissolved_on is not None:
            raise EventNotAllowed(f"{item} は消滅しています。", details={"household": item.number})
    target_members, joining = _members(target), _members(source)
    if not target_members or not joining:
        raise EventNotAllowed("住民のいない世帯は合併できません。", code="empty_household")
    head = next((m for m in target_members if m.pk == target.head_id), None)
    if head is None:
        raise EventNotAllowed("合併先の世帯に世帯主がいません。先に世帯主変更を処理してください。")
    if (joining[0].address, joining[0].address_detail) != (head.address, head.address_detail):
        raise EventNotAllowed(
            "住所(方書を含む)が異なる世帯は合併できません。先に転居を処理してください。", code="different_address"
        )
    given = _check_relationships([head, *joining], head, relationships)
    _check_not_before_history(joining, event_date)
    event = _new_event(
        actor=actor,
        kind=EventKind.HOUSEHOLD_MERGE,
        event_date=event_date,
        notified_on=notified_on,
        household=target,
        details={"absorbed": source.pk, "absorbed_number": source.number},
    )
    for resident in joining:
        _save(
            resident, household=target, relationship=given[resident.pk], notified_on=notified_on or resident.notified_on
        )
        _record(resident, event)
    _bump(target)
    _household_record(target, event)
    _bump(source, dissolved_on=event_date)
    _household_record(source, event)
    _audit(actor, event, joining)
    return event
