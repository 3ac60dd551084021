"""What every 異動 service shares: inputs, date rules, the engine writing events and records, locking, and
the household rules (住基法 第25条). See the package docstring for the rules themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone

from common import audit, context
from common.dates import local_today
from common.errors import ValidationFailed
from common.text import normalize_search_text, to_katakana
from resident_records import fuhyo_notices, mynumber, numbering, search, validation
from resident_records.errors import (
    EventNotAllowed,
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


# 届出 by the resident (住基法 第22〜25条, 第30条の46): each needs its 届出日. The 出生・死亡 entries follow a 戸籍
# 届出, which may reach the register as a notice from another town (住基法 第9条第2項): without a 届出日 they are
# entered 職権; with one, they are 期間経過 after the 戸籍法 period (docs/domain/resident_register.md §届出の期間).
RESIDENT_NOTICE_KINDS = frozenset(
    {
        EventKind.MOVE_IN, EventKind.MOVE_IN_FROM_ABROAD, EventKind.CHANGE_OF_ADDRESS, EventKind.MOVE_OUT_PLANNED,
        EventKind.HOUSEHOLD_SPLIT, EventKind.HOUSEHOLD_MERGE, EventKind.HEAD_CHANGE,
    }
)  # fmt: skip
NOTIFIED_KINDS = RESIDENT_NOTICE_KINDS
# 戸籍法 第86条: a 死亡届 within 7 days; every other period is 14 days (住基法 第22〜25条, 戸籍法 第49条).
_PERIOD_DAYS = {EventKind.DEATH: 7}


def notice_period_days(kind: str) -> int:
    return _PERIOD_DAYS.get(EventKind(kind), int(getattr(settings, "KYODO_LATE_NOTICE_DAYS", 14)))


def check_dates(*, kind: str, event_date: date, notified_on: date | None) -> bool:
    """Apply the date rules; returns True when the 届出 came after its statutory period."""
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
    # A 転出届 made before the 異動日 is simply early (negative delay).
    return (notified_on - event_date).days > notice_period_days(kind)


@dataclass(frozen=True)
class NoticeTiming:
    ex_officio: bool  # 職権
    overdue: bool  # 期間経過 (still a 届出)


def notice_timing(
    *,
    kind: str,
    event_date: date,
    notified_on: date | None,
    force_ex_officio: bool = False,
    notice_from_town: bool = False,
) -> NoticeTiming:
    """How a 異動 is recorded, from its dates (標準仕様書 §4.0.3, §4.1.3.0.1; 住基法 第22〜24条, 第52条):

    * a 住基法 届出 kind needs its 届出日: an empty one is an error, never a silent 職権 (a 出生・死亡 without one
      is an entry on a notice, 職権);
    * a 転出届 more than 14 days after the (past) 異動日 is entered 職権, as the standard says for 転出;
    * any other late 届出 (転入, 転居, 世帯変更, 出生, 死亡) stays a 届出, marked 期間経過 — the 住基法 ones go on the
      第52条 notice list (selectors.overdue_notices);
    * ``notice_from_town``: the date a 転入通知 from another town arrived (第9条第1項), not a resident's 届出.
    """
    late = check_dates(kind=kind, event_date=event_date, notified_on=notified_on)
    if force_ex_officio or notice_from_town:
        return NoticeTiming(ex_officio=force_ex_officio, overdue=False)
    if notified_on is None:
        if kind in NOTIFIED_KINDS:
            raise InvalidNotificationDate(
                "届出日を入力してください(職権で記載する場合は職権記載・職権消除で処理してください)。",
                code="notification_date_required",
            )
        return NoticeTiming(ex_officio=True, overdue=False)
    if kind == EventKind.MOVE_OUT_PLANNED:
        return NoticeTiming(ex_officio=late, overdue=False)
    return NoticeTiming(ex_officio=False, overdue=late)


def person_attributes(person: PersonInput) -> dict[str, Any]:
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
    """Write the immutable 異動 (職権 / 期間経過 as ``notice_timing`` decides)."""
    timing = notice_timing(
        kind=kind,
        event_date=event_date,
        notified_on=notified_on,
        force_ex_officio=force_ex_officio,
        notice_from_town=notice_from_town,
    )
    return ChangeEvent.objects.create(
        kind=kind,
        event_date=event_date,
        notified_on=notified_on,
        processed_at=timezone.now(),
        ex_officio=timing.ex_officio,
        overdue=timing.overdue,
        household=household,
        reason=validation.check_length_of_reason(reason),
        details=details or {},
        cancels=cancels,
        actor_id=actor.pk if actor else None,
        actor_name=actor.full_name if actor else "",
        terminal=context.current().terminal,
    )


def search_keys(resident: Resident) -> None:
    resident.search_name = normalize_search_text(
        f"{resident.family_name}{resident.given_name}{resident.former_surname}{resident.alias}"
    )
    resident.search_kana = normalize_search_text(
        f"{resident.family_name_kana}{resident.given_name_kana}{resident.former_surname_kana}{resident.alias_kana}"
    )
    # The database derives the search's n-grams from the three keys (models.SearchGrams, docs/search.md).
    resident.search_address = search.address_key(resident.address)


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
    search_keys(resident)
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


# --- entering the register (転入, 職権記載) ------------------------------------------------------


# long: the one path that enters a person in the register (転入, 職権記載), every particular in statute order
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
        who = "記載する方" if kind == EventKind.EX_OFFICIO_ENTRY else "転入する方"
        raise ValidationFailed(f"{who}を1人以上入力してください。", code="no_members")
    if any(not m.relationship.strip() for m in members):
        raise ValidationFailed("全員の続柄(世帯主との続柄)を入力してください。", code="relationship_required")
    today = local_today()
    for person in members:
        # The same rules as the bulk import (resident_records.validation): one validator for both paths.
        validation.check_person(person, today=today)
    place = validation.address_fields(
        address=address, address_detail=address_detail, postal_code=postal_code, previous_address=previous_address
    )
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
                **place,
                became_resident_on=event_date,
                address_set_on=event_date,
                notified_on=notified_on,
                status=ResidentStatus.RESIDENT,
                **person_attributes(person),
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
    fuhyo_notices.notify_moves(actor=actor, residents=residents, event=event.get_kind_display(), event_id=event.pk)
    return event


def notify_fuhyo(*, actor: Person | None, residents: Sequence[Resident], event_id: int, label: str) -> None:
    """住基法 第19条第1項: the addresses of a 異動 go to the 附票 of the 本籍地 (this town or another on the platform);
    for a writer that has no ChangeEvent object at hand (bulk.load_households)."""
    fuhyo_notices.notify_moves(actor=actor, residents=residents, event=label, event_id=event_id)


# --- shared rules for the household --------------------------------------------------------------

# Events whose records do not describe a new state of their own: a cancellation's restoring record repeats
# an earlier state, a correction's record is applied as an overlay from its effective date (selectors).
NEUTRAL_KINDS = frozenset({EventKind.CANCELLATION})


def _members(household: Household) -> list[Resident]:
    """The household's current 住民 (not 転出/死亡/消除), locked in id order."""
    return list(
        Resident.objects.select_for_update().filter(household=household, status=ResidentStatus.RESIDENT).order_by("pk")
    )


