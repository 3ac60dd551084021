"""One person's pay (docs/domain/payroll.md §5–§6): the inputs of a run read once (``Context``) and the rule
functions that turn a 発令 into payslip lines; the run lifecycle around them is payroll.services.runs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q

from payroll import childcare, leave, part_time, proration, rules
from payroll import parameters as p
from payroll.errors import (
    NegativeHours,
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
from payroll.selectors import SOCIAL_CODES
from payroll.services import month_pay
from payroll.withholding import bonus_table_note, bonus_tax, monthly_tax
from payroll.year_end_settlement import Settlement, readjustments_for, settlements_for

KYOSAI_JOB_TYPES = frozenset({JobType.GENERAL, JobType.FISCAL_FULL, JobType.SPECIAL})
FAMILY_JOB_TYPES = frozenset({JobType.GENERAL, JobType.FISCAL_FULL})
SETSU_PAY = "02"
SETSU_ALLOWANCE = "03"
SETSU_KYOSAI = "04"


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
    year_end: dict[int, Settlement] = field(default_factory=dict)  # 年末調整の過不足額 settled this month (§13.10)
    readjustments: dict[int, list[Settlement]] = field(default_factory=dict)  # 再年末調整 settled this month (§13.11)
    first: dict[int, Appointment] = field(default_factory=dict)  # the 発令 in force on the 1st
    within: dict[int, list[Appointment]] = field(default_factory=dict)  # 発令 from the 2nd to the month's end
    special: dict[int, list[tuple[str, int]]] = field(default_factory=dict)
    part_time_averages: dict[int, int] = field(default_factory=dict)
    childcare: dict[int, list[childcare.LeavePeriod]] = field(default_factory=dict)  # 育児休業 periods (§6.1a)
    histories: dict[int, list[Appointment]] = field(default_factory=dict)  # bonus runs: 発令 up to the 基準日

    def bonus_ratios(self, staff_id: int) -> tuple[Decimal, Decimal]:
        """期末手当's 在職期間 ratio and 勤勉手当's 期間率 on the 基準日, 休職 deducted (§5.6)."""
        day = self.run.pay_month
        window = rules.months_before(day, 6) + timedelta(days=1)
        days = leave.deducted_leave_days(self.histories.get(staff_id, []), window, day)
        return rules.bonus_ratios(self.hired_on.get(staff_id, day), day, days)

    def parts(self, staff_id: int) -> list[proration.Period]:
        """The pay month split by the 発令 of the month (§4a); a bonus run uses the state on its 基準日 only."""
        first = self.first.get(staff_id)
        if self.run.kind == PayRun.Kind.BONUS:
            return [proration.Period(self.run.pay_month, self.month_end, first)] if first else []
        return proration.periods(first, self.within.get(staff_id, []), self.run.pay_month)


@dataclass
class Result:
    slip: Payslip
    lines: list[Line] = field(default_factory=list)
    prorate: str = ""  # the 日割 reason shown on the review (§4a.4)
    exemption: str = ""  # why no 共済掛金 is due (育児休業, §6.1a), shown on the review


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
        "basis": p.text_setting(p.PRORATE_BASIS, day),
        "regional": p.regional_rate(day),
        "special_kinds": p.special_duty_kinds(day),
        "min_weekly": p.decimal_setting(p.PART_TIME_MIN_WEEKLY_HOURS, day),
        "pt_kinben": p.decimal_setting(p.PART_TIME_KINBEN_MONTHS, day),
        "pt_kinben_weekly": p.decimal_setting(p.PART_TIME_KINBEN_MIN_WEEKLY_HOURS, day),
        "pt_min_term": p.int_setting(p.PART_TIME_MIN_TERM_MONTHS, day),
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


def _appointments_within(month: date, month_end: date) -> dict[int, list[Appointment]]:
    within: dict[int, list[Appointment]] = defaultdict(list)
    for row in Appointment.objects.filter(effective_on__gt=month, effective_on__lte=month_end).order_by("effective_on"):
        within[row.staff_id].append(row)
    return within


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
        for staff_id, slip in previous.items():
            social = sum(v for k, v in previous_lines[staff_id].items() if k in SOCIAL_CODES)
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
        year_end=settlements_for(month) if run.kind == PayRun.Kind.REGULAR else {},
        readjustments=readjustments_for(month) if run.kind == PayRun.Kind.REGULAR else {},
        first=_appointments_in_force(month),
        within=_appointments_within(month, month_end) if run.kind == PayRun.Kind.REGULAR else {},
        special=month_pay.special_duties(month) if run.kind == PayRun.Kind.REGULAR else {},
        part_time_averages=month_pay.part_time_averages(month) if run.kind == PayRun.Kind.BONUS else {},
        childcare=month_pay.childcare_periods(),
        histories=month_pay.histories(month) if run.kind == PayRun.Kind.BONUS else {},
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
    return month_pay.full_amount(staff.number, appointment, ctx.steps), appointment.table_code


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


def _fixed_allowances(
    staff: Staff, appointment: Appointment, ctx: Context, *, on_leave: bool
) -> tuple[int, int, int, int]:
    """扶養・住居・通勤・管理職手当 of a whole month (none while on 休職/育児休業)."""
    family = housing = commute = manager = 0
    if not on_leave:
        if appointment.job_type in FAMILY_JOB_TYPES:
            family = rules.family_allowance(
                children=staff.children,
                children_specific=staff.children_specific,
                parents=staff.parents,
                child=ctx.params["child"],
                specific=ctx.params["specific"],
                parent=ctx.params["parent"],
            )
            housing = rules.housing_allowance(staff.rent)
        commute = rules.commute_allowance(
            transit_pass=staff.transit_pass,
            car_km=staff.car_km,
            cap=ctx.params["cap"],
            car_bands=ctx.params["car_bands"],
        )
        manager = appointment.manager_allowance
    return family, housing, commute, manager


def _overtime_and_corrections(
    staff: Staff, appointment: Appointment, ctx: Context, *, base: int, on_leave: bool
) -> list[Line]:
    """時間外勤務手当 from the month's input (the hourly rate on the whole-month 給料 and its 地域手当, §5.4), the
    特殊勤務手当 (§5.8), then the 過誤調整 settled in this run."""
    lines: list[Line] = []
    monthly_input = ctx.inputs.get(staff.pk)
    if monthly_input is not None and not on_leave:
        hours = {key: getattr(monthly_input, key) for key in rules.OVERTIME_RATES}
        hourly_base = rules.with_regional(base, _regional_rate(appointment, ctx))
        if appointment.job_type == JobType.FISCAL_PART_HOURLY:
            hourly_base = appointment.hourly_rate * 155
        hourly = rules.hourly_pay(hourly_base)
        for key, amount in rules.overtime(hours, hourly).items():
            lines.append(
                _line(LineKind.ALLOWANCE, f"overtime_{key}", rules.OVERTIME_LABELS[key], amount, setsu=SETSU_ALLOWANCE)
            )
    duties = month_pay.special_duty_lines(staff.number, ctx.special.get(staff.pk, []), ctx.params["special_kinds"])
    for duty in duties:
        lines.append(
            _line(LineKind.ALLOWANCE, duty.code, duty.label, duty.amount, setsu=SETSU_ALLOWANCE, note=duty.note)
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
    return lines


def _resident_and_other_lines(staff: Staff, ctx: Context) -> list[Line]:
    """The 年末調整's 過不足額 settled this month (§13.10), 住民税 (the whole remainder when leaving with 一括徴収) and
    the staff member's other deductions."""
    run = ctx.run
    lines: list[Line] = []
    settlement = ctx.year_end.get(staff.pk)
    settled = ([settlement] if settlement is not None else []) + ctx.readjustments.get(staff.pk, [])
    for item in settled:
        lines.append(_line(LineKind.DEDUCTION, item.code, item.label, item.deduction, note=item.note))
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
    return lines


