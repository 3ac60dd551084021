"""転入, 転居, 転出予定 and 転出確定 (住基法 第22条〜第24条, 第9条第1項)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from django.db import transaction

from common.dates import local_today
from common.errors import ValidationFailed
from common.tenancy import current_schema
from resident_records import fuhyo_notices, validation
from resident_records.errors import EventNotAllowed
from resident_records.models import ChangeEvent, EventKind, Resident, ResidentStatus
from resident_records.services.common import (
    PersonInput,
    Versioned,
    _audit,
    _bump,
    _check_not_before_history,
    _enter,
    _finish_departure,
    _household_record,
    _lock_with_household,
    _members,
    _moving_members,
    _new_event,
    _record,
    _require_resident,
    _save,
    _successor,
    lock_household,
)
from tenants.models import Municipality, Person

# --- 転入 ----------------------------------------------------------------------------------------


@transaction.atomic
def record_move_in(
    *,
    actor: Person | None,
    event_date: date,
    notified_on: date | None,
    address: str,
    members: Sequence[PersonInput],
    address_detail: str = "",
    postal_code: str = "",
    previous_address: str = "",
    from_abroad: bool = False,
    join_household: Versioned | None = None,
) -> ChangeEvent:
    """転入 (住基法 第22条): a family moving in becomes a new household, or joins one already here.

    住民となった年月日 and 住所を定めた年月日 are both the 異動日 (標準仕様書 §4.1.1.1).
    """
    return _enter(
        actor=actor,
        kind=EventKind.MOVE_IN_FROM_ABROAD if from_abroad else EventKind.MOVE_IN,
        event_date=event_date,
        notified_on=notified_on,
        address=address,
        members=members,
        address_detail=address_detail,
        postal_code=postal_code,
        previous_address=previous_address,
        join_household=join_household,
        details={"previous_address": previous_address, "from_abroad": from_abroad},
    )


# --- 転居 ----------------------------------------------------------------------------------------


@transaction.atomic
def record_change_of_address(
    *,
    actor: Person | None,
    household: Versioned,
    event_date: date,
    notified_on: date | None,
    address: str,
    address_detail: str = "",
    postal_code: str = "",
) -> ChangeEvent:
    """転居 (住基法 第23条): the whole household moves within the town; 住所を定めた年月日 becomes the 異動日.

    The new address must be in this town (a move elsewhere is a 転出, 第24条), and the 転居 cannot be dated
    before any member's last 異動: a record dated earlier would sort before it, and the register as of a day
    between the two would disagree with the current entry (docs/domain/resident_register.md §住所).
    """
    place = validation.address_fields(address=address, address_detail=address_detail, postal_code=postal_code)
    town = Municipality.objects.filter(schema_name=current_schema()).first()
    if town is not None:
        validation.check_address_in_town(place["address"], town_name=town.name)
    locked = lock_household(household)
    members = list(
        Resident.objects.select_for_update().filter(household=locked, status=ResidentStatus.RESIDENT).order_by("pk")
    )
    if not members:
        raise EventNotAllowed("この世帯には住民がいません。", details={"household": locked.number})
    _check_not_before_history(members, event_date, household=locked)
    event = _new_event(
        actor=actor, kind=EventKind.CHANGE_OF_ADDRESS, event_date=event_date, notified_on=notified_on, household=locked
    )
    for resident in members:
        _save(
            resident,
            previous_address=resident.address,
            address=place["address"],
            address_detail=place["address_detail"],
            postal_code=place["postal_code"],
            address_set_on=event_date,
            notified_on=notified_on,
        )
        _record(resident, event)
    _bump(locked)
    _household_record(locked, event)
    _audit(actor, event, members)
    # 住基法 第19条第1項: the 転居 is notified to the 附票 of each member's 本籍地.
    fuhyo_notices.notify_moves(
        actor=actor, residents=members, event=fuhyo_notices.EVENT_CHANGE_OF_ADDRESS, event_id=event.pk
    )
    return event


# --- 転出 ----------------------------------------------------------------------------------------


# long: 転出届 (住基法 第24条): the checks and the entries of one 届出, in the order the counter takes them
@transaction.atomic
def plan_move_out(
    *,
    actor: Person | None,
    household: Versioned,
    event_date: date,
    notified_on: date | None,
    destination: str,
    members: Sequence[Versioned] | None = None,
    new_head: int | None = None,
    relationships: Mapping[int, str] | None = None,
) -> ChangeEvent:
    """転出届 (住基法 第24条): record the planned move (転出予定); the entry stays 住民 until confirmed.

    The 異動日 (転出予定日) may be in the future and the 届出 may precede it (標準仕様書 §4.1.3.0.1). When the
    世帯主 leaves and others stay, the new 世帯主 and the 続柄 are checked now and applied on confirmation.
    If the 転出予定日 passes by 30 days with no 転入通知, the clerk investigates and may remove the entry by
    職権消除 (record_ex_officio_removal); selectors.overdue_move_outs lists them — nothing is automatic.
    """
    destination = " ".join((destination or "").split())
    if not destination:
        raise ValidationFailed("転出先の住所を入力してください。", code="destination_required")
    locked = lock_household(household)
    leaving, remaining = _moving_members(locked, members)
    if not leaving:
        raise EventNotAllowed("この世帯には住民がいません。", details={"household": locked.number})
    already = [r.atena_number for r in leaving if r.moving_out_on is not None]
    if already:
        raise EventNotAllowed(
            "既に転出予定が登録されている住民がいます(宛名番号 " + "、".join(already) + ")。"
            "変更する場合は、先にその転出予定を取り消してください。",
            code="move_out_already_planned",
        )
    leaving_ids = {r.pk for r in leaving}
    successor = None
    if new_head is not None or not _all_leaving(remaining):
        successor = _successor(locked, remaining, leaving_ids, new_head, relationships)
    # The plan is on the register from the day it was notified (or from the move, for a late notice).
    effective_on = min(event_date, notified_on or local_today())
    _check_not_before_history(leaving, effective_on)
    event = _new_event(
        actor=actor,
        kind=EventKind.MOVE_OUT_PLANNED,
        event_date=event_date,
        notified_on=notified_on,
        household=locked,
        details={
            "members": sorted(leaving_ids),
            "new_head": successor[0].pk if successor else None,
            "relationships": {str(k): v for k, v in successor[1].items()} if successor else {},
        },
    )
    # The plan is on the register from the day it was notified (or from the move, for a late notice).
    for resident in leaving:
        _save(
            resident,
            moving_out_address=destination,
            moving_out_on=event_date,
            moving_out_confirmed=False,
            notified_on=notified_on or resident.notified_on,
        )
        _record(resident, event, effective_on=effective_on)
    _bump(locked)
    _household_record(locked, event, effective_on=effective_on)
    _audit(actor, event, leaving)
    return event


def _all_leaving(remaining: Sequence[Resident]) -> bool:
    """The rest of the household has filed its own 転出届: nobody stays, so no new 世帯主 is needed."""
    return bool(remaining) and all(r.moving_out_on is not None for r in remaining)


def _planned_head_change(resident: Resident) -> tuple[int | None, dict[int, str]]:
    plan = (
        ChangeEvent.objects.filter(
            kind=EventKind.MOVE_OUT_PLANNED, records__resident=resident, cancelled_by__isnull=True
        )
        .order_by("-pk")
        .first()
    )
    if plan is None:
        return None, {}
    return plan.details.get("new_head"), {int(k): v for k, v in plan.details.get("relationships", {}).items()}


# long: 転出確定: the same steps as the 転出届 it confirms, kept side by side with it
@transaction.atomic
def confirm_move_out(
    *,
    actor: Person | None,
    residents: Sequence[Versioned],
    moved_on: date,
    notice_received_on: date,
    destination: str = "",
    new_head: int | None = None,
    relationships: Mapping[int, str] | None = None,
) -> ChangeEvent:
    """転出確定 on receipt of the 転入通知 from the new town (住基法 第9条第1項).

    The entry becomes 転出 (除票) as of the actual move date. The new 世帯主 chosen on the 転出届 is applied now
    unless another is given; when the rest of the household is also waiting for its own 転入通知, the 世帯主
    stays until the last one leaves and the household is dissolved.
    """
    household, leaving = _lock_with_household(residents)
    for resident in leaving:
        _require_resident(resident)
        if resident.moving_out_on is None or resident.moving_out_confirmed:
            raise EventNotAllowed(
                f"宛名番号 {resident.atena_number} には転出予定が登録されていません。先に転出届を処理してください。",
                code="move_out_not_planned",
            )
    leaving_ids = {r.pk for r in leaving}
    remaining = [r for r in _members(household) if r.pk not in leaving_ids]
    successor = None
    if household.head_id in leaving_ids and remaining and (new_head is not None or not _all_leaving(remaining)):
        if new_head is None:
            head = next(r for r in leaving if r.pk == household.head_id)
            new_head, planned = _planned_head_change(head)
            relationships = relationships or planned  # as chosen on the 転出届
        successor = _successor(household, remaining, leaving_ids, new_head, relationships)
    _check_not_before_history(leaving, moved_on)
    event = _new_event(
        actor=actor,
        kind=EventKind.MOVE_OUT_CONFIRMED,
        event_date=moved_on,
        notified_on=notice_received_on,
        household=household,
        notice_from_town=True,
        details={"notice_received_on": notice_received_on.isoformat(), "members": sorted(leaving_ids)},
    )
    destination = " ".join((destination or "").split())
    for resident in leaving:
        _save(
            resident,
            status=ResidentStatus.MOVED_OUT,
            removed_on=moved_on,
            removal_reason="転出",
            moving_out_on=moved_on,
            moving_out_address=destination or resident.moving_out_address,
            moving_out_confirmed=True,
        )
        _record(resident, event)
    _finish_departure(event, household, remaining, successor)
    _audit(actor, event, [*leaving, *remaining] if successor else leaving)
    # 住基法 第19条第1項: on confirmation the 転出先 is the address the 附票 records (as of the move); a 転入 in the
    # other town on the platform has usually sent the same move already, and the 附票 keeps it once.
    fuhyo_notices.notify_moves(
        actor=actor, residents=leaving, event=fuhyo_notices.EVENT_MOVE_OUT, event_id=event.pk, moved_out=True
    )
    return event
