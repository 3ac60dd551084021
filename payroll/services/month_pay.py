"""The parts of a month's pay that depend on the days and on the month's input (docs/domain/payroll.md §4a, §5.7–§5.9):
the 日割 of 給料 and 管理職手当, the 地域手当, the 特殊勤務手当 and the 報酬 average of hourly staff for their 期末手当.

Read by payroll.services.calculation; everything here is computed from rows already read into the run's context.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from payroll import childcare, leave, proration, rules
from payroll import parameters as p
from payroll.errors import StepOutsideTable, UnknownSpecialDuty
from payroll.models import (
    Appointment,
    JobType,
    PayRun,
    PayslipLine,
    SpecialDutyEntry,
    Status,
)

# 地域手当 is a 手当 of the 給与条例 for staff paid from the 給料表 (§5.7); part-time 報酬 is set including it.
REGIONAL_JOB_TYPES = frozenset({JobType.GENERAL, JobType.FISCAL_FULL})


def full_amount(staff_number: str, appointment: Appointment, steps: dict[tuple[str, int, int], int]) -> int:
    """The whole-month 給料 (or 報酬月額) of a 発令 (§4.2); a 級・号給 outside the table in force is refused."""
    if not appointment.table_code:
        return int(appointment.monthly_amount)
    amount = steps.get((appointment.table_code, appointment.grade or 0, appointment.step or 0))
    if amount is None:
        raise StepOutsideTable(
            f"職員 {staff_number}: 給料表「{appointment.table_code}」に {appointment.grade}級{appointment.step}号給は"
            "ありません。",
            details={"staff": staff_number, "grade": appointment.grade, "step": appointment.step},
        )
    return amount


def main_appointment(parts: list[proration.Period]) -> Appointment | None:
    """The 発令 a payslip is shown under: the last one of the month in service (None when out of service all month)."""
    serving = [part.appointment for part in parts if part.appointment.status != Status.LEFT]
    return serving[-1] if serving else None


@dataclass(frozen=True)
class MonthPay:
    """給料 and 管理職手当 actually due for the month, and the 日割 explanation (empty when the month is whole)."""

    base: int
    manager: int
    note: str = ""
    reason: str = ""


def month_pay(staff_number: str, parts: list[proration.Period], month: date, ctx: Any) -> MonthPay:
    """§4a, §4b: each period in service (在職) earns its monthly amount × its days ÷ the month's days; a period of
    paid 休職 earns the 発令's share of 給料 up to the ratio's last day, and no 管理職手当."""
    spans = [
        (part.appointment, first, last, share)
        for part in parts
        for first, last, share in leave.paid_spans(part.appointment, part.start, part.end)
    ]
    ratio_note = "、".join(dict.fromkeys(filter(None, (leave.ratio_text(part.appointment) for part in parts))))
    end = proration.month_end(month)
    if proration.whole_month(parts, month) and (not spans or (spans[0][1], spans[0][2]) == (month, end)):
        if not spans:
            return MonthPay(base=0, manager=0)
        appointment, _, _, share = spans[0]
        full = full_amount(staff_number, appointment, ctx.steps)
        manager = appointment.manager_allowance if appointment.status == Status.ACTIVE else 0
        return MonthPay(base=leave.shared(full, share), manager=manager, note=ratio_note, reason=ratio_note)
    basis = ctx.params["basis"]
    basis_days = proration.counted_days(month, end, basis)
    pay: list[tuple[Decimal, int]] = []
    manager_days: list[tuple[Decimal, int]] = []
    paid_days = 0
    for appointment, first, last, share in spans:
        days = proration.counted_days(first, last, basis)
        paid_days += days
        pay.append((Decimal(full_amount(staff_number, appointment, ctx.steps)) * share / leave.FULL, days))
        if appointment.status == Status.ACTIVE:
            manager_days.append((Decimal(appointment.manager_allowance), days))
    events = [
        f"{part.appointment.get_kind_display()} {part.appointment.effective_on.isoformat()}"
        for part in parts
        if part.appointment.effective_on > month
    ]
    events += [
        f"休職の支給期間の満了 {until.isoformat()}"
        for until in dict.fromkeys(part.appointment.leave_pay_until for part in parts)
        if until is not None and month <= until < end
    ]
    counted = "支給" if any(span[0].status == Status.LEAVE for span in spans) else "在職"
    note = " ".join(filter(None, [f"日割 {paid_days}/{basis_days}日({proration.BASES[basis]})", ratio_note]))
    return MonthPay(
        base=proration.prorated(pay, basis_days),
        manager=proration.prorated(manager_days, basis_days),
        note=note,
        reason=f"日割計算: {'、'.join(events)}({counted} {paid_days}日 / 基礎 {basis_days}日)",
    )


def special_duties(month: date) -> dict[int, list[tuple[str, int]]]:
    """The month's 特殊勤務 entries per staff member: (kind code, count)."""
    entries: dict[int, list[tuple[str, int]]] = defaultdict(list)
    rows = SpecialDutyEntry.objects.filter(pay_month=month).order_by("kind_code")
    for staff_id, code, count in rows.values_list("staff_id", "kind_code", "count"):
        entries[staff_id].append((code, count))
    return entries