def _regional_rate(appointment: Appointment, ctx: Context) -> Decimal:
    return ctx.params["regional"] if appointment.job_type in month_pay.REGIONAL_JOB_TYPES else Decimal(0)


# long: the order of a payslip (pay, allowances, 共済, 雇用保険, 所得税, 住民税) reads best as one sequence
def _regular(staff: Staff, appointment: Appointment, ctx: Context) -> Result | None:
    run, params = ctx.run, ctx.params
    parts = ctx.parts(staff.pk)
    # 休職・育児休業 by the state at the end of the month (§4a.3, §6.1); 日割 by the periods of the month (§4a).
    on_leave = appointment.status in (Status.LEAVE, Status.CHILDCARE)
    lines: list[Line] = []
    full_base, table_code = _base_pay(staff, appointment, ctx)
    pay = month_pay.MonthPay(base=0, manager=0)
    if appointment.job_type == JobType.FISCAL_PART_HOURLY and not on_leave:
        pay = month_pay.MonthPay(base=full_base, manager=appointment.manager_allowance)
    elif appointment.job_type != JobType.FISCAL_PART_HOURLY:
        pay = month_pay.month_pay(staff.number, parts, run.pay_month, ctx)
    base = pay.base
    note = " ".join(filter(None, [table_code, pay.note]))
    lines.append(_line(LineKind.PAY, "base", "給料", base, setsu=SETSU_PAY, note=note))
    family, housing, commute, full_manager = _fixed_allowances(staff, appointment, ctx, on_leave=False)
    full_regional = rules.regional_allowance(full_base + family + full_manager, _regional_rate(appointment, ctx))
    full_fixed = full_base + family + housing + commute + full_manager + full_regional
    # 扶養・住居・通勤手当 follow the state on the 1st: a hire after the 1st starts them the next month (§4a.3); a
    # paid 休職 on the 1st keeps the 発令's share of 扶養・住居手当 and no 通勤手当 (§4b).
    first = ctx.first.get(staff.pk)
    share = leave.share_on(first, run.pay_month) if first is not None else 0
    leave_note = leave.ratio_text(first) if first is not None else ""
    if share == 0:
        family = housing = commute = 0
    elif first is not None and first.status == Status.LEAVE:
        family, housing, commute = leave.shared(family, share), leave.shared(housing, share), 0
    manager = pay.manager
    regional = rules.regional_allowance(base + family + manager, _regional_rate(appointment, ctx))
    for code, label, amount, taxable in (
        ("family", "扶養手当", family, True),
        ("housing", "住居手当", housing, True),
        ("commute", "通勤手当", commute, False),
        ("manager", "管理職手当", manager, True),
        ("regional", "地域手当", regional, True),
    ):
        if amount:
            note = leave_note if code in ("family", "housing") else ""
            lines.append(
                _line(LineKind.ALLOWANCE, code, label, amount, setsu=SETSU_ALLOWANCE, taxable=taxable, note=note)
            )
    lines.extend(_overtime_and_corrections(staff, appointment, ctx, base=full_base, on_leave=on_leave))
    gross = sum(line.amount for line in lines)
    non_taxable = min(commute, params["cap"])
    taxable_pay = gross - non_taxable
    # 共済 (§6.1): none when the month ends in an unpaid 休職 (a paid one contributes, §4b); 育児休業 by its own
    # rule (月末 or 14日以上, §6.1a);
    # 標準報酬 from the month's fixed pay.
    standard = 0
    social = 0
    employer = 0
    # No 共済 in the month of losing membership: it is lost on the day after leaving (§6.1, §4a.3).
    leaves = any(part.appointment.status == Status.LEFT for part in parts)
    exemption = childcare.monthly_exemption(ctx.childcare.get(staff.pk, []), run.pay_month)
    if appointment.status == Status.LEAVE:
        exemption = ""
    unpaid_leave = appointment.status == Status.LEAVE and leave.share_on(appointment, ctx.month_end) == 0
    kyosai_due = not unpaid_leave and not exemption and not leaves
    if appointment.job_type in KYOSAI_JOB_TYPES and kyosai_due:
        # The standard in force (§6.2); with none, the 資格取得時決定 from the whole-month fixed pay (not the 日割
        # amount), recorded with the run (calculate_run) so that later changes go through 定時決定 or 随時改定.
        standard = ctx.standards.get(staff.pk) or 0
        if not standard:
            standard = rules.standard_remuneration(full_fixed)
            ctx.acquired[staff.pk] = (full_fixed, standard)
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
    lines.extend(_resident_and_other_lines(staff, ctx))
    result = _result(staff, appointment, lines, gross=gross, taxable=taxable_pay, standard=standard, employer=employer)
    result.prorate = pay.reason
    if appointment.job_type in KYOSAI_JOB_TYPES:
        result.exemption = exemption
    return result


