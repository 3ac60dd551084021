"""給料表 versions (docs/domain/payroll.md §4): CSV import, the 差額 preview of a retroactive revision, approval."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from common import audit
from payroll import parameters as p
from payroll import proration
from payroll.errors import PayrollInputError, SelfApproval, StepOutsideTable
from payroll.models import (
    Appointment,
    Correction,
    PayRun,
    Payslip,
    PayslipLine,
    SalaryStep,
    SalaryTable,
    SalaryTableVersion,
)
from payroll.services.calculation import _steps_in_force
from payroll.services.common import actor_fields, appointment_on
from payroll.services.month_pay import month_pay


def parse_salary_csv(text: str) -> list[tuple[int, int, int]]:
    """Rows ``級,号給,月額`` (a header row is allowed). Every bad row is reported; nothing is half-read."""
    rows: list[tuple[int, int, int]] = []
    errors: list[str] = []
    seen: set[tuple[int, int]] = set()
    for number, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        if not row or not "".join(row).strip():
            continue
        if number == 1 and not row[0].strip().isdigit():
            continue
        try:
            grade, step, amount = (int(cell.strip().replace(",", "")) for cell in row[:3])
        except ValueError:
            errors.append(f"{number}行目: 級・号給・月額は整数で入力してください。")
            continue
        if grade < 1 or step < 1 or amount < 0:
            errors.append(f"{number}行目: 級・号給は1以上、月額は0円以上です。")
            continue
        if (grade, step) in seen:
            errors.append(f"{number}行目: {grade}級{step}号給が重複しています。")
            continue
        seen.add((grade, step))
        rows.append((grade, step, amount))
    if errors or not rows:
        raise PayrollInputError(
            "給料表のCSVに誤りがあります: " + (" / ".join(errors[:5]) or "データ行がありません。"),
            code="payroll_salary_csv_invalid",
            details={"errors": errors},
        )
    return rows


def import_salary_table(
    *, actor: Any, table_code: str, table_name: str, effective_from: date, text: str, basis: str = ""
) -> SalaryTableVersion:
    """Record a new version (a draft until approved) from CSV."""
    rows = parse_salary_csv(text)
    by_id, by_name = actor_fields(actor)
    try:
        with transaction.atomic():
            table, _ = SalaryTable.objects.get_or_create(code=table_code, defaults={"name": table_name})
            version = SalaryTableVersion.objects.create(
                table=table,
                effective_from=effective_from,
                basis=basis[:200],
                recorded_by_id=by_id,
                recorded_by_name=by_name,
            )
            SalaryStep.objects.bulk_create(
                SalaryStep(version=version, grade=grade, step=step, amount=amount) for grade, step, amount in rows
            )
            audit.record(
                actor=actor,
                action="payroll.salary_table_import",
                obj=version,
                details={"table": table_code, "effective_from": effective_from.isoformat(), "steps": len(rows)},
            )
    except IntegrityError:
        raise PayrollInputError(
            f"給料表「{table_code}」には施行日 {effective_from.isoformat()} の版が既にあります。",
            code="payroll_salary_version_exists",
        ) from None
    return version


@dataclass(frozen=True)
class Difference:
    """One 差額支給 line a retroactive version produces (§4.3)."""

    staff_id: int
    staff_number: str
    run_id: int
    pay_month: date
    paid: int
    revised: int

    @property
    def amount(self) -> int:
        return self.revised - self.paid


def revision_differences(*, version: SalaryTableVersion) -> list[Difference]:
    """For each locked 例月 run from the version's 施行日: new 給料 − paid 給料 per staff member (nothing written)."""
    amounts = {(s.grade, s.step): s.amount for s in version.steps.all()}
    runs = PayRun.objects.filter(
        kind=PayRun.Kind.REGULAR, state=PayRun.State.LOCKED, pay_month__gte=version.effective_from.replace(day=1)
    )
    code = version.table.code
    lines = (
        PayslipLine.objects.filter(payslip__run__in=runs, code="base")
        .filter(Q(note=code) | Q(note__startswith=f"{code} 日割") | Q(note__startswith=f"{code} 休職"))
        .select_related("payslip", "payslip__run")
        .order_by("payslip__run__pay_month", "payslip__staff_number")
    )
    result = []
    for line in lines:
        slip = line.payslip
        if line.note == code:
            revised = amounts.get((slip.grade or 0, slip.step or 0))
        else:
            revised = _revised_by_the_day(slip, code, amounts)
        if revised is not None and revised != line.amount:
            result.append(
                Difference(
                    staff_id=slip.staff_id,
                    staff_number=slip.staff_number,
                    run_id=slip.run_id,
                    pay_month=slip.run.pay_month,
                    paid=line.amount,
                    revised=revised,
                )
            )
    return result


def _revised_by_the_day(slip: Payslip, code: str, amounts: dict[tuple[int, int], int]) -> int | None:
    """A month paid by the day (§4a) or in a paid 休職 (§4b) recomputed for the same periods with the revised
    amounts of the table (§4.3)."""
    month = slip.run.pay_month
    within = Appointment.objects.filter(
        staff_id=slip.staff_id, effective_on__gt=month, effective_on__lte=proration.month_end(month)
    ).order_by("effective_on")
    steps = _steps_in_force(month)
    steps.update({(code, grade, step): amount for (grade, step), amount in amounts.items()})
    ctx = SimpleNamespace(steps=steps, params={"basis": p.text_setting(p.PRORATE_BASIS, month)})
    parts = proration.periods(appointment_on(slip.staff_id, month), list(within), month)
    try:
        return month_pay(slip.staff_number, parts, month, ctx).base
    except StepOutsideTable:
        return None  # a 級・号給 the revised table lacks: no automatic 差額 (the 給与担当 enters a 過誤調整)


def approve_salary_table(*, actor: Any, version: SalaryTableVersion) -> list[Difference]:
    """Approve a version (someone other than who imported it); a retroactive one records its 差額支給 as
    corrections paid in the next run."""
    by_id, by_name = actor_fields(actor)
    if version.approved:
        raise PayrollInputError("この給料表は既に承認されています。", code="payroll_salary_version_approved")
    if by_id is not None and by_id == version.recorded_by_id:
        raise SelfApproval("給料表を登録した職員は、自らその給料表を承認できません。")
    with transaction.atomic():
        differences = revision_differences(version=version)
        Correction.objects.bulk_create(
            Correction(
                staff_id=d.staff_id,
                corrects_run_id=d.run_id,
                code="difference",
                label=f"差額支給({d.pay_month.year}年{d.pay_month.month}月分)",
                amount=d.amount,
                setsu="02",
                recorded_by_id=by_id,
                recorded_by_name=by_name,
            )
            for d in differences
        )
        SalaryTableVersion.objects.filter(pk=version.pk).update(
            approved=True, approved_by_id=by_id, approved_by_name=by_name
        )
        audit.record(
            actor=actor,
            action="payroll.salary_table_approve",
            obj=version,
            details={"differences": len(differences), "total": sum(d.amount for d in differences)},
        )
    version.refresh_from_db()
    return differences
