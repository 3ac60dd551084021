"""異動の取消し (標準仕様書 §1.2.2)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from common.dates import local_today
from resident_records import fuhyo_notices
from resident_records.errors import CancellationNotAllowed, EventNotFound
from resident_records.models import (
    RESIDENT_ATTRIBUTE_FIELDS,
    ChangeEvent,
    EventKind,
    Household,
    HouseholdRecord,
    Resident,
    ResidentStatus,
)
from resident_records.services.common import (
    NEUTRAL_KINDS,
    _audit,
    _bump,
    _household_record,
    _new_event,
    _record,
    _require_reason,
    _save,
    latest_record,
)
from tenants.models import Person

# --- 異動の取消し --------------------------------------------------------------------------------


# long: one 異動の取消し in one transaction: each kind of event it reverses is a short branch of the same
# restore, read side by side
@transaction.atomic
def cancel_event(*, actor: Person | None, event_id: int, reason: str) -> ChangeEvent:
    """異動の取消し (標準仕様書 §1.2.2): a new CANCELLATION event; the mistaken event stays in the history.

    Only the latest event of the residents and households it touched can be cancelled (cancel later ones
    first). Each touched resident and household gets back the state of its latest remaining record, written
    as a restoring record under the cancellation with effective_on = the cancelled event's date; a resident
    whom the cancelled event created ends as 消除 (消除事由 異動の取消し), a household it created is dissolved.
    """
    reason = _require_reason(reason)
    target = ChangeEvent.objects.filter(pk=event_id).first()
    if target is None:
        raise EventNotFound(details={"id": event_id})
    if target.kind == EventKind.CANCELLATION:
        raise CancellationNotAllowed("異動の取消しそのものは取り消せません。", code="cannot_cancel_cancellation")
    resident_ids = sorted(set(target.records.values_list("resident_id", flat=True)))
    household_ids = set(target.household_records.values_list("household_id", flat=True))
    household_ids |= set(target.records.values_list("household_id", flat=True))
    # Households first, then residents, each in id order: the lock order of every other event.
    households = list(Household.objects.select_for_update().filter(pk__in=household_ids).order_by("pk"))
    residents = list(Resident.objects.select_for_update().filter(pk__in=resident_ids).order_by("pk"))
    # Checked after the locks, so a concurrent cancellation or later event cannot slip in between.
    if ChangeEvent.objects.filter(cancels=target).exists():
        raise CancellationNotAllowed("この異動は既に取り消されています。", code="already_cancelled")
    later = (
        ChangeEvent.objects.filter(pk__gt=target.pk, cancelled_by__isnull=True)
        .exclude(kind__in=NEUTRAL_KINDS)
        .filter(Q(records__resident_id__in=resident_ids) | Q(household_records__household_id__in=household_ids))
        .distinct()
        .order_by("pk")
        .first()
    )
    if later is not None:
        raise CancellationNotAllowed(
            f"この住民・世帯には後の異動({later.get_kind_display()} {later.event_date.isoformat()}、"
            f"#{later.pk})が記録されています。先に後の異動を取り消してください。",
            code="later_event_exists",
            details={"later_event": later.pk},
        )
    event = _new_event(
        actor=actor,
        kind=EventKind.CANCELLATION,
        event_date=local_today(),
        notified_on=None,
        household=target.household,
        reason=reason,
        cancels=target,
        details={"cancelled_kind": target.kind, "cancelled_event_date": target.event_date.isoformat()},
    )
    for resident in residents:
        previous = latest_record(resident)  # the target is cancelled now, so its records no longer count
        if previous is None:
            _save(
                resident,
                status=ResidentStatus.REMOVED,
                removed_on=target.event_date,
                removal_reason="異動の取消し",
            )
        else:
            _save(resident, **{name: getattr(previous, name) for name in RESIDENT_ATTRIBUTE_FIELDS})
        _record(resident, event, effective_on=target.event_date)
    for household in households:
        record = (
            HouseholdRecord.objects.filter(household=household, event__cancelled_by__isnull=True)
            .exclude(event__kind__in=NEUTRAL_KINDS)
            .order_by("-event_id")
            .first()
        )
        if record is None:
            _bump(household, dissolved_on=target.event_date)
        else:
            dissolved_on = (household.dissolved_on or record.effective_on) if record.dissolved else None
            _bump(household, head_id=record.head_id, dissolved_on=dissolved_on)
        _household_record(household, event, effective_on=target.event_date)
    _audit(actor, event, residents)
    # 住基法 第19条第1項: the 附票 lines the cancelled 異動 notified are struck (消除) with this reason, here or in
    # the 本籍地 on the platform, in this transaction; the 附票 keeps them as history but no longer certifies them.
    fuhyo_notices.strike_notices(actor=actor, event_id=target.pk, reason=reason)
    return event