def _part_time_bonus(staff: Staff, appointment: Appointment, ctx: Context) -> list[Line]:
    """期末手当・勤勉手当 of a part-time 会計年度任用職員 (§5.9): the base is the 報酬月額, or for hourly staff the
    average monthly 報酬 of the six months before the 基準日; who is paid is ``part_time.eligibility``."""
    run, params = ctx.run, ctx.params
    hourly = appointment.job_type == JobType.FISCAL_PART_HOURLY
    average = ctx.part_time_averages.get(staff.pk, 0) if hourly else int(appointment.monthly_amount)
    hired_on = ctx.hired_on.get(staff.pk, run.pay_month)
    allowed = part_time.eligibility(appointment=appointment, hired_on=hired_on, base_day=run.pay_month, params=params)
    if not average or not allowed.kimatsu:
        return []
    ratio, kinben_ratio = ctx.bonus_ratios(staff.pk)
    amount = rules.part_time_kimatsu(average=average, months=params["kimatsu"], ratio=ratio)
    basis = f"報酬の月平均 {average}円" if hourly else f"報酬月額 {average}円"
    note = f"{basis} × {params['kimatsu']}月 × 在職期間率 {ratio}"
    lines = [_line(LineKind.ALLOWANCE, "kimatsu", "期末手当", amount, setsu=SETSU_ALLOWANCE, note=note)]
    if allowed.kinben:
        rated = ctx.inputs.get(staff.pk)
        rate = rated.kinben_rate if rated is not None and rated.kinben_rate is not None else params["pt_kinben"]
        kinben = rules.kinben(base=average, rate=rate, ratio=kinben_ratio)
        note = f"{basis} × 成績率 {rate} × 期間率 {kinben_ratio}"
        lines.append(_line(LineKind.ALLOWANCE, "kinben", "勤勉手当", kinben, setsu=SETSU_ALLOWANCE, note=note))
    return lines


