"""異動 (change events) of the resident register, each one service (住民記録システム標準仕様書 §1.2.2, §4).

Every service runs in one transaction: it writes one immutable ChangeEvent, a ResidentRecord for every
resident it touches (the whole entry after the event), updates the current rows under an optimistic
version check, and writes one audit row per resident (personal data, with the event as the purpose).

Date rules (標準仕様書 §4.0.3, §4.1.3.0.1; DOMAIN.md §6):
* 処理日 is the server's clock; 異動日 must not be in the future, except for a planned 転出.
* 届出日 must not be in the future nor (except for 転出) before the 異動日.
* A notice made more than KYODO_LATE_NOTICE_DAYS (14) days after the 異動日 is recorded as 職権.
* An event cannot be dated before the resident's last recorded 異動 (the history would be rewritten out of
  order); a correction instead names the date it is effective from.

Households (住基法 第25条): whenever a 世帯主 leaves a household that keeps members (転出, 死亡, 職権消除, 世帯分離),
the new 世帯主 is chosen in the same event and every remaining member's 続柄 is given relative to them —
otherwise the event is refused. A household whose last member leaves is dissolved.

Mistakes are never edited away: 異動の取消し (cancel_event) cancels the latest event of the residents it touched
and restores their previous state; 職権修正 / 誤記修正 change named fields from a given date, leaving the
mistaken records in the history (see selectors for how a past state is read).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common import audit, context
from common.dates import local_today
from common.errors import ValidationFailed
from common.text import normalize_search_text, to_katakana
from koseki import fuhyo
from resident_records import mynumber, numbering
from resident_records.errors import (
    CancellationNotAllowed,
    EventNotAllowed,
    EventNotFound,
    FieldNotCorrectable,
    HouseholdNotFound,
    InvalidEventDate,
    InvalidNotificationDate,
    NewHeadRequired,
    ReasonRequired,
    RelationshipMissing,
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
    Sex,
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
    # §4.1.3.0.1: a 転出届 made more than 14 days after the (past) 異動日 is entered 職権 as well; a 転出届
    # made before the 異動日 is simply early (negative delay).
    late_days = int(getattr(settings, "KYODO_LATE_NOTICE_DAYS", 14))
    return (notified_on - event_date).days > late_days


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
    notice_from_town: bool = False,
) -> ChangeEvent:
    """Write the immutable 異動.

    ``notice_from_town``: ``notified_on`` is the date a notice from another town arrived (転入通知, 住基法 第9条
    第1項), not a resident's 届出 — it is kept, but neither makes the event 職権 nor is subject to the 14 days.
    """
    late = check_dates(kind=kind, event_date=event_date, notified_on=notified_on)
    ex_officio = force_ex_officio or (not notice_from_town and (late or notified_on is None))
    return ChangeEvent.objects.create(
        kind=kind,
        event_date=event_date,
        notified_on=notified_on,
        processed_at=timezone.now(),
        ex_officio=ex_officio,
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


def _enter(
    *,
    actor: Person | None,
    kind: str,
    event_date: date,
    notified_on: date | None,
    address: str,
    members: Sequence[PersonInput],
    address_detail: str,
    postal_code: str,
    previous_address: str,
    join_household: Versioned | None,
    details: dict[str, Any],
    reason: str = "",
) -> ChangeEvent:
    """New residents enter the register (転入, 職権記載): a new household, or joining one already here."""
    if not members:
        raise ValidationFailed("記載する方を1人以上入力してください。", code="no_members")
    if any(not m.relationship.strip() for m in members):
        raise ValidationFailed("全員の続柄(世帯主との続柄)を入力してください。", code="relationship_required")
    if join_household is not None:
        household = lock_household(join_household)
        if household.dissolved_on is not None:
            raise EventNotAllowed("この世帯は消滅しています。", details={"household": household.number})
        if any(m.relationship == HEAD for m in members) and household.head_id is not None:
            raise EventNotAllowed(
                "この世帯には既に世帯主がいます。世帯主を替える場合は世帯主変更を処理してください。",
                code="head_already_present",
            )
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
        details=details,
        reason=reason,
        force_ex_officio=kind == EventKind.EX_OFFICIO_ENTRY,
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
    # 住基法 第19条第1項: the new address goes to the 附票 of the 本籍地 (this town or the other on the platform).
    fuhyo.record_resident_moves(
        actor=actor,
        residents=residents,
        event=event.get_kind_display(),
        source_reference=fuhyo.event_reference(event.pk),
    )
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
    # 住基法 第19条第1項: the 転居 is notified to the 附票 of each member's 本籍地.
    fuhyo.record_resident_moves(
        actor=actor,
        residents=members,
        event=fuhyo.EVENT_CHANGE_OF_ADDRESS,
        source_reference=fuhyo.event_reference(event.pk),
    )
    return event


# --- shared rules for the household ---------------------------------------------------------------

# Events whose records do not describe a new state of their own: a cancellation's restoring record repeats
# an earlier state, a correction's record is applied as an overlay from its effective date (selectors).
NEUTRAL_KINDS = frozenset({EventKind.CANCELLATION})


def _members(household: Household) -> list[Resident]:
    """The household's current 住民 (not 転出/死亡/消除), locked in id order."""
    return list(
        Resident.objects.select_for_update().filter(household=household, status=ResidentStatus.RESIDENT).order_by("pk")
    )


