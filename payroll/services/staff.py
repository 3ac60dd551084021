"""職員 and 発令 (docs/domain/payroll.md §3): hiring, every change as a dated 発令, the 人事異動 batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from common import audit
from common.errors import ApplicationError
from payroll import leave, rules
from payroll import parameters as p
from payroll.errors import PayrollInputError, SelfApproval, StaffNotFound, UnknownDependents
from payroll.models import (
    FISCAL_YEAR_JOB_TYPES,
    Appointment,
    AppointmentKind,
    JobType,
    LeaveReason,
    Staff,
    Status,
    TransferBatch,
)
from payroll.services.common import actor_fields, appointment_on, refuse_locked_month, step_amount

TABLE_JOB_TYPES = frozenset({JobType.GENERAL, JobType.FISCAL_FULL})


def check_position(*, job_type: str, table_code: str, grade: int | None, step: int | None, day: date) -> None:
    if job_type not in JobType.values:
        raise PayrollInputError(
            "職種が正しくありません。", code="payroll_invalid_job_type", details={"field": "job_type"}
        )
    if job_type in TABLE_JOB_TYPES and table_code:
        step_amount(table_code, grade, step, day)


def hire_staff(
    *,
    actor: Any,
    number: str,
    name: str,
    name_kana: str,
    birth_date: date,
    hired_on: date,
    unit_code: str,
    unit_name: str,
    job_type: str,
    table_code: str = "",
    grade: int | None = None,
    step: int | None = None,
    monthly_amount: int = 0,
    hourly_rate: int = 0,
    weekly_hours: Decimal = Decimal(0),
    term_ends_on: date | None = None,
    person_id: int | None = None,
    **declared: Any,
) -> Staff:
    """採用: the staff member and their first 発令, in one step."""
    position = {"job_type": job_type, "table_code": table_code, "grade": grade, "step": step}
    _check_hire(hired_on, position, weekly_hours=weekly_hours, term_ends_on=term_ends_on, declared=declared)
    by_id, by_name = actor_fields(actor)
    try:
        with transaction.atomic():
            staff = Staff.objects.create(
                number=number, name=name, name_kana=name_kana, birth_date=birth_date, person_id=person_id, **declared
            )
            Appointment.objects.create(
                staff=staff,
                effective_on=hired_on,
                kind=AppointmentKind.HIRE,
                unit_code=unit_code,
                unit_name=unit_name,
                job_type=job_type,
                table_code=table_code,
                grade=grade,
                step=step,
                monthly_amount=monthly_amount,
                hourly_rate=hourly_rate,
                weekly_hours=weekly_hours,
                term_ends_on=term_ends_on,
                recorded_by_id=by_id,
                recorded_by_name=by_name,
            )
            audit.record(
                actor=actor,
                action="payroll.staff_hire",
                obj=staff,
                purpose="職員の採用",
                personal_data=True,
                details={"hired_on": hired_on.isoformat(), "unit": unit_code, "job_type": job_type},
            )
    except IntegrityError:
        raise PayrollInputError(
            f"職員番号 {number} は既に登録されています。", code="payroll_duplicate_staff", details={"field": "number"}
        ) from None
    return staff


def _check_hire(
    hired_on: date, position: dict[str, Any], *, weekly_hours: Any, term_ends_on: date | None, declared: dict[str, Any]
) -> None:
    refuse_locked_month(hired_on)
    check_weekly_hours(weekly_hours)
    check_term(job_type=position["job_type"], term_ends_on=term_ends_on, start=hired_on)
    check_position(**position, day=hired_on)
    _check_declared_fields(declared)


def _check_declared_fields(declared: dict[str, Any]) -> None:
    allowed = {f.name for f in Staff._meta.get_fields()} - {"id", "public_id", "number", "name", "created_at"}
    unknown = set(declared) - allowed
    if unknown:
        raise PayrollInputError(f"不明な項目です: {', '.join(sorted(unknown))}", code="payroll_unknown_field")
    check_declared(declared)


def check_declared(declared: dict[str, Any]) -> None:
    """The declared values' rules (扶養 counts, amounts never negative), before anything is written."""
    rules.family_allowance(
        children=declared.get("children", 0),
        children_specific=declared.get("children_specific", 0),
        parents=declared.get("parents", 0),
        child=0,
        specific=0,
        parent=0,
    )
    dependents = declared.get("tax_dependents", 0)
    if isinstance(dependents, bool) or not isinstance(dependents, int) or dependents < 0:
        raise UnknownDependents(details={"field": "tax_dependents"})
    for name in ("rent", "transit_pass"):
        value = declared.get(name, 0)
        if not isinstance(value, int) or value < 0:
            raise PayrollInputError(f"{name} は0円以上の整数で入力してください。", code="payroll_invalid_amount")
    if declared.get("withholding_column", "甲") not in ("甲", "乙"):
        raise PayrollInputError("源泉徴収の欄は甲または乙です。", code="payroll_invalid_column")


