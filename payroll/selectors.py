"""Reads of payroll data. Pay is personal data: every read of someone's payslip is audited with its purpose
(docs/domain/payroll.md §8.1); a staff member reading their own is audited with the intrinsic purpose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from common import audit
from common.errors import PermissionDenied
from payroll.errors import PayrollInputError, RunNotFound, StaffNotFound
from payroll.models import Appointment, JobType, PayRun, Payslip, PayslipLine, SalaryTableVersion, Staff, TransferBatch

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

    @property
    def years(self) -> list[int]:
        return sorted({slip.run.paid_on.year for slip in self.payslips}, reverse=True)


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


# --- 源泉徴収票 and 給与支払報告書 (§8.3) ---------------------------------------------------------------------

SOCIAL_CODES = ("kyosai_short", "kyosai_care", "kyosai_pension", "kyosai_retirement", "kyosai_welfare", "employment")


@dataclass(frozen=True)
class AnnualStatement:
    staff_number: str
    staff_name: str
    city_code: str
    year_start: date
    paid: int  # 支払金額: taxable pay of the year's locked runs paid in the calendar year
    social: int  # 社会保険料等の金額
    tax: int  # 源泉徴収税額: the 年調年税額 when the year's 年末調整 is locked, else what was withheld
    dependents: int
    year_end: Any = None  # the locked YearEndResult of the staff member and year (§13), if any


@dataclass(frozen=True)
class YearTotals:
    paid: int
    social: int
    withheld: int


def year_totals(*, year: int, staff_ids: list[int] | None = None) -> dict[int, YearTotals]:
    """Per staff id, the year's totals of locked runs by payment date: 支払金額 (taxable pay), 社会保険料等 and
    the income tax withheld — what the 源泉徴収票 and the 年末調整 (§13) start from."""
    from django.db.models import Sum

    slips = Payslip.objects.filter(run__state=PayRun.State.LOCKED, run__paid_on__year=year)
    if staff_ids is not None:
        slips = slips.filter(staff_id__in=staff_ids)
    paid = dict(slips.values("staff_id").annotate(total=Sum("taxable")).values_list("staff_id", "total"))
    lines = PayslipLine.objects.filter(payslip__in=slips)

    def by_staff(codes: tuple[str, ...]) -> dict[int, int]:
        rows = lines.filter(code__in=codes).values("payslip__staff_id").annotate(t=Sum("amount"))
        return dict(rows.values_list("payslip__staff_id", "t"))

    social, tax = by_staff(SOCIAL_CODES), by_staff(("income_tax",))
    return {
        staff_id: YearTotals(paid=int(total or 0), social=int(social.get(staff_id) or 0),
                             withheld=int(tax.get(staff_id) or 0))
        for staff_id, total in paid.items()
    }  # fmt: skip


def annual_statements(*, year: int, staff_ids: list[int] | None = None) -> list[AnnualStatement]:
    """Per staff member, the year's totals of locked runs by payment date (the 給与支払報告書 data); where the
    year's 年末調整 is locked, the 源泉徴収税額 is its 年調年税額 (§13.10) — of the latest locked 再年末調整 where
    there is one (§13.11)."""
    from payroll.year_end_models import YearEndResult, YearEndRevision

    totals = year_totals(year=year, staff_ids=staff_ids)
    adjusted: dict[int, Any] = {
        r.staff_id: r
        for r in YearEndResult.objects.filter(
            run__year=year, run__state="locked", adjusted=True, staff_id__in=totals.keys()
        )
    }
    revised = YearEndRevision.objects.filter(run__year=year, state="locked", staff_id__in=totals.keys())
    for revision in revised.order_by("staff_id", "sequence"):
        adjusted[revision.staff_id] = revision  # the last in sequence wins
    result = []
    for staff in Staff.objects.filter(pk__in=totals.keys()).order_by("number"):
        sums, year_end = totals[staff.pk], adjusted.get(staff.pk)
        result.append(
            AnnualStatement(
                staff_number=staff.number,
                staff_name=staff.name,
                city_code=staff.residence_city_code,
                year_start=date(year, 1, 1),
                paid=sums.paid,
                social=year_end.social if year_end is not None else sums.social,
                tax=year_end.annual_tax if year_end is not None else sums.withheld,
                dependents=staff.tax_dependents,
                year_end=year_end,
            )
        )
    return result


def my_withholding_statement(*, actor: Any, year: int) -> AnnualStatement:
    """The actor's own 源泉徴収票 for a year (audited as a read of their own pay)."""
    staff = list(Staff.objects.filter(person_id=actor.pk).values_list("pk", flat=True))
    statements = annual_statements(year=year, staff_ids=staff)
    if not statements:
        raise RunNotFound("この年の源泉徴収票はありません。")
    audit.record(
        actor=actor,
        action="payroll.withholding_statement",
        obj=("payroll.Staff", str(staff[0]), statements[0].staff_number),
        purpose=OWN_PURPOSE,
        personal_data=True,
        details={"year": year},
    )
    return statements[0]


