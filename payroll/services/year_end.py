"""年末調整 (docs/domain/payroll.md §13): the declarations, and the year-end run — calculate → review → approval by a
second person → lock; its 過不足額 is then settled in the 例月 of the settlement month (§13.10).

The figures are the rule functions of payroll.year_end; the year's pay and withholding come from the locked runs
paid in the year (payroll.selectors.year_totals), the same totals the 源泉徴収票 shows.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from common import audit
from payroll import year_end as rules
from payroll.models import Appointment, JobType, PayRun, Staff, Status
from payroll.selectors import YearTotals, year_totals
from payroll.services import approval
from payroll.services.common import actor_fields
from payroll.withholding import KO
from payroll.year_end_errors import (
    YearEndApproverMissing,
    YearEndInputError,
    YearEndLocked,
    YearEndNoLockedRuns,
    YearEndOpenRuns,
    YearEndSelfApproval,
    YearEndStateError,
)
from payroll.year_end_models import YearEndDeclaration, YearEndResult, YearEndRun

PURPOSE = "年末調整"
# The declaration's fields: everything of YearEndInput that is not taken from the locked runs.
DECLARATION_FIELDS = tuple(
    f.name for f in fields(rules.YearEndInput) if f.name not in ("year", "pay", "withheld", "social_withheld")
)
PAY_LIMIT = 20_000_000  # 給与等の収入金額が2,000万円を超える人は年末調整の対象外 (所得税法190条; §13.9)


# --- declarations (§13.8) -----------------------------------------------------------------------------------------


def _declared_input(year: int, values: dict[str, Any]) -> rules.YearEndInput:
    unknown = set(values) - set(DECLARATION_FIELDS)
    if unknown:
        raise YearEndInputError("不明な申告項目です。", details={"fields": sorted(unknown)})
    incomes = values.get("specific_relative_incomes") or ()
    try:
        cleaned = {**values, "specific_relative_incomes": tuple(int(i) for i in incomes)}
    except (TypeError, ValueError):
        raise YearEndInputError("特定親族の所得は金額(円)で入力してください。") from None
    for name, value in cleaned.items():
        if name != "specific_relative_incomes" and (value is None or not isinstance(value, int)):
            raise YearEndInputError(f"「{rules.LABELS.get(name, name)}」は整数で入力してください。",
                                    details={"field": name})  # fmt: skip
    declared = rules.YearEndInput(year=year, pay=0, withheld=0, social_withheld=0, **cleaned)
    rules.validate(declared)
    return declared


def _refuse_locked_year(year: int) -> None:
    if YearEndRun.objects.filter(year=year, state=YearEndRun.State.LOCKED).exists():
        raise YearEndLocked(
            f"{year}年分の年末調整は確定済みのため、申告を変更できません。訂正は再年末調整で行ってください。"
        )


def record_declaration(*, actor: Any, staff: Staff, year: int, **values: Any) -> YearEndDeclaration:
    """The staff member's declarations for 年分 ``year``, entered by the 給与担当 (replacing what was entered before
    the year's 年末調整 is locked). Negative amounts, 寡婦 with ひとり親, spouse figures without a spouse and an
    unsupported year are refused and nothing is written."""
    declared = _declared_input(year, values)
    _refuse_locked_year(year)
    by_id, by_name = actor_fields(actor)
    stored = {name: getattr(declared, name) for name in DECLARATION_FIELDS}
    stored["specific_relative_incomes"] = list(declared.specific_relative_incomes)
    with transaction.atomic():
        declaration, created = YearEndDeclaration.objects.update_or_create(
            staff=staff,
            year=year,
            defaults={**stored, "recorded_by_id": by_id, "recorded_by_name": by_name, "recorded_at": timezone.now()},
        )
        audit.record(
            actor=actor,
            action="payroll.year_end_declaration",
            obj=staff,
            purpose="年末調整の申告の入力",
            personal_data=True,
            details={"year": year, "created": created},
        )
    return declaration


def declaration_input(declaration: YearEndDeclaration, totals: YearTotals) -> rules.YearEndInput:
    """The rule input of a stored declaration with the year's totals of the locked runs."""
    values = {name: getattr(declaration, name) for name in DECLARATION_FIELDS}
    values["specific_relative_incomes"] = tuple(int(i) for i in declaration.specific_relative_incomes or ())
    return rules.YearEndInput(year=declaration.year, pay=totals.paid, withheld=totals.withheld,
                              social_withheld=totals.social, **values)  # fmt: skip


