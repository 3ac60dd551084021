"""異動 that move someone, for other offices' task lists (the water office's 開栓・閉栓・名義変更)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from resident_records.models import ChangeEvent, EventKind, ResidentRecord, SupportMeasure, SupportMeasureStatus
from resident_records.selectors.audited import view_residents

if TYPE_CHECKING:
    from tenants.models import Person

# --- 異動 for other offices' task lists (the water office's 開栓・閉栓・名義変更) --------------------------------

ADDRESS_MOVE_KINDS = (
    EventKind.MOVE_IN,
    EventKind.MOVE_IN_FROM_ABROAD,
    EventKind.CHANGE_OF_ADDRESS,
    EventKind.MOVE_OUT_CONFIRMED,
    EventKind.DEATH,
)


@dataclass(frozen=True)
class AddressMove:
    """One resident's 異動 that changes where they live (転入, 転居, 転出, 死亡), as another office needs it."""

    event_id: int
    kind: str
    kind_label: str
    event_date: date
    atena_number: str
    household_head: bool
    name: str
    kana: str
    address: str  # after the event (the town address for 転出 and 死亡: the one left)
    previous_address: str
    moving_out_address: str


def address_moves_since(
    *, actor: Person | None, purpose: str, after_event_id: int, limit: int = 500
) -> list[AddressMove]:
    """The 異動 after the cursor ``after_event_id`` (event ids grow) that move someone, oldest first, at most
    ``limit`` events: a pull for another office's task list. Events cancelled later are still returned (the
    consumer's clerk confirms each task); 支援措置 residents are left out (their address is disclosed to no one
    without the check of resident_records.disclosure). One audited read listing everyone returned."""
    events = list(
        ChangeEvent.objects.filter(pk__gt=after_event_id, kind__in=ADDRESS_MOVE_KINDS, cancels__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    protected = SupportMeasure.objects.filter(status=SupportMeasureStatus.ACTIVE).values("resident_id")
    records = (
        ResidentRecord.objects.filter(event_id__in=events)
        .exclude(resident_id__in=protected)
        .select_related("event", "resident")
        .order_by("event_id", "id")
    )
    moves = [
        AddressMove(
            event_id=r.event_id,
            kind=r.event.kind,
            kind_label=r.event.get_kind_display(),
            event_date=r.event.event_date,
            atena_number=r.resident.atena_number,
            household_head=r.relationship == "世帯主",
            name=f"{r.family_name}\u3000{r.given_name}",
            kana=f"{r.family_name_kana} {r.given_name_kana}",
            address=f"{r.address}{r.address_detail}",
            previous_address=r.previous_address,
            moving_out_address=r.moving_out_address,
        )
        for r in records
    ]
    view_residents(
        actor=actor,
        residents=[r.resident for r in records],
        purpose=purpose,
        obj=("resident_records.ChangeEvent", str(events[-1]) if events else "", "異動の連携"),
        details={"after_event_id": after_event_id, "events": len(events)},
    )
    return moves
