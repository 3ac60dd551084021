"""What the payroll services share: the actor's id and name snapshot, the state of a staff member on a day."""

from __future__ import annotations

from datetime import date
from typing import Any

from payroll.errors import AppointmentInLockedMonth, StepOutsideTable
from payroll.models import Appointment, PayRun, SalaryStep, SalaryTableVersion


def actor_fields(actor: Any) -> tuple[int | None, str]:
    return getattr(actor, "pk", None), str(getattr(actor, "full_name", "") or "")[:100]


def appointment_on(staff_id: int, day: date) -> Appointment | None:
    """The 発令 in force on ``day``: the latest not after it."""
    return Appointment.objects.filter(staff_id=staff_id, effective_on__lte=day).order_by("-effective_on").first()


def refuse_locked_month(day: date) -> None:
    """A 発令 dated in a month whose 例月 run is locked would change pay already paid: refused (§3.6)."""
    month = day.replace(day=1)
    if PayRun.objects.filter(kind=PayRun.Kind.REGULAR, pay_month=month, state=PayRun.State.LOCKED).exists():
        raise AppointmentInLockedMonth(
            f"{month.year}年{month.month}月の給与計算は確定済みのため、{day.isoformat()} 付けの発令は登録できません。"
            "差額は過誤調整で精算してください。",
            details={"field": "effective_on"},
        )


def version_in_force(table_code: str, day: date) -> SalaryTableVersion | None:
    return (
        SalaryTableVersion.objects.filter(table__code=table_code, effective_from__lte=day, approved=True)
        .order_by("-effective_from")
        .first()
    )


def step_amount(table_code: str, grade: int | None, step: int | None, day: date) -> int:
    """The 給料月額 of a 級・号給 in the version in force on ``day`` (§4.2); outside the table is refused."""
    version = version_in_force(table_code, day)
    amount = (
        SalaryStep.objects.filter(version=version, grade=grade, step=step).values_list("amount", flat=True).first()
        if version is not None and grade is not None and step is not None
        else None
    )
    if amount is None:
        raise StepOutsideTable(
            f"給料表「{table_code}」({day.isoformat()} 時点)に {grade}級{step}号給はありません。",
            details={"field": "step", "table": table_code, "grade": grade, "step": step},
        )
    return amount