def _lock_with_household(items: Sequence[Versioned]) -> tuple[Household, list[Resident]]:
    """Lock the residents' one household, then the residents (the same order as every household-level event)."""
    if not items:
        raise ValidationFailed("対象の住民を1人以上選んでください。", code="no_members")
    household_ids = set(Resident.objects.filter(pk__in=[i.id for i in items]).values_list("household_id", flat=True))
    if len(household_ids) > 1:
        raise EventNotAllowed(
            "一度に処理できるのは同じ世帯の住民だけです。世帯ごとに分けて処理してください。", code="mixed_households"
        )
    household = Household.objects.select_for_update().filter(pk__in=household_ids).first()
    residents = lock_residents(items)  # raises ResidentNotFound / ResidentConflict
    if household is None or any(r.household_id != household.pk for r in residents):
        raise ResidentConflict(details={"ids": [i.id for i in items]})
    return household, residents


def _latest_record(resident: Resident, *, exclude_event: ChangeEvent | None = None) -> ResidentRecord | None:
    """The resident's last record in processing order, ignoring cancelled events and cancellations."""
    records = ResidentRecord.objects.filter(resident=resident, event__cancelled_by__isnull=True).exclude(
        event__kind__in=NEUTRAL_KINDS
    )
    if exclude_event is not None:
        records = records.exclude(event=exclude_event)
    return records.order_by("-event_id").first()


def _check_not_before_history(residents: Iterable[Resident], event_date: date) -> None:
    """A 異動 cannot precede the resident's last recorded 異動: the record would rewrite history out of order."""
    for resident in residents:
        latest = _latest_record(resident)
        if latest is not None and event_date < latest.effective_on:
            raise InvalidEventDate(
                f"異動日({event_date.isoformat()})が、宛名番号 {resident.atena_number} の直前の異動の日付"
                f"({latest.effective_on.isoformat()})より前になっています。",
                details={"atena_number": resident.atena_number, "latest": latest.effective_on.isoformat()},
            )


def _check_relationships(
    members: Sequence[Resident], head: Resident, relationships: Mapping[int, str] | None
) -> dict[int, str]:
    """Every member but the head needs a 続柄 to the (new) head (住基法 第7条第4号); returns them normalised."""
    given = {int(k): " ".join(str(v).split()) for k, v in (relationships or {}).items()}
    member_ids = {m.pk for m in members}
    unknown = sorted(set(given) - member_ids)
    if unknown:
        raise ValidationFailed(
            "続柄が、この世帯の世帯員でない住民について入力されています。", code="relationship_unknown_member",
            details={"ids": unknown},
        )  # fmt: skip
    missing = [m.atena_number for m in members if m.pk != head.pk and not given.get(m.pk)]
    if missing:
        raise RelationshipMissing(
            "新しい世帯主との続柄が入力されていない世帯員がいます(宛名番号 " + "、".join(missing) + ")。",
            details={"missing": missing},
        )
    doubled = [m.atena_number for m in members if m.pk != head.pk and given[m.pk] == HEAD]
    if doubled:
        raise ValidationFailed(
            "世帯主は1世帯に1人です。世帯主以外の世帯員の続柄に「世帯主」は指定できません。", code="second_head",
            details={"atena_numbers": doubled},
        )  # fmt: skip
    return {m.pk: (HEAD if m.pk == head.pk else given[m.pk]) for m in members}