# --- the run (§13.9–§13.10) ---------------------------------------------------------------------------------------


def _settle_month(year: int, settle_month: date) -> date:
    month = settle_month.replace(day=1)
    if month <= date(year, 12, 1):
        raise YearEndInputError(
            "過不足の精算月は、その年の給与がすべて確定した後の例月(通常は翌年1月)を指定してください。",
            details={"field": "settle_month"},
        )
    if PayRun.objects.filter(kind=PayRun.Kind.REGULAR, pay_month=month, state=PayRun.State.LOCKED).exists():
        raise YearEndInputError(
            f"{month.year}年{month.month}月の例月は確定済みのため、精算月にできません。",
            details={"field": "settle_month"},
        )
    return month


def create_year_end_run(*, actor: Any, year: int, settle_month: date) -> YearEndRun:
    """The year-end run of 年分 ``year``, settled in the 例月 of ``settle_month`` (§13.10). Asking again before it
    is locked changes the settlement month (an approved run goes back to review); a locked year is refused."""
    rules.rules_for(year)
    month = _settle_month(year, settle_month)
    with transaction.atomic():
        run = YearEndRun.objects.select_for_update().filter(year=year).first()
        if run is not None and run.locked:
            raise YearEndLocked()
        if run is None:
            run = YearEndRun.objects.create(year=year, settle_month=month)
        else:
            run.settle_month, run.state = month, YearEndRun.State.REVIEW
            run.approved_by_id, run.approved_by_name, run.approved_at = None, "", None
            run.save(update_fields=["settle_month", "state", "approved_by_id", "approved_by_name", "approved_at"])
        audit.record(actor=actor, action="payroll.year_end_create", obj=run,
                     details={"year": year, "settle_month": str(month)})  # fmt: skip
    return run


def _in_service(year: int) -> set[int]:
    """Staff in service on 31 December or on the December 例月's payday (§13.9), not 県費負担教職員."""
    days = {date(year, 12, 31)}
    december = PayRun.objects.filter(kind=PayRun.Kind.REGULAR, pay_month=date(year, 12, 1)).first()
    if december is not None:
        days.add(december.paid_on)
    staff: set[int] = set()
    for day in days:
        rows = Appointment.objects.filter(effective_on__lte=day).order_by("staff_id", "-effective_on")
        for row in rows.distinct("staff_id"):
            if row.status != Status.LEFT and row.job_type != JobType.PREFECTURAL_TEACHER:
                staff.add(row.staff_id)
    return staff


def _check_year_runs(year: int) -> None:
    runs = PayRun.objects.filter(paid_on__year=year)
    open_runs = [f"{r.pay_month:%Y-%m} {r.get_kind_display()}" for r in runs.exclude(state=PayRun.State.LOCKED)]
    if open_runs:
        raise YearEndOpenRuns(details={"runs": open_runs})
    if not runs.exists():
        raise YearEndNoLockedRuns(f"{year}年に支給した確定済みの給与計算がありません。")


def _result(run: YearEndRun, staff: Staff, totals: YearTotals, declaration: Any, in_service: bool) -> YearEndResult:
    """One staff member's result, or the reason they are left out (§13.9)."""
    reason = ""
    if staff.withholding_column != KO:
        reason = "乙欄(扶養控除等申告書の提出なし)"
    elif not in_service:
        reason = "12月31日(12月の支給日)に在職していない"
    elif totals.paid > PAY_LIMIT:
        reason = "給与等の支払金額が2,000万円を超える"
    elif declaration is None:
        reason = "年末調整の申告が未入力"
    row = YearEndResult(run=run, staff=staff, staff_number=staff.number, staff_name=staff.name,
                        adjusted=not reason, excluded_reason=reason, pay=totals.paid, withheld=totals.withheld,
                        social=totals.social)  # fmt: skip
    if not reason:
        figures = rules.adjust(declaration_input(declaration, totals))
        for name in (f.name for f in fields(rules.YearEndFigures)):
            setattr(row, name, getattr(figures, name))
    return row


