"""The effect of a 発令 before it is recorded (docs/domain/payroll.md §3.7, §4a): the state before and after, the
monthly 給料, and the 日割 of the month when the date is not the 1st. Same checks as the services; nothing written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from payroll import parameters as p
from payroll import proration
from payroll.errors import PayrollInputError
from payroll.models import AppointmentKind, JobType, LeaveReason, Staff, Status
from payroll.services.common import refuse_locked_month, step_amount
from payroll.services.staff import check_declared, check_position, check_term, check_weekly_hours, next_state


@dataclass
class AppointmentPreview:
    kind_label: str
    effective_on: date
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (項目, 発令前, 発令後)
    prorate: str = ""


def _pay_text(state: dict[str, Any], day: date) -> str:
    if state["job_type"] == JobType.FISCAL_PART_HOURLY:
        return f"時間額 {state['hourly_rate']:,}円"
    if state["table_code"]:
        return f"{step_amount(state['table_code'], state['grade'], state['step'], day):,}円"
    return f"{state['monthly_amount']:,}円"


def _grade_text(state: dict[str, Any]) -> str:
    return f"{state['grade']}級{state['step']}号給" if state["grade"] else "—"


def _day_text(day: date | None) -> str:
    return day.isoformat() if day else ""


def _prorate_text(effective_on: date, *, before_paid: bool, after_paid: bool) -> str:
    """The 日割 of the month of a 発令 dated after the 1st (§4a): the counted days before and from the date."""
    if effective_on.day == 1:
        return ""
    month = effective_on.replace(day=1)
    basis = p.text_setting(p.PRORATE_BASIS, month)
    days = proration.counted_days(month, proration.month_end(month), basis)
    before = proration.counted_days(month, effective_on - timedelta(days=1), basis)
    parts = [f"発令前 {before}日" if before_paid else "", f"発令後 {days - before}日" if after_paid else ""]
    shown = "・".join(part for part in parts if part)
    return f"{month.year}年{month.month}月の給料は日割({shown} / 基礎 {days}日・{proration.BASES[basis]})"


def preview_appointment(*, staff: Staff, effective_on: date, kind: str, changes: dict[str, Any]) -> AppointmentPreview:
    before, state, status = next_state(staff=staff, effective_on=effective_on, kind=kind, changes=changes)
    old = {name: getattr(before, name) for name in state}
    previous_day = effective_on - timedelta(days=1)
    rows = [
        ("所属", old["unit_name"], state["unit_name"]),
        ("級・号給", _grade_text(old), _grade_text(state)),
        ("給料月額", _pay_text(old, previous_day), _pay_text(state, effective_on)),
        ("在職状態", Status(before.status).label, Status(status).label),
    ]
    if kind == AppointmentKind.REAPPOINT or "term_ends_on" in changes:
        rows.append(("週の勤務時間", f"{old['weekly_hours']}時間", f"{state['weekly_hours']}時間"))
        rows.append(("任期の末日", _day_text(old["term_ends_on"]), _day_text(state["term_ends_on"])))
    if kind == AppointmentKind.LEAVING:
        rows.append(("最後の在職日", "", previous_day.isoformat()))
    if kind == AppointmentKind.LEAVE:
        until = state["leave_pay_until"]
        ratio = f"100分の{state['leave_pay_ratio']}" + (f"({until.isoformat()}まで、以後は無給)" if until else "")
        rows.append(("休職の事由", "", LeaveReason(state["leave_reason"]).label))
        rows.append(("休職中の給与の支給割合", "", ratio))
    paid = Status.ACTIVE
    return AppointmentPreview(
        kind_label=AppointmentKind(kind).label,
        effective_on=effective_on,
        rows=rows,
        prorate=_prorate_text(effective_on, before_paid=before.status == paid, after_paid=status == paid),
    )


def preview_hire(
    *, number: str, hired_on: date, position: dict[str, Any], declared: dict[str, Any]
) -> AppointmentPreview:
    """採用 (§3.1): the checks of ``hire_staff`` and the first month's pay."""
    refuse_locked_month(hired_on)
    if Staff.objects.filter(number=number).exists():
        raise PayrollInputError(
            f"職員番号 {number} は既に登録されています。", code="payroll_duplicate_staff", details={"field": "number"}
        )
    check_weekly_hours(position.get("weekly_hours", 0))
    check_term(job_type=position["job_type"], term_ends_on=position.get("term_ends_on"), start=hired_on)
    check_position(
        job_type=position["job_type"],
        table_code=position.get("table_code", ""),
        grade=position.get("grade"),
        step=position.get("step"),
        day=hired_on,
    )
    check_declared(declared)
    state = {"table_code": "", "grade": None, "step": None, "monthly_amount": 0, "hourly_rate": 0, **position}
    rows = [
        ("職員番号", "", number),
        ("所属", "", state["unit_name"]),
        ("職種", "", JobType(state["job_type"]).label),
        ("級・号給", "", _grade_text(state)),
        ("給料月額", "", _pay_text(state, hired_on)),
    ]
    if state.get("term_ends_on"):
        rows.append(("任期の末日", "", state["term_ends_on"].isoformat()))
    return AppointmentPreview(
        kind_label=AppointmentKind.HIRE.label,
        effective_on=hired_on,
        rows=rows,
        prorate=_prorate_text(hired_on, before_paid=False, after_paid=True),
    )