def _successor(
    household: Household,
    remaining: Sequence[Resident],
    leaving_ids: set[int],
    new_head: int | None,
    relationships: Mapping[int, str] | None,
) -> tuple[Resident, dict[int, str]] | None:
    """Who heads the household after some members leave (住基法 第25条): None when nothing changes.

    When the 世帯主 leaves and others remain, a new 世帯主 must be chosen in the same event, with every remaining
    member's 続柄 re-expressed relative to them.
    """
    if not remaining:
        return None
    head_leaves = household.head_id in leaving_ids
    if new_head is None:
        if head_leaves:
            raise NewHeadRequired(details={"household": household.number})
        return None
    if not head_leaves and new_head != household.head_id:
        raise EventNotAllowed(
            "世帯主はこの世帯に残るため、新しい世帯主は指定できません。世帯主を替える場合は世帯主変更を処理してください。",
            code="head_stays",
        )
    chosen = next((m for m in remaining if m.pk == new_head), None)
    if chosen is None:
        raise EventNotAllowed(
            "新しい世帯主は、この世帯に残る住民(住民票のある世帯員)から選んでください。", code="new_head_not_member"
        )
    if not head_leaves and chosen.pk == household.head_id:
        return None
    return chosen, _check_relationships(remaining, chosen, relationships)


def _apply_head(
    household: Household, head: Resident, members: Sequence[Resident], relationships: Mapping[int, str]
) -> None:
    household.head = head
    for member in members:
        member.relationship = relationships[member.pk]


def _require_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReasonRequired()
    return reason


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
    within 14 days (戸籍法 第49条), the same as KYODO_LATE_NOTICE_DAYS, so a later notice is recorded 職権.
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
    if child.birth_date < locked.created_on:
        raise InvalidEventDate("生年月日が、この世帯を設けた日より前です。出生による記載はできません。")
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
            **_person_attributes(child),
        )
    )
    _bump(locked)
    _record(resident, event)
    _household_record(locked, event)
    _audit(actor, event, [resident])
    return event


# --- 転出 ----------------------------------------------------------------------------------------


def _moving_members(household: Household, members: Sequence[Versioned] | None) -> tuple[list[Resident], list[Resident]]:
    """(leaving, remaining) 住民 of the household; ``members=None`` means the whole household."""
    current = _members(household)
    if members is None:
        return current, []
    chosen = lock_residents(members)
    for resident in chosen:
        _require_resident(resident)
        if resident.household_id != household.pk:
            raise EventNotAllowed(
                f"宛名番号 {resident.atena_number} はこの世帯の世帯員ではありません。", code="not_a_member"
            )
    ids = {r.pk for r in chosen}
    if not ids:
        raise ValidationFailed("対象の住民を1人以上選んでください。", code="no_members")
    return chosen, [r for r in current if r.pk not in ids]


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
    fuhyo.record_resident_moves(
        actor=actor,
        residents=leaving,
        event=fuhyo.EVENT_MOVE_OUT,
        source_reference=fuhyo.event_reference(event.pk),
        moved_out=True,
    )
    return event


def _finish_departure(
    event: ChangeEvent,
    household: Household,
    remaining: Sequence[Resident],
    successor: tuple[Resident, dict[int, str]] | None,
) -> None:
    """After members left: apply the new head (re-recording everyone who stays) or dissolve an empty household."""
    if successor is not None:
        _apply_head(household, successor[0], remaining, successor[1])
        for member in remaining:
            _save(member)
            _record(member, event)
    if not remaining:
        household.dissolved_on = event.event_date
    _bump(household)
    _household_record(household, event)


# --- 死亡 / 職権消除 ------------------------------------------------------------------------------


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


