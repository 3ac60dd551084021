"""異動 (change events) of the resident register, each one service (住民記録システム標準仕様書 §1.2.2, §4).

Every service runs in one transaction: it writes one immutable ChangeEvent, a ResidentRecord for every
resident it touches (the whole entry after the event), updates the current rows under an optimistic
version check, and writes one audit row per resident (personal data, with the event as the purpose).

Date rules (標準仕様書 §4.0.3, §4.1.3.0.1; DOMAIN.md §6):
* 処理日 is the server's clock; 異動日 must not be in the future, except for a planned 転出.
* 届出日 must not be in the future nor (except for 転出) before the 異動日.
* A notice made more than KYODO_LATE_NOTICE_DAYS (14) days after the 異動日 is recorded as 職権.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common import audit, context
from common.dates import local_today
from common.errors import ValidationFailed
from common.text import normalize_search_text, to_katakana
from resident_records import mynumber, numbering
from resident_records.errors import (
    EventNotAllowed,
    HouseholdNotFound,
    InvalidEventDate,
    InvalidNotificationDate,
    ResidentConflict,
    ResidentNotFound,
)
from resident_records.models import (
    RESIDENT_ATTRIBUTE_FIELDS,
    ChangeEvent,
    EventKind,
    Household,
    HouseholdRecord,
    Resident,
    ResidentRecord,
    ResidentStatus,
    ResidentType,
)
from tenants.models import Person

HEAD = "世帯主"


@dataclass(frozen=True)
class PersonInput:
    """What the clerk enters for one person on a 転入届, 出生届 or 職権記載."""

    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: date
    sex: str
    relationship: str
    former_surname: str = ""
    former_surname_kana: str = ""
    alias: str = ""
    alias_kana: str = ""
    domicile: str = ""
    domicile_head: str = ""
    resident_type: str = ResidentType.JAPANESE
    nationality: str = ""
    residence_status: str = ""
    residence_period_end: date | None = None
    resident_code: str = ""
    my_number: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Versioned:
    """A resident or household id with the version the clerk's screen showed (optimistic locking)."""

    id: int
    version: int


# --- rules ---------------------------------------------------------------------------------------


def check_dates(*, kind: str, event_date: date, notified_on: date | None) -> bool:
    """Apply the date rules; returns True when the event must be recorded as 職権 (late notice)."""
    today = local_today()
    planned_move_out = kind == EventKind.MOVE_OUT_PLANNED
    if event_date > today and not planned_move_out:
        raise InvalidEventDate(
            "異動日に未来の日付は指定できません(転出予定を除く)。", details={"event_date": str(event_date)}
        )
    if notified_on is None:
        return False
    if notified_on > today:
        raise InvalidNotificationDate("届出日に未来の日付は指定できません。", details={"notified_on": str(notified_on)})
    if notified_on < event_date and not planned_move_out:
        raise InvalidNotificationDate("届出日が異動日より前になっています。", details={"notified_on": str(notified_on)})
    late_days = int(getattr(settings, "KYODO_LATE_NOTICE_DAYS", 14))
    return not planned_move_out and (notified_on - event_date).days > late_days


def _person_attributes(person: PersonInput) -> dict[str, Any]:
    """Normalise a clerk's input the way the register keeps it (katakana furigana, stripped text)."""
    attrs: dict[str, Any] = {
        f.name: getattr(person, f.name) for f in fields(person) if f.name not in {"my_number", "extra"}
    }
    for name in ("family_name", "given_name", "former_surname", "alias", "relationship", "domicile", "domicile_head"):
        attrs[name] = " ".join(str(attrs[name]).split())
    for name in ("family_name_kana", "given_name_kana", "former_surname_kana", "alias_kana"):
        attrs[name] = to_katakana(attrs[name])
    attrs["resident_code"] = mynumber.normalize(person.resident_code) if person.resident_code else ""
    if attrs["resident_code"] and len(attrs["resident_code"]) != 11:
        raise ValidationFailed("住民票コードは11桁の数字です。", code="invalid_resident_code")
    if person.my_number:
        number = mynumber.validate(person.my_number)
        attrs["my_number_encrypted"] = mynumber.encrypt(number)
        attrs["my_number_index"] = mynumber.blind_index(number)
    return attrs


# --- the engine ----------------------------------------------------------------------------------


def _new_event(
    *,
    actor: Person | None,
    kind: str,
    event_date: date,
    notified_on: date | None,
    household: Household | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    cancels: ChangeEvent | None = None,
    force_ex_officio: bool = False,
) -> ChangeEvent:
    late = check_dates(kind=kind, event_date=event_date, notified_on=notified_on)
    return ChangeEvent.objects.create(
        kind=kind,
        event_date=event_date,
        notified_on=notified_on,
        processed_at=timezone.now(),
        ex_officio=force_ex_officio or late or notified_on is None,
        household=household,
        reason=reason[:200],
        details=details or {},
        cancels=cancels,
        actor_id=actor.pk if actor else None,
        actor_name=actor.full_name if actor else "",
        terminal=context.current().terminal,
    )


def _search_keys(resident: Resident) -> None:
    resident.search_name = normalize_search_text(
        f"{resident.family_name}{resident.given_name}{resident.former_surname}{resident.alias}"
    )
    resident.search_kana = normalize_search_text(
        f"{resident.family_name_kana}{resident.given_name_kana}{resident.former_surname_kana}{resident.alias_kana}"
    )


