"""Reads of payroll data. Pay is personal data: every read of someone's payslip is audited with its purpose
(docs/domain/payroll.md §8.1); a staff member reading their own is audited with the intrinsic purpose."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from common import audit
from common.errors import PermissionDenied
from payroll.errors import RunNotFound
from payroll.models import JobType, PayRun, Payslip, PayslipLine, Staff

OWN_PURPOSE = "本人による給与明細の確認"


def list_runs() -> QuerySet[PayRun]:
    return PayRun.objects.order_by("-pay_month", "kind")


def get_run(*, public_id: Any) -> PayRun:
    run = PayRun.objects.filter(public_id=public_id).first()
    if run is None:
        raise RunNotFound()
    return run


@dataclass
class MyPay:
    staff: list[Staff]
    payslips: list[Payslip]
    prefectural_teacher: bool


def my_payslips(*, actor: Any) -> MyPay:
    """The actor's own payslips of locked runs (self-service); a 県費負担教職員 learns they are paid by the
    prefecture. Audited (own pay is personal data too)."""
    staff = list(Staff.objects.filter(person_id=actor.pk))
    teacher = any(a.job_type == JobType.PREFECTURAL_TEACHER for s in staff for a in s.appointments.all()[:1])
    slips = list(
        Payslip.objects.filter(staff__in=staff, run__state=PayRun.State.LOCKED)
        .select_related("run")
        .order_by("-run__pay_month", "run__kind")
    )
    if staff:
        audit.record(
            actor=actor,
            action="payroll.payslip_list",
            obj=staff[0],
            purpose=OWN_PURPOSE,
            personal_data=True,
            details={"payslips": len(slips)},
        )
    return MyPay(staff=staff, payslips=slips, prefectural_teacher=teacher)


@dataclass
class PayslipView:
    payslip: Payslip
    lines: list[PayslipLine]
    own: bool


def view_payslip(*, actor: Any, public_id: Any, purpose: str, officer: bool = False) -> PayslipView:
    """One payslip: the actor's own (locked runs), or anyone's for a 給与担当/人事担当/監査担当 (``officer``),
    audited with the purpose. Someone else's payslip is "not found" to anyone else."""
    slip = Payslip.objects.filter(public_id=public_id).select_related("run", "staff").first()
    if slip is None:
        raise RunNotFound("該当する給与明細が見つかりません。")
    own = slip.staff.person_id == actor.pk
    if not own and not officer:
        raise RunNotFound("該当する給与明細が見つかりません。")
    if own and not officer and not slip.run.locked:
        raise RunNotFound("該当する給与明細が見つかりません。")
    audit.record(
        actor=actor,
        action="payroll.payslip_view",
        obj=slip,
        purpose=purpose if not own or officer else OWN_PURPOSE,
        personal_data=True,
        details={"staff": slip.staff_number, "run": str(slip.run.public_id)},
    )
    return PayslipView(payslip=slip, lines=list(slip.lines.order_by("kind", "id")), own=own)


def run_lines(*, actor: Any, run: PayRun, purpose: str) -> QuerySet[PayslipLine]:
    """Every payslip line of a run (auditors' export), audited with the purpose."""
    if not purpose:
        raise PermissionDenied("利用目的を指定してください。", code="purpose_required")
    audit.record(
        actor=actor,
        action="payroll.run_lines",
        obj=run,
        purpose=purpose,
        personal_data=True,
        details={"run": str(run.public_id)},
    )
    return (
        PayslipLine.objects.filter(payslip__run=run)
        .select_related("payslip")
        .order_by("payslip__staff_number", "kind", "id")
    )
