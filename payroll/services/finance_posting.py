"""The run's journal to finance (docs/domain/payroll.md §9): 給料 (02), 職員手当等 (03) and 共済費 (04) per 所属's
款項目, posted as one 支出 per run through finance's external-expenditure service."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Sum

from common import audit
from payroll.errors import PayrollInputError, RunStateError
from payroll.models import LineKind, PayRun, Payslip, PayslipLine
from payroll.parameters import budget_codes

SETSU_LABELS = {"02": "給料", "03": "職員手当等", "04": "共済費"}


@dataclass(frozen=True)
class JournalLine:
    budget_code: str
    setsu: str
    amount: int
    description: str


def journal_lines(*, run: PayRun) -> list[JournalLine]:
    """Per 所属's budget code and 節: the gross pay lines (02, 03) and the employer's 共済 share (04). A 所属 with
    no budget code in the setting is refused (nothing is posted)."""
    mapping = budget_codes(run.paid_on)
    sums: dict[tuple[str, str], int] = defaultdict(int)
    missing: set[str] = set()
    rows = (
        PayslipLine.objects.filter(payslip__run=run)
        .exclude(kind=LineKind.DEDUCTION)
        .values("payslip__unit_code", "setsu")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        unit = row["payslip__unit_code"]
        if unit not in mapping:
            missing.add(unit)
            continue
        sums[(mapping[unit], row["setsu"])] += int(row["total"] or 0)
    employer = Payslip.objects.filter(run=run).values("unit_code").annotate(total=Sum("employer_kyosai"))
    for row in employer:
        if row["unit_code"] not in mapping:
            missing.add(row["unit_code"])
            continue
        sums[(mapping[row["unit_code"]], "04")] += int(row["total"] or 0)
    if missing:
        raise PayrollInputError(
            "予算科目(款項目)が設定されていない所属があります: " + "、".join(sorted(missing)),
            code="payroll_budget_code_missing",
            details={"units": sorted(missing)},
        )
    label = f"{run.pay_month.year}年{run.pay_month.month}月 {run.get_kind_display()}"
    return [
        JournalLine(
            budget_code=code, setsu=setsu, amount=amount, description=f"{label} {SETSU_LABELS.get(setsu, setsu)}"
        )
        for (code, setsu), amount in sorted(sums.items())
        if amount
    ]


def source_key(run: PayRun) -> str:
    return f"payroll:{run.public_id}"


def post_run_to_finance(*, actor: Any, run: PayRun, department_code: str = "") -> list[str]:
    """Post a locked run (idempotent by its source key): finance records the 支出負担行為 and 支出命令."""
    from finance.services.external import ExternalLine, post_external_expenditure

    run = PayRun.objects.get(pk=run.pk)
    if not run.locked:
        raise RunStateError("確定した給与計算だけを財務会計へ連携できます。")
    lines = [
        ExternalLine(budget_code=line.budget_code, setsu=line.setsu, amount=line.amount, description=line.description)
        for line in journal_lines(run=run)
    ]
    pay_on: date = run.paid_on
    with transaction.atomic():
        ids = post_external_expenditure(
            actor=actor,
            source_key=source_key(run),
            purpose=f"{run.pay_month.year}年{run.pay_month.month}月 {run.get_kind_display()} 給与の支出",
            payee_name="職員給与(口座振込)",
            pay_on=pay_on,
            lines=lines,
            department_code=department_code,
        )
        audit.record(
            actor=actor,
            action="payroll.finance_post",
            obj=run,
            details={"source_key": source_key(run), "documents": ids, "total": sum(line.amount for line in lines)},
        )
    return ids