def record_appointment(
    *, actor: Any, staff: Staff, effective_on: date, kind: str, note: str = "", **changes: Any
) -> Appointment:
    """A 発令: the state in force the day before, with ``changes``, from ``effective_on`` (§3.3)."""
    if kind not in AppointmentKind.values or kind == AppointmentKind.HIRE:
        raise PayrollInputError("発令の種類が正しくありません。", code="payroll_invalid_appointment")
    with transaction.atomic():
        appointment = _new_appointment(
            actor=actor, staff=staff, effective_on=effective_on, kind=kind, note=note, **changes
        )
        audit.record(
            actor=actor,
            action="payroll.appointment",
            obj=staff,
            purpose="発令の記録",
            personal_data=True,
            details={
                "kind": kind,
                "effective_on": effective_on.isoformat(),
                **_jsonable(changes),
                **_leave(appointment),
            },
        )
    return appointment


def _leave(appointment: Appointment) -> dict[str, Any]:
    if appointment.kind != AppointmentKind.LEAVE:
        return {}
    until = appointment.leave_pay_until
    return {
        "leave_reason": appointment.leave_reason,
        "leave_pay_ratio": appointment.leave_pay_ratio,
        "leave_pay_until": until.isoformat() if until else None,
    }


_STATUS_OF_KIND = {
    AppointmentKind.LEAVE: Status.LEAVE,
    AppointmentKind.CHILDCARE: Status.CHILDCARE,
    AppointmentKind.RETURN: Status.ACTIVE,
    AppointmentKind.LEAVING: Status.LEFT,
}
_CHANGEABLE = {
    "unit_code",
    "unit_name",
    "job_type",
    "table_code",
    "grade",
    "step",
    "monthly_amount",
    "hourly_rate",
    "manager_allowance",
    "resident_tax_on_leaving",
    "weekly_hours",
    "term_ends_on",
}


_LEAVE_TERMS = {"leave_reason", "leave_pay_ratio"}  # what a 休職 発令 states
_LEAVE_FIELDS = {"leave_reason", "leave_pay_ratio", "leave_pay_until"}
_NO_LEAVE = {"leave_reason": "", "leave_pay_ratio": 0, "leave_pay_until": None}


def leave_terms(*, kind: str, before: Appointment, effective_on: date, changes: dict[str, Any]) -> dict[str, Any]:
    """The pay terms of a 休職 (§4b): its reason, the ratio granted (the setting's default for the reason unless the
    発令 states one, never above the ordinance's maximum) and the last day the ratio applies. A 発令 made during the
    leave keeps them; 復職, 育児休業 and 退職 end them."""
    if kind != AppointmentKind.LEAVE:
        if kind in (AppointmentKind.RETURN, AppointmentKind.CHILDCARE, AppointmentKind.LEAVING):
            return dict(_NO_LEAVE)
        return {}
    reason = changes.get("leave_reason", "")
    terms = p.leave_pay_rules(effective_on)
    if reason not in LeaveReason.values or reason not in terms:
        raise PayrollInputError(
            "休職の事由を選んでください(公務災害・通勤災害、結核性疾患、心身の故障、起訴、研究・その他、無給)。",
            code="payroll_invalid_leave_reason",
            details={"field": "leave_reason"},
        )
    rule = terms[reason]
    ratio = changes.get("leave_pay_ratio")
    if ratio is None:
        ratio = rule.default
    if isinstance(ratio, bool) or not isinstance(ratio, int) or not 0 <= ratio <= rule.maximum:
        raise PayrollInputError(
            f"休職中の給与の支給割合は、{LeaveReason(reason).label}による休職では100分の0から100分の{rule.maximum}"
            f"までです(入力: {ratio})。",
            code="payroll_leave_ratio_out_of_range",
            details={"field": "leave_pay_ratio", "maximum": rule.maximum},
        )
    until = leave.paid_until(effective_on, rule.months) if ratio else None
    return {"leave_reason": reason, "leave_pay_ratio": ratio, "leave_pay_until": until}


def check_term(*, job_type: str, term_ends_on: date | None, start: date, required: bool = False) -> None:
    """任期の末日 (§5.9): only for 会計年度任用職員, and not before the day the 発令 takes effect; a 再度の任用
    (``required``) must state it."""
    if term_ends_on is None and not required:
        return
    if job_type not in FISCAL_YEAR_JOB_TYPES or term_ends_on is None or term_ends_on < start:
        raise PayrollInputError(
            "任期の末日は会計年度任用職員についてのみ、発令日以後の日を入力してください。",
            code="payroll_invalid_term",
            details={"field": "term_ends_on"},
        )


