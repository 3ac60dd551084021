"""給与計算 runs (docs/domain/payroll.md §7): calculate (a background job) → review → approval → lock.

The calculation is set-based: every input is read once into memory (発令, 給料表, monthly input, 住民税, 過誤調整),
each payslip is computed by the rule functions, and the result rows are written with bulk inserts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from common import audit
from common.jobs import JobRun, start_job
from common.models import Job
from payroll import parameters as p
from payroll import rules
from payroll.errors import (
    NegativeHours,
    PayrollInputError,
    RunLocked,
    RunNotFound,
    RunStateError,
    SelfApproval,
    StepOutsideTable,
)
from payroll.models import (
    Appointment,
    Correction,
    JobType,
    LineKind,
    MonthlyInput,
    PayRun,
    Payslip,
    PayslipLine,
    ResidentTaxNotice,
    SalaryStep,
    SalaryTableVersion,
    Staff,
    StandardRemuneration,
    Status,
)
from payroll.resident_tax import instalment_for, remaining_after
from payroll.services.common import actor_fields
from payroll.withholding import bonus_tax, monthly_tax

CALCULATE_JOB = "payroll.calculate"
KYOSAI_JOB_TYPES = frozenset({JobType.GENERAL, JobType.FISCAL_FULL, JobType.SPECIAL})
FAMILY_JOB_TYPES = frozenset({JobType.GENERAL, JobType.FISCAL_FULL})
SETSU_PAY = "02"
SETSU_ALLOWANCE = "03"
SETSU_KYOSAI = "04"


# --- creating and starting a run ---------------------------------------------------------------------------------


def create_run(*, actor: Any, kind: str, pay_month: date, paid_on: date) -> PayRun:
    """A run for a month (例月) or a 基準日 month (賞与: June or December). A month already locked is refused."""
    month = pay_month.replace(day=1)
    if kind not in PayRun.Kind.values:
        raise PayrollInputError("給与計算の種類が正しくありません。", code="payroll_invalid_run_kind")
    if kind == PayRun.Kind.BONUS and month.month not in (6, 12):
        raise PayrollInputError("期末・勤勉手当の支給月は6月または12月です。", code="payroll_invalid_bonus_month")
    existing = PayRun.objects.filter(kind=kind, pay_month=month).first()
    if existing is not None:
        if existing.locked:
            raise RunLocked(
                f"{month.year}年{month.month}月の給与計算は確定済みです。訂正は後の給与計算で過誤調整してください。"
            )
        return existing
    with transaction.atomic():
        run = PayRun.objects.create(kind=kind, pay_month=month, paid_on=paid_on)
        audit.record(actor=actor, action="payroll.run_create", obj=run, details={"kind": kind, "month": str(month)})
    return run


def start_calculation(*, actor: Any, run: PayRun) -> Job:
    """Queue the calculation as a background job (progress on the run page)."""
    _refuse_locked(run)
    return start_job(actor=actor, kind=CALCULATE_JOB, params={"run": str(run.public_id)}, purpose="給与計算")


def run_calculation_job(job_run: JobRun) -> dict[str, Any]:
    run = PayRun.objects.filter(public_id=job_run.job.params["run"]).first()
    if run is None:
        raise RunNotFound()

    def progress(done: int, total: int) -> None:
        job_run.progress(done=done, total=total, phase="計算中")

    calculated = calculate_run(actor=job_run.actor, run=run, progress=progress)
    return {"payslips": calculated.payslips.count(), "totals": calculated.totals}


def _refuse_locked(run: PayRun) -> None:
    if run.locked:
        raise RunLocked()


# --- the calculation -------------------------------------------------------------------------------------------


@dataclass
class Context:
    run: PayRun
    month_end: date
    steps: dict[tuple[str, int, int], int]
    table_codes: dict[str, str]
    params: dict[str, Any]
    inputs: dict[int, MonthlyInput]
    notices: dict[int, ResidentTaxNotice]
    corrections: dict[int, list[Correction]]
    leaving_next: dict[int, Appointment]
    hired_on: dict[int, date]
    previous: dict[int, Payslip]
    previous_lines: dict[int, dict[str, int]]
    previous_taxable_net: dict[int, int]
    standards: dict[int, int]
    acquired: dict[int, tuple[int, int]] = field(default_factory=dict)


@dataclass
class Result:
    slip: Payslip
    lines: list[Line] = field(default_factory=list)


def _params(day: date) -> dict[str, Any]:
    return {
        "method": p.text_setting(p.WITHHOLDING_METHOD, day),
        "short": p.decimal_setting(p.KYOSAI_SHORT, day),
        "care": p.decimal_setting(p.KYOSAI_CARE, day),
        "pension": p.decimal_setting(p.KYOSAI_PENSION, day),
        "retirement": p.decimal_setting(p.KYOSAI_RETIREMENT, day),
        "welfare": p.decimal_setting(p.KYOSAI_WELFARE, day),
        "employment": p.decimal_setting(p.EMPLOYMENT_INSURANCE, day),
        "child": p.int_setting(p.FAMILY_CHILD, day),
        "specific": p.int_setting(p.FAMILY_CHILD_SPECIFIC, day),
        "parent": p.int_setting(p.FAMILY_PARENT, day),
        "cap": p.int_setting(p.COMMUTE_CAP, day),
        "car_bands": p.car_bands(day),
        "kimatsu": p.decimal_setting(p.KIMATSU_MONTHS, day),
        "kinben": p.decimal_setting(p.KINBEN_MONTHS, day),
    }


def _appointments_in_force(day: date) -> dict[int, Appointment]:
    rows = Appointment.objects.filter(effective_on__lte=day).order_by("staff_id", "-effective_on").distinct("staff_id")
    return {row.staff_id: row for row in rows}


def _steps_in_force(day: date) -> dict[tuple[str, int, int], int]:
    versions = (
        SalaryTableVersion.objects.filter(approved=True, effective_from__lte=day)
        .order_by("table_id", "-effective_from")
        .distinct("table_id")
        .select_related("table")
    )
    steps: dict[tuple[str, int, int], int] = {}
    for version in versions:
        for grade, step, amount in SalaryStep.objects.filter(version=version).values_list("grade", "step", "amount"):
            steps[(version.table.code, grade, step)] = amount
    return steps


def _last_locked_regular(run: PayRun) -> PayRun | None:
    return (
        PayRun.objects.filter(kind=PayRun.Kind.REGULAR, state=PayRun.State.LOCKED, pay_month__lt=run.pay_month)
        .order_by("-pay_month")
        .first()
    )


def _context(run: PayRun) -> Context:
    month = run.pay_month
    month_end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    fiscal_year = month.year if month.month >= 6 else month.year - 1
    previous_run = _last_locked_regular(run)
    previous = {s.staff_id: s for s in Payslip.objects.filter(run=previous_run)} if previous_run else {}
    previous_lines: dict[int, dict[str, int]] = defaultdict(dict)
    previous_taxable_net: dict[int, int] = {}
    if previous_run is not None:
        for staff_id, code, amount in PayslipLine.objects.filter(payslip__run=previous_run).values_list(
            "payslip__staff_id", "code", "amount"
        ):
            previous_lines[staff_id][code] = amount
        social_codes = {
            "kyosai_short",
            "kyosai_care",
            "kyosai_pension",
            "kyosai_retirement",
            "kyosai_welfare",
            "employment",
        }
        for staff_id, slip in previous.items():
            social = sum(v for k, v in previous_lines[staff_id].items() if k in social_codes)
            previous_taxable_net[staff_id] = max(0, slip.taxable - social)
    corrections: dict[int, list[Correction]] = defaultdict(list)
    for correction in Correction.objects.filter(Q(settled_in__isnull=True) | Q(settled_in=run)).select_related(
        "corrects_run"
    ):
        corrections[correction.staff_id].append(correction)
    next_month = month_end + timedelta(days=1)
    leaving_next = {
        a.staff_id: a
        for a in Appointment.objects.filter(kind="leaving", effective_on__gt=month, effective_on__lte=next_month)
    }
    hired_on = dict(Appointment.objects.filter(kind="hire").values_list("staff_id", "effective_on"))
    return Context(
        run=run,
        month_end=month_end,
        steps=_steps_in_force(month),
        table_codes={},
        params=_params(month),
        inputs={i.staff_id: i for i in MonthlyInput.objects.filter(pay_month=month)},
        notices={n.staff_id: n for n in ResidentTaxNotice.objects.filter(fiscal_year=fiscal_year)},
        corrections=corrections,
        leaving_next=leaving_next,
        hired_on=hired_on,
        previous=previous,
        previous_lines=previous_lines,
        previous_taxable_net=previous_taxable_net,
        standards=dict(
            StandardRemuneration.objects.filter(effective_from__lte=month)
            .order_by("staff_id", "-effective_from")
            .distinct("staff_id")
            .values_list("staff_id", "standard")
        ),
    )


@dataclass(slots=True)
class Line:
    """One computed payslip line, written with COPY (payroll_payslipline) by ``write_lines``."""

    kind: str
    code: str
    label: str
    amount: int
    taxable: bool = True
    setsu: str = ""
    note: str = ""


LINE_COLUMNS = ("payslip_id", "kind", "code", "label", "amount", "taxable", "setsu", "note")


def write_lines(rows: list[tuple[Any, ...]]) -> None:
    """COPY the result lines (rows in LINE_COLUMNS order): the set-based write of a run (CONTRIBUTING.md §9)."""
    table = PayslipLine._meta.db_table
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(LINE_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _line(
    kind: str, code: str, label: str, amount: int, *, setsu: str = "", taxable: bool = True, note: str = ""
) -> Line:
    return Line(kind=kind, code=code, label=label, amount=amount, setsu=setsu, taxable=taxable, note=note)


def _base_pay(staff: Staff, appointment: Appointment, ctx: Context) -> tuple[int, str]:
    """給料 (or 報酬) of the month and the 給料表 it came from (§4.2, §4.4)."""
    if appointment.job_type == JobType.FISCAL_PART_HOURLY:
        worked = ctx.inputs.get(staff.pk)
        hours = Decimal(worked.hours_worked) if worked else Decimal(0)
        if hours < 0:
            raise NegativeHours(details={"field": "hours_worked", "staff": staff.number})
        return rules.truncate(hours * appointment.hourly_rate), ""
    if appointment.table_code:
        amount = ctx.steps.get((appointment.table_code, appointment.grade or 0, appointment.step or 0))
        if amount is None:
            raise StepOutsideTable(
                f"職員 {staff.number}: 給料表「{appointment.table_code}」に "
                f"{appointment.grade}級{appointment.step}号給は"
                "ありません。",
                details={"staff": staff.number, "grade": appointment.grade, "step": appointment.step},
            )
        return amount, appointment.table_code
    return appointment.monthly_amount, ""


def _kyosai_lines(
    staff: Staff, standard: int, pension_standard: int, month: date, params: dict[str, Any]
) -> list[Line]:
    lines = [
        _line(LineKind.DEDUCTION, "kyosai_short", "共済 短期掛金", rules.per_mille(standard, params["short"])),
        _line(
            LineKind.DEDUCTION, "kyosai_pension", "厚生年金保険料", rules.per_mille(pension_standard, params["pension"])
        ),
        _line(
            LineKind.DEDUCTION,
            "kyosai_retirement",
            "退職等年金給付掛金",
            rules.per_mille(pension_standard, params["retirement"]),
        ),
        _line(LineKind.DEDUCTION, "kyosai_welfare", "共済 福祉掛金", rules.per_mille(standard, params["welfare"])),
    ]
    if rules.care_applies(staff.birth_date, month):
        lines.insert(1, _line(LineKind.DEDUCTION, "kyosai_care", "介護掛金", rules.per_mille(standard, params["care"])))
    return lines


def _regular(staff: Staff, appointment: Appointment, ctx: Context) -> Result | None:
    run, params = ctx.run, ctx.params
    on_leave = appointment.status in (Status.LEAVE, Status.CHILDCARE)
    lines: list[Line] = []
    base, table_code = _base_pay(staff, appointment, ctx)
    if on_leave:
        base = 0
    lines.append(_line(LineKind.PAY, "base", "給料", base, setsu=SETSU_PAY, note=table_code))
    family = housing = commute = manager = 0
    if not on_leave:
        if appointment.job_type in FAMILY_JOB_TYPES:
            family = rules.family_allowance(
                children=staff.children,
                children_specific=staff.children_specific,
                parents=staff.parents,
                child=params["child"],
                specific=params["specific"],
                parent=params["parent"],
            )
            housing = rules.housing_allowance(staff.rent)
        commute = rules.commute_allowance(
            transit_pass=staff.transit_pass, car_km=staff.car_km, cap=params["cap"], car_bands=params["car_bands"]
        )
        manager = appointment.manager_allowance
    for code, label, amount, taxable in (
        ("family", "扶養手当", family, True),
        ("housing", "住居手当", housing, True),
        ("commute", "通勤手当", commute, False),
        ("manager", "管理職手当", manager, True),
    ):
        if amount:
            lines.append(_line(LineKind.ALLOWANCE, code, label, amount, setsu=SETSU_ALLOWANCE, taxable=taxable))
    monthly_input = ctx.inputs.get(staff.pk)
    if monthly_input is not None and not on_leave:
        hours = {key: getattr(monthly_input, key) for key in rules.OVERTIME_RATES}
        hourly_base = base if appointment.job_type != JobType.FISCAL_PART_HOURLY else appointment.hourly_rate * 155
        hourly = rules.hourly_pay(hourly_base)
        for key, amount in rules.overtime(hours, hourly).items():
            lines.append(
                _line(LineKind.ALLOWANCE, f"overtime_{key}", rules.OVERTIME_LABELS[key], amount, setsu=SETSU_ALLOWANCE)
            )
    for correction in ctx.corrections.get(staff.pk, []):
        label = f"過誤調整: {correction.label}" if correction.code != "difference" else correction.label
        lines.append(
            _line(
                LineKind.ALLOWANCE if correction.setsu != SETSU_PAY else LineKind.PAY,
                correction.code,
                label[:60],
                correction.amount,
                setsu=correction.setsu,
                taxable=correction.taxable,
                note=f"{correction.corrects_run.pay_month:%Y-%m} 分の訂正",
            )
        )
    gross = sum(line.amount for line in lines)
    non_taxable = min(commute, params["cap"])
    taxable_pay = gross - non_taxable
    # 共済 (§6.1): none while on 休職/育児休業; 標準報酬 from the month's fixed pay.
    standard = 0
    social = 0
    employer = 0
    if appointment.job_type in KYOSAI_JOB_TYPES and not on_leave:
        # The standard in force (§6.2); with none, the 資格取得時決定 from this month's fixed pay, recorded with
        # the run (calculate_run) so that later changes of pay go through 定時決定 or 随時改定.
        standard = ctx.standards.get(staff.pk) or 0
        if not standard:
            standard = rules.standard_remuneration(base + family + housing + commute + manager)
            ctx.acquired[staff.pk] = (base + family + housing + commute + manager, standard)
        kyosai = _kyosai_lines(staff, standard, rules.pension_standard(standard), run.pay_month, params)
        lines.extend(kyosai)
        social += sum(line.amount for line in kyosai)
        employer = social
    if staff.employment_insurance and appointment.job_type not in KYOSAI_JOB_TYPES:
        premium = rules.half_down(Decimal(gross) * params["employment"] / 1000)
        lines.append(_line(LineKind.DEDUCTION, "employment", "雇用保険料", premium))
        social += premium
    after_social = max(0, taxable_pay - social)
    tax = monthly_tax(
        after_social, staff.tax_dependents, run.paid_on, method=params["method"], column=staff.withholding_column
    )
    lines.append(_line(LineKind.DEDUCTION, "income_tax", "所得税", tax))
    notice = ctx.notices.get(staff.pk)
    if notice is not None:
        resident = instalment_for(notice.annual, run.pay_month)
        leaving = ctx.leaving_next.get(staff.pk)
        if leaving is not None and (leaving.resident_tax_on_leaving or "lump_sum") == "lump_sum":
            resident += remaining_after(notice.annual, run.pay_month)
        if resident:
            lines.append(_line(LineKind.DEDUCTION, "resident_tax", "住民税", resident, note=notice.city_code))
    for label, amount in sorted((staff.other_deductions or {}).items()):
        if int(amount):
            lines.append(_line(LineKind.DEDUCTION, f"other:{label}"[:30], str(label)[:60], int(amount)))
    return _result(staff, appointment, lines, gross=gross, taxable=taxable_pay, standard=standard, employer=employer)


def _bonus(staff: Staff, appointment: Appointment, ctx: Context) -> Result | None:
    """期末手当・勤勉手当 (§5.6) with their 共済 (標準期末手当等) and 所得税 (算出率, §1.5)."""
    run, params = ctx.run, ctx.params
    if appointment.status != Status.ACTIVE or appointment.job_type == JobType.FISCAL_PART_HOURLY:
        return None
    base, _ = _base_pay(staff, appointment, ctx)
    family = 0
    if appointment.job_type in FAMILY_JOB_TYPES:
        family = rules.family_allowance(
            children=staff.children,
            children_specific=staff.children_specific,
            parents=staff.parents,
            child=params["child"],
            specific=params["specific"],
            parent=params["parent"],
        )
    months = rules.service_months(ctx.hired_on.get(staff.pk, run.pay_month), run.pay_month)
    ratio = rules.service_ratio(months)
    kimatsu = rules.kimatsu(base=base, family=family, months=params["kimatsu"], ratio=ratio)
    rated = ctx.inputs.get(staff.pk)
    rate = rated.kinben_rate if rated is not None and rated.kinben_rate is not None else params["kinben"]
    kinben = rules.kinben(base=base, rate=rate, ratio=ratio)
    lines = [
        _line(LineKind.ALLOWANCE, "kimatsu", "期末手当", kimatsu, setsu=SETSU_ALLOWANCE, note=f"在職期間率 {ratio}"),
        _line(LineKind.ALLOWANCE, "kinben", "勤勉手当", kinben, setsu=SETSU_ALLOWANCE, note=f"成績率 {rate}"),
    ]
    gross = kimatsu + kinben
    social = 0
    standard = rules.standard_bonus(gross)
    employer = 0
    if appointment.job_type in KYOSAI_JOB_TYPES:
        pension_base = min(standard, rules.BONUS_PENSION_CAP)
        kyosai = _kyosai_lines(staff, standard, pension_base, run.pay_month, params)
        lines.extend(kyosai)
        social = sum(line.amount for line in kyosai)
        employer = social
    elif staff.employment_insurance:
        premium = rules.half_down(Decimal(gross) * params["employment"] / 1000)
        lines.append(_line(LineKind.DEDUCTION, "employment", "雇用保険料", premium))
        social += premium
    previous = ctx.previous_taxable_net.get(staff.pk, 0)
    tax = bonus_tax(
        max(0, gross - social),
        previous,
        staff.tax_dependents,
        run.paid_on,
        column=staff.withholding_column,
        method=params["method"],
    )
    lines.append(_line(LineKind.DEDUCTION, "income_tax", "所得税", tax))
    return _result(staff, appointment, lines, gross=gross, taxable=gross, standard=standard, employer=employer)


def _result(
    staff: Staff,
    appointment: Appointment,
    lines: list[Line],
    *,
    gross: int,
    taxable: int,
    standard: int,
    employer: int,
) -> Result:
    deductions = sum(line.amount for line in lines if line.kind == LineKind.DEDUCTION)
    slip = Payslip(
        staff=staff,
        staff_number=staff.number,
        staff_name=staff.name,
        unit_code=appointment.unit_code,
        unit_name=appointment.unit_name,
        job_type=appointment.job_type,
        grade=appointment.grade,
        step=appointment.step,
        gross=gross,
        taxable=taxable,
        deductions=deductions,
        net=gross - deductions,
        standard_remuneration=standard,
        employer_kyosai=employer,
    )
    return Result(slip=slip, lines=lines)


def _changes(result: Result, appointment: Appointment, ctx: Context) -> list[dict[str, Any]]:
    """Differences from the last locked 例月 payslip, each with its reason (§7.3)."""
    staff_id = result.slip.staff_id
    before = ctx.previous.get(staff_id)
    if before is None:
        return [{"code": "new", "reason": "前月の給与明細がありません(新規採用など)。"}]
    old = ctx.previous_lines.get(staff_id, {})
    new = {line.code: line.amount for line in result.lines}
    changes = []
    for code in sorted(set(old) | set(new)):
        if old.get(code, 0) != new.get(code, 0):
            reason = "金額の変更"
            if code == "base" and (before.grade, before.step) != (appointment.grade, appointment.step):
                reason = f"発令({appointment.get_kind_display()} {appointment.effective_on.isoformat()})"
            elif code == "base":
                reason = "給料表の改定または勤務状態の変更"
            elif code.startswith("overtime_"):
                reason = "時間外勤務の実績"
            elif code in ("correction", "difference"):
                reason = "過誤調整・差額支給"
            elif code == "resident_tax":
                reason = "住民税の年度替わり・税額変更"
            changes.append({"code": code, "before": old.get(code, 0), "after": new.get(code, 0), "reason": reason})
    if before.unit_code != result.slip.unit_code:
        changes.append(
            {"code": "unit", "before": before.unit_name, "after": result.slip.unit_name, "reason": "所属の異動"}
        )
    return changes


def calculate_run(*, actor: Any, run: PayRun, progress: Any = None) -> PayRun:
    """(Re)calculate every payslip of an unlocked run: idempotent — the previous result is replaced as a whole,
    and any bad input stops the whole run with nothing written (§7.2)."""
    with transaction.atomic():
        run = PayRun.objects.select_for_update().get(pk=run.pk)
        _refuse_locked(run)
        if run.state == PayRun.State.APPROVED:
            raise RunStateError("承認済みの給与計算は再計算できません。承認を取り消してから再計算してください。")
        ctx = _context(run)
        appointments = _appointments_in_force(run.pay_month)
        staff_rows = list(Staff.objects.filter(pk__in=appointments.keys()).order_by("number"))
        results: list[tuple[Result, Appointment]] = []
        total = len(staff_rows)
        for index, staff in enumerate(staff_rows, start=1):
            appointment = appointments[staff.pk]
            if appointment.status == Status.LEFT or appointment.job_type == JobType.PREFECTURAL_TEACHER:
                continue
            compute = _bonus if run.kind == PayRun.Kind.BONUS else _regular
            result = compute(staff, appointment, ctx)
            if result is not None:
                results.append((result, appointment))
            if progress is not None and index % 500 == 0:
                progress(index, total)
        Payslip.objects.filter(run=run).delete()
        Correction.objects.filter(settled_in=run).update(settled_in=None)
        for result, appointment in results:
            result.slip.run = run
            result.slip.changes = _changes(result, appointment, ctx) if run.kind == PayRun.Kind.REGULAR else []
        slips = Payslip.objects.bulk_create([result.slip for result, _ in results], batch_size=2000)
        write_lines(
            [
                (slip.pk, line.kind, line.code, line.label, line.amount, line.taxable, line.setsu, line.note)
                for slip, (result, _) in zip(slips, results, strict=True)
                for line in result.lines
            ]
        )
        if run.kind == PayRun.Kind.REGULAR and ctx.acquired:
            StandardRemuneration.objects.bulk_create(
                [
                    StandardRemuneration(
                        staff_id=staff_id,
                        effective_from=run.pay_month,
                        average=average,
                        standard=standard,
                        reason=StandardRemuneration.Reason.ACQUISITION,
                    )
                    for staff_id, (average, standard) in ctx.acquired.items()
                ],
                ignore_conflicts=True,
            )
        if run.kind == PayRun.Kind.REGULAR:
            staff_ids = [result.slip.staff_id for result, _ in results]
            Correction.objects.filter(settled_in__isnull=True, staff_id__in=staff_ids).update(settled_in=run)
        by_id, by_name = actor_fields(actor)
        run.totals = totals_of(run)
        run.state = PayRun.State.REVIEW
        run.calculated_by_id, run.calculated_by_name, run.calculated_at = by_id, by_name, timezone.now()
        run.save(update_fields=["totals", "state", "calculated_by_id", "calculated_by_name", "calculated_at"])
        audit.record(
            actor=actor,
            action="payroll.run_calculate",
            obj=run,
            purpose="給与計算",
            personal_data=True,
            details={"payslips": len(slips), **run.totals},
        )
    if progress is not None:
        progress(total, total)
    return run


def totals_of(run: PayRun) -> dict[str, int]:
    from django.db.models import Count, Sum

    row = Payslip.objects.filter(run=run).aggregate(
        count=Count("id"),
        gross=Sum("gross"),
        deductions=Sum("deductions"),
        net=Sum("net"),
        employer=Sum("employer_kyosai"),
    )
    return {key: int(value or 0) for key, value in row.items()}


# --- approval and lock -------------------------------------------------------------------------------------------


def approve_run(*, actor: Any, run: PayRun) -> PayRun:
    """Approval by a second person: whoever calculated the run cannot approve it (§7.4)."""
    by_id, by_name = actor_fields(actor)
    with transaction.atomic():
        run = PayRun.objects.select_for_update().get(pk=run.pk)
        _refuse_locked(run)
        if run.state != PayRun.State.REVIEW:
            raise RunStateError("確認待ちの給与計算だけを承認できます。")
        if by_id is not None and by_id == run.calculated_by_id:
            raise SelfApproval()
        run.state = PayRun.State.APPROVED
        run.approved_by_id, run.approved_by_name, run.approved_at = by_id, by_name, timezone.now()
        run.save(update_fields=["state", "approved_by_id", "approved_by_name", "approved_at"])
        audit.record(actor=actor, action="payroll.run_approve", obj=run, details=run.totals)
    return run


def lock_run(*, actor: Any, run: PayRun) -> PayRun:
    """確定: from now on the run never changes (§7.5)."""
    with transaction.atomic():
        run = PayRun.objects.select_for_update().get(pk=run.pk)
        _refuse_locked(run)
        if run.state != PayRun.State.APPROVED:
            raise RunStateError("承認済みの給与計算だけを確定できます。")
        run.state = PayRun.State.LOCKED
        run.locked_at = timezone.now()
        run.save(update_fields=["state", "locked_at"])
        audit.record(actor=actor, action="payroll.run_lock", obj=run, details=run.totals)
    return run


def record_correction(
    *,
    actor: Any,
    staff: Staff,
    corrects_run: PayRun,
    label: str,
    amount: int,
    setsu: str = SETSU_PAY,
    taxable: bool = True,
) -> Correction:
    """A 過誤調整 of a locked run, paid (or recovered) in the next run calculated (§7.5)."""
    corrects_run = PayRun.objects.get(pk=corrects_run.pk)
    if not corrects_run.locked:
        raise RunStateError("確定前の給与計算は、過誤調整ではなく再計算で訂正してください。")
    if setsu not in (SETSU_PAY, SETSU_ALLOWANCE):
        raise PayrollInputError("過誤調整の節は 02(給料)または 03(職員手当等)です。", code="payroll_invalid_setsu")
    by_id, by_name = actor_fields(actor)
    with transaction.atomic():
        correction = Correction.objects.create(
            staff=staff,
            corrects_run=corrects_run,
            label=label[:60],
            amount=amount,
            setsu=setsu,
            taxable=taxable,
            recorded_by_id=by_id,
            recorded_by_name=by_name,
        )
        audit.record(
            actor=actor,
            action="payroll.correction",
            obj=staff,
            purpose="過誤調整",
            personal_data=True,
            details={"run": str(corrects_run.public_id), "amount": amount, "label": label},
        )
    return correction


def record_monthly_input(*, actor: Any, staff: Staff, pay_month: date, **hours: Decimal) -> MonthlyInput:
    """The month's 時間外 hours (and hours worked for 時間額 staff); negative hours are refused."""
    allowed = set(rules.OVERTIME_RATES) | {"hours_worked", "kinben_rate"}
    if set(hours) - allowed:
        raise PayrollInputError("不明な時間数の項目です。", code="payroll_unknown_field")
    for key, value in hours.items():
        if value is not None and Decimal(value) < 0:
            raise NegativeHours(details={"field": key})
    month = pay_month.replace(day=1)
    if PayRun.objects.filter(kind=PayRun.Kind.REGULAR, pay_month=month, state=PayRun.State.LOCKED).exists():
        raise RunLocked()
    with transaction.atomic():
        row, _ = MonthlyInput.objects.update_or_create(staff=staff, pay_month=month, defaults=hours)
        audit.record(
            actor=actor,
            action="payroll.monthly_input",
            obj=staff,
            purpose="勤務実績の入力",
            personal_data=True,
            details={"month": str(month), **{k: str(v) for k, v in hours.items()}},
        )
    return row


