"""給与計算 runs (docs/domain/payroll.md §7): calculate (a background job) → review → approval → lock.

The calculation is set-based: every input is read once into memory (発令, 給料表, monthly input, 住民税, 過誤調整),
each payslip is computed by the rule functions, and the result rows are written with bulk inserts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from common import audit
from common.jobs import JobRun, start_job
from common.models import Job
from payroll import rules
from payroll.errors import (
    NegativeHours,
    PayrollInputError,
    RunLocked,
    RunNotFound,
    RunStateError,
    SelfApproval,
)
from payroll.models import (
    Appointment,
    Correction,
    JobType,
    MonthlyInput,
    PayRun,
    Payslip,
    Staff,
    StandardRemuneration,
)
from payroll.services import approval
from payroll.services.calculation import LINE_COLUMNS as LINE_COLUMNS  # re-exported: callers import it from here
from payroll.services.calculation import (
    SETSU_ALLOWANCE,
    SETSU_PAY,
    Context,
    Result,
    _bonus,
    _context,
    _regular,
    write_lines,
)
from payroll.services.common import actor_fields
from payroll.services.month_pay import main_appointment
from payroll.services.review import changes as review_changes

CALCULATE_JOB = "payroll.calculate"


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


def _compute_all(run: PayRun, ctx: Context, progress: Any) -> tuple[list[tuple[Result, Appointment]], int]:
    """Every payslip of the run computed in memory (nothing written); returns them and the number of staff."""
    staff_ids = set(ctx.first) | set(ctx.within)  # in service on the 1st, or hired later in the month (§4a)
    staff_rows = list(Staff.objects.filter(pk__in=staff_ids).order_by("number"))
    results: list[tuple[Result, Appointment]] = []
    total = len(staff_rows)
    for index, staff in enumerate(staff_rows, start=1):
        appointment = main_appointment(ctx.parts(staff.pk))
        if appointment is None or appointment.job_type == JobType.PREFECTURAL_TEACHER:
            continue
        compute = _bonus if run.kind == PayRun.Kind.BONUS else _regular
        result = compute(staff, appointment, ctx)
        if result is not None:
            results.append((result, appointment))
        if progress is not None and index % 500 == 0:
            progress(index, total)
    return results, total


def _record_acquisitions(run: PayRun, ctx: Context) -> None:
    """The 資格取得時決定 made while calculating a regular run (§6.2), recorded with it."""
    if not ctx.acquired:
        return
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


def calculate_run(*, actor: Any, run: PayRun, progress: Any = None) -> PayRun:
    """(Re)calculate every payslip of an unlocked run: idempotent — the previous result is replaced as a whole,
    and any bad input stops the whole run with nothing written (§7.2)."""
    with transaction.atomic():
        run = PayRun.objects.select_for_update().get(pk=run.pk)
        _refuse_locked(run)
        if run.state == PayRun.State.APPROVED:
            raise RunStateError("承認済みの給与計算は再計算できません。承認を取り消してから再計算してください。")
        ctx = _context(run)
        results, total = _compute_all(run, ctx, progress)
        Payslip.objects.filter(run=run).delete()
        Correction.objects.filter(settled_in=run).update(settled_in=None)
        for result, appointment in results:
            result.slip.run = run
            result.slip.changes = review_changes(result, appointment, ctx) if run.kind == PayRun.Kind.REGULAR else []
        slips = Payslip.objects.bulk_create([result.slip for result, _ in results], batch_size=2000)
        write_lines(
            [
                (slip.pk, line.kind, line.code, line.label, line.amount, line.taxable, line.setsu, line.note)
                for slip, (result, _) in zip(slips, results, strict=True)
                for line in result.lines
            ]
        )
        if run.kind == PayRun.Kind.REGULAR:
            _record_acquisitions(run, ctx)
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


# The run's refusals (§7.4–§7.5); a run approved by a job with no identified person is allowed (no self-approval).
_REFUSALS = approval.Refusals(
    locked=approval.refusal(RunLocked),
    not_in_review=approval.refusal(RunStateError, "確認待ちの給与計算だけを承認できます。"),
    not_approved=approval.refusal(RunStateError, "承認済みの給与計算だけを確定できます。"),
    self_approval=approval.refusal(SelfApproval),
)


def approve_run(*, actor: Any, run: PayRun) -> PayRun:
    """Approval by a second person: whoever calculated the run cannot approve it (§7.4)."""
    with transaction.atomic():
        run = PayRun.objects.select_for_update().get(pk=run.pk)
        approval.approve(run, actor=actor, refusals=_REFUSALS)
        audit.record(actor=actor, action="payroll.run_approve", obj=run, details=run.totals)
    return run


def lock_run(*, actor: Any, run: PayRun) -> PayRun:
    """確定: from now on the run never changes (§7.5)."""
    with transaction.atomic():
        run = PayRun.objects.select_for_update().get(pk=run.pk)
        approval.lock(run, refusals=_REFUSALS)
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