def _record(resident: Resident, event: ChangeEvent, *, effective_on: date | None = None) -> ResidentRecord:
    return ResidentRecord.objects.create(
        resident=resident,
        event=event,
        effective_on=effective_on or event.event_date,
        recorded_at=event.processed_at,
        **{name: getattr(resident, name) for name in RESIDENT_ATTRIBUTE_FIELDS},
    )


def _household_record(household: Household, event: ChangeEvent, *, effective_on: date | None = None) -> None:
    HouseholdRecord.objects.create(
        household=household,
        event=event,
        head=household.head,
        effective_on=effective_on or event.event_date,
        recorded_at=event.processed_at,
        dissolved=household.dissolved_on is not None,
    )


def _audit(actor: Person | None, event: ChangeEvent, residents: Iterable[Resident]) -> None:
    purpose = f"{event.get_kind_display()}の処理"
    for resident in residents:
        audit.record(
            actor=actor,
            action=f"resident.{event.kind}",
            obj=resident,
            purpose=purpose,
            personal_data=True,
            details={"event": event.pk, "event_date": event.event_date.isoformat()},
        )


def lock_residents(items: Sequence[Versioned]) -> list[Resident]:
    """Lock the residents (ordered by id, so two clerks never deadlock) and check their versions."""
    rows = Resident.objects.select_for_update().filter(pk__in=[i.id for i in items]).order_by("pk")
    by_id = {r.pk: r for r in rows}
    locked = []
    for item in items:
        resident = by_id.get(item.id)
        if resident is None:
            raise ResidentNotFound(details={"id": item.id})
        if resident.version != item.version:
            raise ResidentConflict(details={"id": item.id, "version": resident.version})
        locked.append(resident)
    return locked


def lock_household(item: Versioned) -> Household:
    household = Household.objects.select_for_update().filter(pk=item.id).first()
    if household is None:
        raise HouseholdNotFound(details={"id": item.id})
    if household.version != item.version:
        raise ResidentConflict(
            "この世帯は他の職員が先に更新しました。画面を開き直してから、もう一度操作してください。",
            details={"household": item.id, "version": household.version},
        )
    return household


def _save(resident: Resident, **changes: Any) -> Resident:
    for name, value in changes.items():
        setattr(resident, name, value)
    _search_keys(resident)
    if resident.pk is not None:
        resident.version += 1
    resident.save()
    return resident


def _bump(household: Household, **changes: Any) -> Household:
    for name, value in changes.items():
        setattr(household, name, value)
    household.version += 1
    household.save()
    return household


def _require_resident(resident: Resident) -> None:
    if resident.status != ResidentStatus.RESIDENT:
        raise EventNotAllowed(
            f"宛名番号 {resident.atena_number} は「{resident.get_status_display()}」のため処理できません。",
            details={"atena_number": resident.atena_number, "status": resident.status},
        )


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
    if not members:
        raise ValidationFailed("転入する方を1人以上入力してください。", code="no_members")
    kind = EventKind.MOVE_IN_FROM_ABROAD if from_abroad else EventKind.MOVE_IN
    if join_household is not None:
        household = lock_household(join_household)
        if household.dissolved_on is not None:
            raise EventNotAllowed("この世帯は消滅しています。", details={"household": household.number})
    else:
        heads = [m for m in members if m.relationship == HEAD]
        if len(heads) != 1:
            raise ValidationFailed(
                "新しい世帯には世帯主を1人だけ指定してください(続柄「世帯主」)。", code="head_required"
            )
        household = Household.objects.create(number=numbering.next_household_number(), created_on=event_date)
    event = _new_event(
        actor=actor,
        kind=kind,
        event_date=event_date,
        notified_on=notified_on,
        household=household,
        details={"previous_address": previous_address, "from_abroad": from_abroad},
    )
    residents = []
    for person in members:
        resident = _save(
            Resident(
                atena_number=numbering.next_atena_number(),
                household=household,
                address=" ".join(address.split()),
                address_detail=address_detail.strip(),
                postal_code=postal_code.strip(),
                previous_address=previous_address.strip(),
                became_resident_on=event_date,
                address_set_on=event_date,
                notified_on=notified_on,
                status=ResidentStatus.RESIDENT,
                **_person_attributes(person),
            )
        )
        if person.relationship == HEAD and join_household is None:
            household.head = resident
        residents.append(resident)
    _bump(household)
    for resident in residents:
        _record(resident, event)
    _household_record(household, event)
    _audit(actor, event, residents)
    return event


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
    """転居 (住基法 第23条): the whole household moves within the town; 住所を定めた年月日 becomes the 異動日."""
    locked = lock_household(household)
    members = list(
        Resident.objects.select_for_update().filter(household=locked, status=ResidentStatus.RESIDENT).order_by("pk")
    )
    if not members:
        raise EventNotAllowed("この世帯には住民がいません。", details={"household": locked.number})
    event = _new_event(
        actor=actor, kind=EventKind.CHANGE_OF_ADDRESS, event_date=event_date, notified_on=notified_on, household=locked
    )
    for resident in members:
        _save(
            resident,
            previous_address=resident.address,
            address=" ".join(address.split()),
            address_detail=address_detail.strip(),
            postal_code=postal_code.strip(),
            address_set_on=event_date,
            notified_on=notified_on,
        )
        _record(resident, event)
    _bump(locked)
    _household_record(locked, event)
    _audit(actor, event, members)
    return event