def check_weekly_hours(value: Any) -> None:
    if not isinstance(value, int | Decimal) or isinstance(value, bool) or not 0 <= value <= 168:
        raise PayrollInputError(
            "週の勤務時間は0〜168時間で入力してください。",
            code="payroll_invalid_weekly_hours",
            details={"field": "weekly_hours"},
        )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {key: (value.isoformat() if isinstance(value, date) else value) for key, value in values.items()}


def next_state(
    *, staff: Staff, effective_on: date, kind: str, changes: dict[str, Any]
) -> tuple[Appointment, dict[str, Any], str]:
    """The state a 発令 would record (§3.3): the state in force the day before with ``changes``, and its status;
    every rule is checked here, for the service and its preview alike (nothing is written)."""
    unknown = set(changes) - _CHANGEABLE - (_LEAVE_TERMS if kind == AppointmentKind.LEAVE else set())
    if unknown:
        raise PayrollInputError(
            f"発令で変更できない項目です: {', '.join(sorted(unknown))}", code="payroll_unknown_field"
        )
    refuse_locked_month(effective_on)
    before = appointment_on(staff.pk, effective_on - timedelta(days=1))
    if before is None:
        raise PayrollInputError(
            f"職員 {staff.number} は {effective_on.isoformat()} の前日に在職していません。",
            code="payroll_not_in_service",
        )
    if before.status == Status.LEFT:
        raise PayrollInputError(f"職員 {staff.number} は退職しています。", code="payroll_already_left")
    _check_status_change(staff, kind, before)
    if kind == AppointmentKind.LEAVING and changes.get("resident_tax_on_leaving", "lump_sum") not in (
        "lump_sum",
        "ordinary",
    ):
        raise PayrollInputError(
            "退職時の住民税は lump_sum(一括徴収)または ordinary(普通徴収)です。", code="payroll_invalid_choice"
        )
    state = {name: getattr(before, name) for name in _CHANGEABLE | _LEAVE_FIELDS}
    state.update(changes)
    state.update(leave_terms(kind=kind, before=before, effective_on=effective_on, changes=changes))
    check_weekly_hours(state["weekly_hours"])
    if kind == AppointmentKind.REAPPOINT or "term_ends_on" in changes:
        check_term(
            job_type=state["job_type"],
            term_ends_on=changes.get("term_ends_on"),
            start=effective_on,
            required=kind == AppointmentKind.REAPPOINT,
        )
    if kind == AppointmentKind.LEAVING:
        state["resident_tax_on_leaving"] = changes.get("resident_tax_on_leaving", "lump_sum")
    check_position(
        job_type=state["job_type"],
        table_code=state["table_code"],
        grade=state["grade"],
        step=state["step"],
        day=effective_on,
    )
    return before, state, _STATUS_OF_KIND.get(AppointmentKind(kind), before.status)


def _check_status_change(staff: Staff, kind: str, before: Appointment) -> None:
    """休職・育児休業 start from 在職; 復職 ends one of them."""
    if kind in (AppointmentKind.LEAVE, AppointmentKind.CHILDCARE) and before.status != Status.ACTIVE:
        raise PayrollInputError(
            f"職員 {staff.number} は既に{before.get_status_display()}中です。", code="payroll_invalid_status_change"
        )
    if kind == AppointmentKind.RETURN and before.status not in (Status.LEAVE, Status.CHILDCARE):
        raise PayrollInputError(
            f"職員 {staff.number} は休職・育児休業中ではありません。", code="payroll_invalid_status_change"
        )


def _new_appointment(
    *,
    actor: Any,
    staff: Staff,
    effective_on: date,
    kind: str,
    note: str = "",
    batch: TransferBatch | None = None,
    **changes: Any,
) -> Appointment:
    _before, state, status = next_state(staff=staff, effective_on=effective_on, kind=kind, changes=changes)
    by_id, by_name = actor_fields(actor)
    try:
        with transaction.atomic():
            return Appointment.objects.create(
                staff=staff,
                effective_on=effective_on,
                kind=kind,
                status=status,
                note=note[:200],
                batch=batch,
                recorded_by_id=by_id,
                recorded_by_name=by_name,
                **state,
            )
    except IntegrityError:
        raise PayrollInputError(
            f"職員 {staff.number} には {effective_on.isoformat()} の発令が既にあります。",
            code="payroll_duplicate_appointment",
        ) from None


# --- 人事異動 (batch) ------------------------------------------------------------------------------------------------