def require_chosen(chosen: Collection[object]) -> None:
    """A 異動 of chosen members (転出, 転出確定, 職権消除, 世帯分離) names at least one resident. The forms show
    this refusal on their ``members`` field (forms.DepartureForm)."""
    if not chosen:
        raise ValidationFailed("対象の住民を1人以上選んでください。", code="no_members", details={"field": "members"})


def _lock_with_household(items: Sequence[Versioned]) -> tuple[Household, list[Resident]]:
    """Lock the residents' one household, then the residents (the same order as every household-level event)."""
    require_chosen(items)
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


def latest_record(resident: Resident, *, exclude_event: ChangeEvent | None = None) -> ResidentRecord | None:
    """The resident's last record in processing order, ignoring cancelled events and cancellations."""
    records = ResidentRecord.objects.filter(resident=resident, event__cancelled_by__isnull=True).exclude(
        event__kind__in=NEUTRAL_KINDS
    )
    if exclude_event is not None:
        records = records.exclude(event=exclude_event)
    return records.order_by("-event_id").first()


def _check_not_before_history(
    residents: Iterable[Resident], event_date: date, *, household: Household | None = None
) -> None:
    """A 異動 cannot precede the resident's last recorded 異動: the record would rewrite history out of order.

    With ``household`` (a 異動 of the whole household, the 転居) it cannot precede the household's last 異動
    either: a member who left later (死亡, 転出, 世帯分離) was still in the household, at its old address, until
    then, and is not moved by it (docs/domain/resident_register.md §9 住所).
    """
    if household is not None:
        latest_here = (
            HouseholdRecord.objects.filter(household=household, event__cancelled_by__isnull=True)
            .exclude(event__kind__in=NEUTRAL_KINDS)
            .order_by("-effective_on", "-event_id")
            .first()
        )
        if latest_here is not None and event_date < latest_here.effective_on:
            raise InvalidEventDate(
                f"異動日({event_date.isoformat()})が、世帯番号 {household.number} の直前の異動の日付"
                f"({latest_here.effective_on.isoformat()})より前になっています。",
                details={"household": household.number, "latest": latest_here.effective_on.isoformat()},
            )
    for resident in residents:
        latest = latest_record(resident)
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


def _require_reason(reason: str, *, message: str | None = None) -> str:
    """The 職権 reason (施行令 第12条第3項: the town records why it acted without a 届出); the page shows the
    refusal on its ``reason`` field."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReasonRequired(message, details={"field": "reason"})
    return reason


# --- members leaving a household (転出, 死亡, 職権消除, 世帯分離) --------------------------------


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
    require_chosen(ids)
    return chosen, [r for r in current if r.pk not in ids]


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