INPUT_COLUMNS = ("hours_125", "hours_135", "hours_150", "hours_175", "hours_night", "hours_worked", "kinben_rate")


def record_monthly_inputs_csv(*, actor: Any, pay_month: date, text: str) -> int:
    """The month's 勤務実績 of many staff from CSV (職員番号,125%,135%,150%,175%,深夜,勤務時間,成績率; empty cells
    are 0, an empty 成績率 the standard rate): every row checked by the rules of ``record_monthly_input`` first, then
    all written in one transaction, or none."""
    import csv
    import io

    month = pay_month.replace(day=1)
    if PayRun.objects.filter(kind=PayRun.Kind.REGULAR, pay_month=month, state=PayRun.State.LOCKED).exists():
        raise RunLocked()
    errors: list[str] = []
    parsed: list[tuple[str, dict[str, Decimal | None]]] = []
    for number, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        cells = [cell.strip() for cell in row]
        if not cells or not "".join(cells):
            continue
        if number == 1 and not cells[0][:1].isdigit():
            continue
        values: dict[str, Decimal | None] = {}
        try:
            for key, cell in zip(INPUT_COLUMNS, [*cells[1:], *[""] * len(INPUT_COLUMNS)], strict=False):
                values[key] = Decimal(cell) if cell else (None if key == "kinben_rate" else Decimal(0))
        except ArithmeticError:
            errors.append(f"{number}行目: 時間数は数値で入力してください。")
            continue
        negative = [key for key, value in values.items() if value is not None and value < 0]
        if negative:
            errors.append(f"{number}行目: {NegativeHours.message}")
            continue
        parsed.append((cells[0], values))
    staff = {s.number: s for s in Staff.objects.filter(number__in=[key for key, _ in parsed])}
    errors += [f"職員番号 {key} の職員はいません。" for key, _ in parsed if key not in staff]
    if errors or not parsed:
        raise PayrollInputError(
            "勤務実績のCSVに誤りがあります: " + (" / ".join(errors[:5]) or "データ行がありません。"),
            code="payroll_input_csv_invalid",
            details={"errors": errors},
        )
    with transaction.atomic():
        for key, values in parsed:
            MonthlyInput.objects.update_or_create(staff=staff[key], pay_month=month, defaults=values)
        audit.record(
            actor=actor,
            action="payroll.monthly_input",
            obj=("payroll.MonthlyInput", str(month), f"{month:%Y-%m}"),
            purpose="勤務実績の入力",
            personal_data=True,
            details={"month": str(month), "staff": [key for key, _ in parsed]},
        )
    return len(parsed)