@dataclass
class TransferPreview:
    effective_on: date
    lines: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def create_transfer_batch(*, actor: Any, effective_on: date, title: str, lines: list[dict[str, Any]]) -> TransferBatch:
    """Record a draft 人事異動: each line {staff_number, unit_code, unit_name, grade, step, title?}."""
    by_id, by_name = actor_fields(actor)
    with transaction.atomic():
        batch = TransferBatch.objects.create(
            effective_on=effective_on, title=title[:100], lines=lines, created_by_id=by_id, created_by_name=by_name
        )
        audit.record(actor=actor, action="payroll.transfer_draft", obj=batch, details={"lines": len(lines)})
    return batch


def preview_transfer_batch(*, batch: TransferBatch) -> TransferPreview:
    """Check every line against the staff's state, the organisation and the 給料表 on the date; nothing written."""
    preview = TransferPreview(effective_on=batch.effective_on)
    staff_by_number = {
        s.number: s for s in Staff.objects.filter(number__in=[line.get("staff_number") for line in batch.lines])
    }
    for index, line in enumerate(batch.lines, start=1):
        staff = staff_by_number.get(str(line.get("staff_number")))
        if staff is None:
            preview.errors.append(f"{index}行目: 職員番号 {line.get('staff_number')} の職員はいません。")
            continue
        before = appointment_on(staff.pk, batch.effective_on - timedelta(days=1))
        if before is None or before.status == Status.LEFT:
            preview.errors.append(f"{index}行目: 職員 {staff.number} は在職していません。")
            continue
        grade = line.get("grade", before.grade)
        step = line.get("step", before.step)
        try:
            check_position(
                job_type=before.job_type, table_code=before.table_code, grade=grade, step=step, day=batch.effective_on
            )
        except ApplicationError as exc:
            preview.errors.append(f"{index}行目: {exc.message}")
            continue
        preview.lines.append(
            {
                "staff_number": staff.number,
                "from_unit": before.unit_name,
                "to_unit": line.get("unit_name", before.unit_name),
                "to_unit_code": line.get("unit_code", before.unit_code),
                "from_grade_step": f"{before.grade or ''}-{before.step or ''}",
                "to_grade_step": f"{grade or ''}-{step or ''}",
            }
        )
    return preview


def apply_transfer_batch(*, actor: Any, batch: TransferBatch, municipality: Any) -> TransferBatch:
    """Approve and apply a 人事異動 in one step (§3.4): every 発令 and the organisation's postings, all or nothing.
    The one who drafted it cannot apply it."""
    from tenants.models import Person
    from tenants.organisation import Move, apply_transfers

    by_id, by_name = actor_fields(actor)
    if batch.state != TransferBatch.State.DRAFT:
        raise PayrollInputError("この人事異動は既に適用されています。", code="payroll_transfer_applied")
    if by_id is not None and by_id == batch.created_by_id:
        raise SelfApproval("人事異動を作成した職員は、自らその異動を承認・適用できません。")
    preview = preview_transfer_batch(batch=batch)
    if not preview.ok:
        raise PayrollInputError(
            "人事異動を適用できません: " + " / ".join(preview.errors[:5]),
            code="payroll_transfer_invalid",
            details={"errors": preview.errors},
        )
    staff_by_number = {
        s.number: s for s in Staff.objects.filter(number__in=[line["staff_number"] for line in batch.lines])
    }
    moves = []
    with transaction.atomic():
        for line in batch.lines:
            staff = staff_by_number[str(line["staff_number"])]
            changes = {key: line[key] for key in ("unit_code", "unit_name", "grade", "step") if key in line}
            _new_appointment(
                actor=actor,
                staff=staff,
                effective_on=batch.effective_on,
                kind=AppointmentKind.TRANSFER,
                batch=batch,
                **changes,
            )
            if staff.person_id and "unit_code" in line:
                person = Person.objects.filter(pk=staff.person_id).first()
                if person is not None:
                    moves.append(Move(person=person, unit_code=line["unit_code"], title=line.get("title", "")))
        if moves:
            apply_transfers(actor=actor, municipality=municipality, effective_on=batch.effective_on, moves=moves)
        TransferBatch.objects.filter(pk=batch.pk).update(
            state=TransferBatch.State.APPLIED, applied_by_id=by_id, applied_by_name=by_name, applied_at=timezone.now()
        )
        audit.record(
            actor=actor,
            action="payroll.transfer_apply",
            obj=batch,
            purpose="人事異動の発令",
            personal_data=True,
            details={
                "effective_on": batch.effective_on.isoformat(),
                "staff": [line["staff_number"] for line in batch.lines],
            },
        )
    batch.refresh_from_db()
    return batch


def get_staff(*, number: str) -> Staff:
    staff = Staff.objects.filter(number=number).first()
    if staff is None:
        raise StaffNotFound()
    return staff