@transaction.atomic
def record_ex_officio_removal(
    *,
    actor: Person | None,
    residents: Sequence[Versioned],
    event_date: date,
    reason: str,
    new_head: int | None = None,
    relationships: Mapping[int, str] | None = None,
) -> ChangeEvent:
    """職権消除 (住基法 第8条, 施行令 第12条第3項): e.g. 実態調査により居住の事実なし. Status 消除, reason required."""
    reason = _require_reason(reason)
    household, removed = _lock_with_household(residents)
    for resident in removed:
        _require_resident(resident)
    removed_ids = {r.pk for r in removed}
    remaining = [r for r in _members(household) if r.pk not in removed_ids]
    successor = _successor(household, remaining, removed_ids, new_head, relationships)
    _check_not_before_history(removed, event_date)
    event = _new_event(
        actor=actor,
        kind=EventKind.EX_OFFICIO_REMOVAL,
        event_date=event_date,
        notified_on=None,
        household=household,
        reason=reason,
    )
    for resident in removed:
        _save(resident, status=ResidentStatus.REMOVED, removed_on=event_date, removal_reason="職権消除")
        _record(resident, event)
    _finish_departure(event, household, remaining, successor)
    _audit(actor, event, [*removed, *remaining] if successor else removed)
    return event


# --- 世帯主変更 / 世帯分離 / 世帯合併 -------------------------------------------------------------


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


# --- 職権記載 / 職権修正 / 誤記修正 ----------------------------------------------------------------


@transaction.atomic
def record_ex_officio_entry(
    *,
    actor: Person | None,
    event_date: date,
    address: str,
    members: Sequence[PersonInput],
    reason: str,
    address_detail: str = "",
    postal_code: str = "",
    previous_address: str = "",
    join_household: Versioned | None = None,
) -> ChangeEvent:
    """職権記載 (住基法 第8条, 施行令 第12条): the town enters a resident without a 届出 (e.g. 帰化, 実態調査)."""
    return _enter(
        actor=actor,
        kind=EventKind.EX_OFFICIO_ENTRY,
        event_date=event_date,
        notified_on=None,
        address=address,
        members=members,
        address_detail=address_detail,
        postal_code=postal_code,
        previous_address=previous_address,
        join_household=join_household,
        details={"previous_address": previous_address},
        reason=_require_reason(reason),
    )


_TEXT_FIELDS = (
    "family_name", "given_name", "former_surname", "alias", "relationship", "postal_code", "address",
    "address_detail", "domicile", "domicile_head", "previous_address", "nationality", "residence_status",
    "moving_out_address",
)  # fmt: skip
_KANA_FIELDS = ("family_name_kana", "given_name_kana", "former_surname_kana", "alias_kana")
_DATE_FIELDS = ("birth_date", "became_resident_on", "address_set_on", "residence_period_end")
# What a 職権修正 / 誤記修正 may change. Never the 宛名番号 (an identifier, not an entry), the 世帯 (世帯変更),
# the status (転出・死亡・消除 are their own events), nor the 個人番号 fields directly (validated path below).
CORRECTABLE_FIELDS = frozenset({*_TEXT_FIELDS, *_KANA_FIELDS, *_DATE_FIELDS, "sex", "resident_code"})
_REQUIRED_FIELDS = frozenset({"family_name", "given_name", "family_name_kana", "given_name_kana", "address"})


def _corrected_values(resident: Resident, changes: Mapping[str, Any]) -> dict[str, Any]:
    refused = sorted(set(changes) - CORRECTABLE_FIELDS)
    if refused:
        raise FieldNotCorrectable(
            "修正できない項目が指定されています(" + "、".join(refused) + ")。宛名番号・世帯・住民状態は修正できず、"
            "個人番号は個人番号の欄から修正してください。",
            details={"fields": refused},
        )
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name in _TEXT_FIELDS:
            value = " ".join(str(value or "").split())
        elif name in _KANA_FIELDS:
            value = to_katakana(str(value or ""))
        elif name in _DATE_FIELDS:
            if not isinstance(value, date) and not (value is None and name == "residence_period_end"):
                raise ValidationFailed(f"{name} には日付を指定してください。", code="invalid_date")
        elif name == "sex":
            if value not in Sex.values:
                raise ValidationFailed("性別の値が正しくありません。", code="invalid_sex")
        elif name == "resident_code":
            value = mynumber.normalize(str(value or ""))
            if value and len(value) != 11:
                raise ValidationFailed("住民票コードは11桁の数字です。", code="invalid_resident_code")
        if name in _REQUIRED_FIELDS and not value:
            raise ValidationFailed(f"{name} は空にできません。", code="required_field")
        values[name] = value
    if "relationship" in values and (values["relationship"] == HEAD) != (resident.pk == resident.household.head_id):
        raise EventNotAllowed(
            "世帯主の続柄の付け替えは、誤記修正ではなく世帯主変更で処理してください。", code="use_head_change"
        )
    return values