@dataclass(slots=True)
class DutyLine:
    code: str
    label: str
    amount: int
    note: str


def special_duty_lines(
    staff_number: str, entries: list[tuple[str, int]], kinds: dict[str, tuple[str, str, int]]
) -> list[DutyLine]:
    """特殊勤務手当 per kind (§5.8); a kind no longer in the month's setting stops the run with its name."""
    lines = []
    for code, count in entries:
        kind = kinds.get(code)
        if kind is None:
            raise UnknownSpecialDuty(
                f"職員 {staff_number}: 特殊勤務手当の種類「{code}」はこの月の設定にありません。",
                details={"staff": staff_number, "kind": code},
            )
        name, unit, unit_amount = kind
        amount = rules.special_duty(count, unit_amount)
        if amount:
            note = f"{count}{p.SPECIAL_DUTY_UNITS[unit]} × {unit_amount}円"
            label = f"特殊勤務手当({name})"[:60]
            lines.append(DutyLine(code=f"special:{code}"[:30], label=label, amount=amount, note=note))
    return lines


def part_time_averages(base_day: date) -> dict[int, int]:
    """§5.9: per staff member, the average monthly 報酬 (the 給料 line: hours × 時間額, without 時間外 or 通勤) of the
    locked 例月 runs of the six pay months before the 基準日's month, over the months they were paid in."""
    start = rules.months_before(base_day.replace(day=1), 6)
    rows = (
        PayslipLine.objects.filter(
            code="base",
            payslip__job_type=JobType.FISCAL_PART_HOURLY,
            payslip__run__kind=PayRun.Kind.REGULAR,
            payslip__run__state=PayRun.State.LOCKED,
            payslip__run__pay_month__gte=start,
            payslip__run__pay_month__lt=base_day.replace(day=1),
        )
        .values("payslip__staff_id")
        .annotate(total=Sum("amount"), months=Count("payslip__run", distinct=True))
        .values_list("payslip__staff_id", "total", "months")
    )
    return {staff_id: int(total) // months for staff_id, total, months in rows if months}


def childcare_periods() -> dict[int, list[childcare.LeavePeriod]]:
    """The 育児休業 periods (§6.1a) of every staff member who has been on one: their whole 発令 history, since a
    leave's start and end may lie in other months."""
    on_leave = Appointment.objects.filter(status=Status.CHILDCARE).values("staff_id")
    history: dict[int, list[Appointment]] = defaultdict(list)
    for row in Appointment.objects.filter(staff_id__in=on_leave).only("staff_id", "effective_on", "status"):
        history[row.staff_id].append(row)
    return {staff_id: childcare.leave_periods(rows) for staff_id, rows in history.items()}


def histories(base_day: date) -> dict[int, list[Appointment]]:
    """The 発令 up to the 基準日 of every staff member who has been on a 休職 (the 在職期間 of the 期末・勤勉手当
    deducts it, §5.6), in date order."""
    on_leave = Appointment.objects.filter(status=Status.LEAVE, effective_on__lte=base_day).values("staff_id")
    rows = Appointment.objects.filter(staff_id__in=on_leave, effective_on__lte=base_day).order_by(
        "staff_id", "effective_on"
    )
    history: dict[int, list[Appointment]] = defaultdict(list)
    for row in rows.only("staff_id", "effective_on", "status", "leave_reason"):
        history[row.staff_id].append(row)
    return dict(history)