# The years a 給与支払報告書 can be asked for: from 平成元年 to a bound far ahead (a date beyond it cannot be built).
MIN_REPORT_YEAR, MAX_REPORT_YEAR = 1989, 2100


def payroll_report(*, actor: Any, year: int, purpose: str) -> list[AnnualStatement]:
    """給与支払報告書 data for every staff member (audited with the purpose)."""
    if not MIN_REPORT_YEAR <= year <= MAX_REPORT_YEAR:
        raise PayrollInputError(
            f"年は{MIN_REPORT_YEAR}〜{MAX_REPORT_YEAR}の西暦で指定してください。", code="report_year_invalid"
        )
    statements = annual_statements(year=year)
    audit.record(
        actor=actor,
        action="payroll.payment_report",
        obj=("payroll.PayRun", str(year), f"{year}年分"),
        purpose=purpose,
        personal_data=True,
        details={"year": year, "staff": len(statements)},
    )
    return statements


# --- 給料表 and 人事異動 ---------------------------------------------------------------------------------------------


def salary_table_versions() -> QuerySet[SalaryTableVersion]:
    return SalaryTableVersion.objects.select_related("table").order_by("table__code", "-effective_from")


def salary_table_version(*, code: str, day: str) -> SalaryTableVersion | None:
    try:
        effective = date.fromisoformat(day)
    except ValueError:
        return None
    return SalaryTableVersion.objects.select_related("table").filter(table__code=code, effective_from=effective).first()


def transfer_batches() -> QuerySet[TransferBatch]:
    return TransferBatch.objects.order_by("-effective_on", "-created_at")


def transfer_batch(*, public_id: Any) -> TransferBatch | None:
    return TransferBatch.objects.filter(public_id=public_id).first()


# --- 職員 and their 発令 (人事担当) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffRow:
    staff: Staff
    current: Appointment | None


def staff_overview(*, query: str = "", on: date, limit: int = 200) -> list[StaffRow]:
    """Staff with the 発令 in force on ``on`` (all staff numbers and names: the 人事担当's own register)."""
    rows = Staff.objects.order_by("number")
    if query:
        rows = rows.filter(Q(number__startswith=query) | Q(name__contains=query) | Q(name_kana__contains=query))
    staff = list(rows[:limit])
    current = {
        a.staff_id: a
        for a in Appointment.objects.filter(staff__in=staff, effective_on__lte=on)
        .order_by("staff_id", "-effective_on")
        .distinct("staff_id")
    }
    return [StaffRow(staff=s, current=current.get(s.pk)) for s in staff]


HISTORY_PURPOSE = "発令の確認・登録"


def staff_history(*, actor: Any, number: str) -> tuple[Staff, list[Appointment]]:
    """A staff member's 発令, newest first; a read of someone's pay grades, audited with its purpose."""
    staff = Staff.objects.filter(number=number).first()
    if staff is None:
        raise StaffNotFound()
    appointments = list(staff.appointments.order_by("-effective_on"))
    audit.record(
        actor=actor,
        action="payroll.staff_history",
        obj=staff,
        purpose=HISTORY_PURPOSE,
        personal_data=True,
        details={"appointments": len(appointments)},
    )
    return staff, appointments