def _correct(
    *,
    kind: str,
    actor: Person | None,
    resident: Versioned,
    changes: Mapping[str, Any],
    my_number: str | None,
    reason: str,
    effective_on: date | None,
) -> ChangeEvent:
    reason = _require_reason(reason)
    (target,) = lock_residents([resident])
    values = _corrected_values(target, changes)
    if my_number is not None:
        # 個人番号 goes through its own validated path: check digit (番号法施行令), encryption, blind index.
        number = mynumber.validate(my_number)
        index = mynumber.blind_index(number)
        others = Resident.objects.filter(my_number_index=index, status=ResidentStatus.RESIDENT).exclude(pk=target.pk)
        if others.exists():
            raise EventNotAllowed("この個人番号は別の住民に記載されています。", code="my_number_in_use")
        if index != target.my_number_index:
            values["my_number_encrypted"] = mynumber.encrypt(number)
            values["my_number_index"] = index
    values = {k: v for k, v in values.items() if getattr(target, k) != v}
    if not values:
        raise ValidationFailed("修正内容が現在の記載と同じです。変更する項目を入力してください。", code="no_changes")
    latest = _latest_record(target)
    today = local_today()
    # Default: the correction is effective from the date of the record being corrected (the latest one).
    effective = effective_on or (latest.effective_on if latest else today)
    first = ResidentRecord.objects.filter(resident=target).order_by("effective_on").first()
    if effective > today or (first is not None and effective < first.effective_on):
        raise InvalidEventDate(
            "修正の適用日は、この住民の最初の記載日から今日までの日付を指定してください。",
            details={"effective_on": effective.isoformat()},
        )
    event = _new_event(
        actor=actor,
        kind=kind,
        event_date=today,
        notified_on=None,
        household=target.household,
        reason=reason,
        details={"fields": sorted(values), "effective_on": effective.isoformat()},
    )
    _save(target, **values)
    _record(target, event, effective_on=effective)
    _audit(actor, event, [target])
    return event


@transaction.atomic
def record_ex_officio_correction(
    *,
    actor: Person | None,
    resident: Versioned,
    changes: Mapping[str, Any],
    reason: str,
    effective_on: date | None = None,
    my_number: str | None = None,
) -> ChangeEvent:
    """職権修正 (住基法 第8条, 施行令 第12条第3項): the town corrects the entry, e.g. on a 戸籍 notice."""
    return _correct(
        kind=EventKind.EX_OFFICIO_CORRECTION, actor=actor, resident=resident, changes=changes,
        my_number=my_number, reason=reason, effective_on=effective_on,
    )  # fmt: skip


@transaction.atomic
def correct_clerical_error(
    *,
    actor: Person | None,
    resident: Versioned,
    changes: Mapping[str, Any],
    reason: str,
    effective_on: date | None = None,
    my_number: str | None = None,
) -> ChangeEvent:
    """誤記修正 (標準仕様書 §1.2.2): a clerk's mistake is corrected; the mistaken record stays in the history."""
    return _correct(
        kind=EventKind.CLERICAL_CORRECTION, actor=actor, resident=resident, changes=changes,
        my_number=my_number, reason=reason, effective_on=effective_on,
    )  # fmt: skip


# --- 異動の取消し --------------------------------------------------------------------------------


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
        previous = _latest_record(resident)  # the target is cancelled now, so its records no longer count
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
    fuhyo.strike_lines_of_event(actor=actor, reference=fuhyo.event_reference(target.pk), reason=reason)
    return event
