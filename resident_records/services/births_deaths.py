"""出生 and 死亡 (戸籍法 第49条・第86条, 住基法 第8条)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.db import transaction

from common.dates import local_today
from common.errors import ValidationFailed
from resident_records import numbering, validation
from resident_records.errors import EventNotAllowed, InvalidEventDate
from resident_records.models import ChangeEvent, EventKind, Resident, ResidentStatus
from resident_records.services.common import (
    HEAD,
    PersonInput,
    Versioned,
    _audit,
    _bump,
    _check_not_before_history,
    _finish_departure,
    _household_record,
    _lock_with_household,
    _members,
    _new_event,
    _record,
    _require_resident,
    _save,
    _successor,
    lock_household,
    person_attributes,
)
from tenants.models import Person

# --- 出生 ----------------------------------------------------------------------------------------


@transaction.atomic
def record_birth(
    *,
    actor: Person | None,
    household: Versioned,
    child: PersonInput,
    notified_on: date | None,
) -> ChangeEvent:
    """出生 (戸籍法 第49条, 住基法 第8条): the child joins the household of the parent on the birth date.

    住民となった年月日 and 住所を定めた年月日 are the birth date, and the address is the household's. The 出生届 is due
    within 14 days (戸籍法 第49条): a later one is still a 届出, marked 期間経過 (``notice_timing``).
    """
    locked = lock_household(household)
    if locked.dissolved_on is not None:
        raise EventNotAllowed("この世帯は消滅しています。", details={"household": locked.number})
    members = _members(locked)
    if not members:
        raise EventNotAllowed("この世帯には住民がいません。", details={"household": locked.number})
    if child.relationship == HEAD or not child.relationship.strip():
        raise ValidationFailed(
            "出生した子の続柄(子・長男・孫など、世帯主との続柄)を入力してください。", code="relationship_required"
        )
    validation.check_person(child, today=local_today())
    if child.birth_date < locked.created_on:
        raise InvalidEventDate("生年月日が、この世帯を設けた日より前です。出生による記載はできません。")
    # The child is written at the household's current address from the birth date: if the household set
    # that address later (a 転居 after the birth), the child's entry would say it lived there before the
    # household did. The 転居 is cancelled first, or the child is entered by 職権記載.
    address_set_on = min(m.address_set_on for m in members)
    if child.birth_date < address_set_on:
        raise InvalidEventDate(
            "生年月日が、この世帯が現在の住所を定めた日より前です(出生後に転居が記録されています)。"
            "先に転居を取り消すか、職権記載で処理してください。",
            details={"address_set_on": address_set_on.isoformat()},
        )
    event = _new_event(
        actor=actor, kind=EventKind.BIRTH, event_date=child.birth_date, notified_on=notified_on, household=locked
    )
    template = next((m for m in members if m.pk == locked.head_id), members[0])
    resident = _save(
        Resident(
            atena_number=numbering.next_atena_number(),
            household=locked,
            address=template.address,
            address_detail=template.address_detail,
            postal_code=template.postal_code,
            became_resident_on=child.birth_date,
            address_set_on=child.birth_date,
            notified_on=notified_on,
            status=ResidentStatus.RESIDENT,
            **person_attributes(child),
        )
    )
    _bump(locked)
    _record(resident, event)
    _household_record(locked, event)
    _audit(actor, event, [resident])
    return event


# --- 死亡 ----------------------------------------------------------------------------------------


@transaction.atomic
def record_death(
    *,
    actor: Person | None,
    resident: Versioned,
    died_on: date,
    notified_on: date | None,
    new_head: int | None = None,
    relationships: Mapping[int, str] | None = None,
) -> ChangeEvent:
    """死亡 (戸籍法 第86条 死亡届, 住基法 第8条): the entry is removed as of the date of death.

    A 世帯主 who dies leaving others in the household needs a new 世帯主 chosen in the same event; a household
    whose last member dies is dissolved.
    """
    household, (deceased,) = _lock_with_household([resident])
    _require_resident(deceased)
    if died_on < deceased.birth_date:
        raise InvalidEventDate("死亡日が生年月日より前になっています。")
    remaining = [r for r in _members(household) if r.pk != deceased.pk]
    successor = _successor(household, remaining, {deceased.pk}, new_head, relationships)
    _check_not_before_history([deceased], died_on)
    event = _new_event(
        actor=actor, kind=EventKind.DEATH, event_date=died_on, notified_on=notified_on, household=household
    )
    _save(deceased, status=ResidentStatus.DECEASED, removed_on=died_on, removal_reason="死亡")
    _record(deceased, event)
    _finish_departure(event, household, remaining, successor)
    _audit(actor, event, [deceased, *remaining] if successor else [deceased])
    return event
