"""職権記載, 職権消除, 職権修正 (住基法 第8条, 施行令 第12条) and 誤記修正 (標準仕様書 §1.2.2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db import transaction

from common.dates import local_today
from common.errors import ValidationFailed
from common.text import to_katakana
from resident_records import mynumber, validation
from resident_records.errors import EventNotAllowed, FieldNotCorrectable, InvalidEventDate
from resident_records.models import ChangeEvent, EventKind, Resident, ResidentRecord, ResidentStatus, Sex
from resident_records.services.common import (
    HEAD,
    PersonInput,
    Versioned,
    _audit,
    _check_not_before_history,
    _enter,
    _finish_departure,
    _lock_with_household,
    _members,
    _new_event,
    _record,
    _require_reason,
    _require_resident,
    _save,
    _successor,
    latest_record,
    lock_residents,
)
from tenants.models import Person

# --- 職権記載 / 職権消除 / 職権修正 / 誤記修正 ---------------------------------------------------


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
        reason=_require_reason(reason, message="職権記載の理由を入力してください。"),
    )


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


_TEXT_FIELDS = (
    "family_name", "given_name", "former_surname", "alias", "relationship", "postal_code", "address",
    "address_detail", "domicile", "domicile_head", "previous_address", "nationality", "residence_status",
    "moving_out_address",
)  # fmt: skip
_ADDRESS_FIELDS = ("address", "address_detail", "previous_address", "moving_out_address")
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
        if name == "postal_code":
            value = validation.normalize_postal_code(str(value or ""))
        elif name in _ADDRESS_FIELDS:
            value = validation.check_length(name, validation.normalize_address(str(value or "")))
        elif name in _TEXT_FIELDS:
            value = validation.check_length(name, " ".join(str(value or "").split()))
        elif name in _KANA_FIELDS:
            value = validation.check_length(name, to_katakana(str(value or "")))
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
    validation.check_residence_dates(
        became_resident_on=values.get("became_resident_on", resident.became_resident_on),
        address_set_on=values.get("address_set_on", resident.address_set_on),
    )
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
    latest = latest_record(target)
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