def calculate_year_end(*, actor: Any, run: YearEndRun) -> YearEndRun:
    """(Re)calculate every staff member paid in the year from the locked runs and the declarations: idempotent (the
    results are replaced as a whole). A year with no locked runs, or with a run still open, is refused (§13.9)."""
    by_id, by_name = actor_fields(actor)
    with transaction.atomic():
        run = YearEndRun.objects.select_for_update().get(pk=run.pk)
        if run.locked:
            raise YearEndLocked()
        if run.state != YearEndRun.State.REVIEW:
            raise YearEndStateError("承認済みの年末調整は再計算できません。")
        _check_year_runs(run.year)
        totals = year_totals(year=run.year)
        declarations = {d.staff_id: d for d in YearEndDeclaration.objects.filter(year=run.year)}
        in_service = _in_service(run.year)
        results = [
            _result(run, staff, totals[staff.pk], declarations.get(staff.pk), staff.pk in in_service)
            for staff in Staff.objects.filter(pk__in=totals.keys()).order_by("number")
        ]
        YearEndResult.objects.filter(run=run).delete()
        YearEndResult.objects.bulk_create(results)
        adjusted = [r for r in results if r.adjusted]
        run.totals = {
            "staff": len(results),
            "adjusted": len(adjusted),
            "refund": sum(r.difference for r in adjusted if r.difference > 0),
            "collect": -sum(r.difference for r in adjusted if r.difference < 0),
        }
        run.calculated_by_id, run.calculated_by_name, run.calculated_at = by_id, by_name, timezone.now()
        run.save(update_fields=["totals", "calculated_by_id", "calculated_by_name", "calculated_at"])
        audit.record(actor=actor, action="payroll.year_end_calculate", obj=run, purpose=PURPOSE, personal_data=True,
                     details={"year": run.year, **run.totals})  # fmt: skip
    return run


_REFUSALS = approval.Refusals(
    locked=approval.refusal(YearEndLocked),
    not_in_review=approval.refusal(YearEndStateError, "計算済みで確認待ちの年末調整だけを承認できます。"),
    not_approved=approval.refusal(YearEndStateError, "承認済みの年末調整だけを確定できます。"),
    self_approval=approval.refusal(YearEndSelfApproval),
    approver_missing=approval.refusal(YearEndApproverMissing),
)


def _refuse_settled_month(run: YearEndRun) -> None:
    settle_run = PayRun.objects.filter(kind=PayRun.Kind.REGULAR, pay_month=run.settle_month)
    if settle_run.filter(state=PayRun.State.LOCKED).exists():
        raise YearEndStateError(f"精算月({run.settle_month:%Y年%m月})の例月が確定済みです。精算月を見直してください。")


def approve_year_end(*, actor: Any, run: YearEndRun) -> YearEndRun:
    """Approval by a second person: whoever calculated the year-end run cannot approve it."""
    with transaction.atomic():
        run = YearEndRun.objects.select_for_update().get(pk=run.pk)
        approval.approve(run, actor=actor, refusals=_REFUSALS)
        audit.record(actor=actor, action="payroll.year_end_approve", obj=run, details=run.totals)
    return run


def lock_year_end(*, actor: Any, run: YearEndRun) -> YearEndRun:
    """確定: the results never change; the 例月 of the settlement month (still open) then carries the 過不足額."""
    with transaction.atomic():
        run = YearEndRun.objects.select_for_update().get(pk=run.pk)
        approval.lock(run, refusals=_REFUSALS, check=lambda: _refuse_settled_month(run))
        audit.record(actor=actor, action="payroll.year_end_lock", obj=run, details=run.totals)
    return run