def _bonus(staff: Staff, appointment: Appointment, ctx: Context) -> Result | None:
    """期末手当・勤勉手当 (§5.6, §5.9) with their 共済 (標準期末手当等) and 所得税 (算出率, §1.5); a paid 休職 on the
    基準日 gets its share of the 期末手当 only (§4b)."""
    if appointment.status != Status.ACTIVE and not (
        appointment.status == Status.LEAVE
        and appointment.job_type not in part_time.PART_TIME_JOB_TYPES
        and leave.share_on(appointment, ctx.run.pay_month)
    ):
        return None
    if appointment.job_type in part_time.PART_TIME_JOB_TYPES:
        lines = _part_time_bonus(staff, appointment, ctx)
        return _bonus_deductions(staff, appointment, ctx, lines) if lines else None
    return _bonus_deductions(staff, appointment, ctx, _bonus_amounts(staff, appointment, ctx))


def _bonus_amounts(staff: Staff, appointment: Appointment, ctx: Context) -> list[Line]:
    """期末手当・勤勉手当 of staff paid from a 給料 (§5.6): bases with their 地域手当 (§5.7)."""
    run, params = ctx.run, ctx.params
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
    ratio, kinben_ratio = ctx.bonus_ratios(staff.pk)
    regional = _regional_rate(appointment, ctx)
    kimatsu = rules.kimatsu(base=base, family=family, months=params["kimatsu"], ratio=ratio, regional=regional)
    rated = ctx.inputs.get(staff.pk)
    rate = rated.kinben_rate if rated is not None and rated.kinben_rate is not None else params["kinben"]
    kinben = rules.kinben(base=base, rate=rate, ratio=kinben_ratio, regional=regional)
    if appointment.status == Status.LEAVE:
        share = leave.share_on(appointment, run.pay_month)
        note = f"在職期間率 {ratio} {leave.ratio_text(appointment)}"
        kimatsu = leave.shared(kimatsu, share)
        return [_line(LineKind.ALLOWANCE, "kimatsu", "期末手当", kimatsu, setsu=SETSU_ALLOWANCE, note=note)]
    kinben_note = f"成績率 {rate} 期間率 {kinben_ratio}"
    return [
        _line(LineKind.ALLOWANCE, "kimatsu", "期末手当", kimatsu, setsu=SETSU_ALLOWANCE, note=f"在職期間率 {ratio}"),
        _line(LineKind.ALLOWANCE, "kinben", "勤勉手当", kinben, setsu=SETSU_ALLOWANCE, note=kinben_note),
    ]


def _bonus_deductions(staff: Staff, appointment: Appointment, ctx: Context, lines: list[Line]) -> Result:
    """共済 on the 標準期末手当等 (or 雇用保険) and the bonus 所得税 (算出率, §1.5) of the bonus ``lines``."""
    run, params = ctx.run, ctx.params
    gross = sum(line.amount for line in lines)
    social = 0
    standard = rules.standard_bonus(gross)
    employer = 0
    # 育児休業 holding the payment month's last day and longer than one month: no 掛金 on the bonus (§6.1a).
    exemption = ""
    if appointment.job_type in KYOSAI_JOB_TYPES:
        exemption = childcare.bonus_exemption(ctx.childcare.get(staff.pk, []), run.paid_on)
    if appointment.job_type in KYOSAI_JOB_TYPES and not exemption:
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
    lines.append(_line(LineKind.DEDUCTION, "income_tax", "所得税", tax, note=bonus_table_note(run.paid_on)))
    result = _result(staff, appointment, lines, gross=gross, taxable=gross, standard=standard, employer=employer)
    result.exemption = exemption
    return result


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
