"""再年末調整 (docs/domain/payroll.md §13.11): one staff member's 年末調整 done again after the year's run was locked —
a late change of the 扶養 or a late 保険料控除証明書. The figures are recomputed by the same rule functions from the
revised declaration and the same locked runs; the difference from the tax settled so far is settled in a later
例月 (calculate → approval by a second person → lock). The locked result and earlier revisions are never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from typing import Any

import jpholiday
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from common import audit
from common.dates import local_today
from payroll import year_end as rules
from payroll.models import Staff
from payroll.selectors import year_totals
from payroll.services import approval
from payroll.services.common import actor_fields
from payroll.services.year_end import DECLARATION_FIELDS, _declared_input, _settle_month
from payroll.year_end_errors import (
    YearEndApproverMissing,
    YearEndInputError,
    YearEndLocked,
    YearEndReadjustmentDeadline,
    YearEndSelfApproval,
    YearEndStateError,
)
from payroll.year_end_models import YearEndDeclaration, YearEndResult, YearEndRevision, YearEndRun

PURPOSE = "再年末調整"
DEADLINE_MONTH_DAY = (1, 31)  # 所得税法226条① / 地方税法317条の6①: 源泉徴収票・給与支払報告書 by 31 January
NOT_DECLARED = "年末調整の申告が未入力"  # the one reason for leaving someone out that a late declaration can cure


_REFUSALS = approval.Refusals(
    locked=approval.refusal(YearEndLocked, "この再年末調整は確定済みのため変更できません。"),
    not_in_review=approval.refusal(YearEndStateError, "確認待ちの再年末調整だけを承認できます。"),
    not_approved=approval.refusal(YearEndStateError, "承認済みの再年末調整だけを確定できます。"),
    self_approval=approval.refusal(YearEndSelfApproval, "再年末調整を計算した職員は、自らその計算を承認できません。"),
    approver_missing=approval.refusal(YearEndApproverMissing),
)


@dataclass(frozen=True)
class Basis:
    """What a 再年末調整 starts from: the declaration in force and the 年税額 settled so far."""

    declaration: dict[str, Any]
    settled_tax: int
    source: str  # 「年末調整」 or 「再年末調整 第n回」


def _declaration_values(declaration: YearEndDeclaration | None) -> dict[str, Any]:
    if declaration is None:
        return {}
    values = {name: getattr(declaration, name) for name in DECLARATION_FIELDS}
    values["specific_relative_incomes"] = list(declaration.specific_relative_incomes or [])
    return values


def readjustment_deadline(year: int) -> date:
    """The last day a 再年末調整 of ``year`` can be made (§13.11): the deadline of the 源泉徴収票 to the tax office
    (所得税法226条①: 翌年1月31日) and of the 給与支払報告書 (地方税法317条の6①), after which the figures the employer
    reports are final — 所基通190-3 lets the employer redo its 年末調整 only until the 源泉徴収票 is filed. A deadline
    on a Saturday, Sunday or national holiday moves to the next day that is none of them (国税通則法10条②)."""
    deadline = date(year + 1, *DEADLINE_MONTH_DAY)
    while deadline.weekday() >= 5 or jpholiday.is_holiday(deadline):
        deadline += timedelta(days=1)
    return deadline


def refuse_after_deadline(year: int, today: date | None = None) -> None:
    """Every step of a 再年末調整 (calculate, approve, lock) is refused after the deadline, writing nothing."""
    day = today or local_today()
    deadline = readjustment_deadline(year)
    if day > deadline:
        raise YearEndReadjustmentDeadline(
            f"{year}年分の再年末調整は{deadline.year}年{deadline.month}月{deadline.day}日(源泉徴収票・給与支払報告書の"
            f"提出期限)までです。期限を過ぎたため、再年末調整はできません(本日 {day.isoformat()})。"
            "本人の確定申告で精算してください。",
            details={"year": year, "deadline": deadline.isoformat(), "today": day.isoformat()},
        )


def basis_of(*, run: YearEndRun, staff: Staff) -> Basis:
    """The latest locked revision's declaration and 年税額, else the locked result's (or, for someone left out for
    want of a declaration, the tax withheld)."""
    latest = (
        YearEndRevision.objects.filter(run=run, staff=staff, state=YearEndRevision.State.LOCKED)
        .order_by("-sequence")
        .first()
    )
    if latest is not None:
        return Basis(dict(latest.declaration), latest.annual_tax, f"再年末調整 第{latest.sequence}回")
    result = YearEndResult.objects.filter(run=run, staff=staff).first()
    if result is None or not (result.adjusted or result.excluded_reason == NOT_DECLARED):
        reason = result.excluded_reason if result is not None else "この年に確定済みの給与がありません"
        raise YearEndInputError(f"この職員は再年末調整の対象外です({reason})。")
    declaration = YearEndDeclaration.objects.filter(staff=staff, year=run.year).first()
    settled = result.annual_tax if result.adjusted else result.withheld
    return Basis(_declaration_values(declaration), settled, "年末調整")


def calculate_readjustment(
    *,
    actor: Any,
    run: YearEndRun,
    staff: Staff,
    reason: str,
    settle_month: date,
    today: date | None = None,
    **values: Any,
) -> YearEndRevision:
    """Recompute ``staff``'s 年末調整 of a locked year from the revised declaration ``values``. The open revision (if
    any) is replaced (idempotent, back to review); otherwise a new one is numbered after the last. Refused, writing
    nothing: a year not locked, past the deadline, no reason, a declaration the rules refuse, a settlement month
    already locked. ``today`` is the local date (Asia/Tokyo) unless given."""
    refuse_after_deadline(run.year, today)
    if not reason.strip():
        raise YearEndInputError("再年末調整の理由を入力してください。", details={"field": "reason"})
    declared = _declared_input(run.year, values)
    by_id, by_name = actor_fields(actor)
    with transaction.atomic():
        run = YearEndRun.objects.select_for_update().get(pk=run.pk)
        if not run.locked:
            raise YearEndStateError(
                "確定前の年末調整は、申告を直して再計算してください(再年末調整は確定後に行います)。"
            )
        month = _settle_month(run.year, settle_month)
        basis = basis_of(run=run, staff=staff)
        totals = year_totals(year=run.year, staff_ids=[staff.pk])[staff.pk]
        figures = rules.adjust(replace(declared, pay=totals.paid, withheld=totals.withheld,
                                       social_withheld=totals.social))  # fmt: skip
        stored = {name: getattr(declared, name) for name in DECLARATION_FIELDS}
        stored["specific_relative_incomes"] = list(declared.specific_relative_incomes)
        open_revisions = YearEndRevision.objects.filter(run=run, staff=staff).exclude(
            state=YearEndRevision.State.LOCKED
        )
        revision = open_revisions.select_for_update().first()
        if revision is None:
            last = YearEndRevision.objects.filter(run=run, staff=staff).aggregate(n=Max("sequence"))["n"] or 0
            revision = YearEndRevision(run=run, staff=staff, sequence=last + 1)
        revision.staff_number, revision.staff_name = staff.number, staff.name
        revision.reason, revision.declaration, revision.settle_month = reason.strip()[:200], stored, month
        revision.pay, revision.withheld = totals.paid, totals.withheld
        for name in (f.name for f in fields(rules.YearEndFigures) if f.name != "difference"):
            setattr(revision, name, getattr(figures, name))
        revision.previous_tax = basis.settled_tax
        revision.difference = basis.settled_tax - figures.annual_tax  # > 0 refunded, < 0 collected
        revision.state = YearEndRevision.State.REVIEW
        revision.calculated_by_id, revision.calculated_by_name, revision.calculated_at = by_id, by_name, timezone.now()
        revision.approved_by_id, revision.approved_by_name, revision.approved_at = None, "", None
        revision.save()
        audit.record(actor=actor, action="payroll.year_end_readjust", obj=staff, purpose=PURPOSE, personal_data=True,
                     details={"year": run.year, "sequence": revision.sequence, "previous_tax": basis.settled_tax,
                              "annual_tax": revision.annual_tax, "difference": revision.difference,
                              "settle_month": str(month)})  # fmt: skip
    return revision


def approve_readjustment(*, actor: Any, revision: YearEndRevision, today: date | None = None) -> YearEndRevision:
    """Approval by a second person: whoever calculated the 再年末調整 cannot approve it; not after the deadline."""
    refuse_after_deadline(revision.run.year, today)
    with transaction.atomic():
        revision = YearEndRevision.objects.select_for_update().get(pk=revision.pk)
        approval.approve(revision, actor=actor, refusals=_REFUSALS)
        audit.record(actor=actor, action="payroll.year_end_readjust_approve", obj=revision.staff,
                     purpose=PURPOSE, details={"year": revision.run.year, "sequence": revision.sequence})  # fmt: skip
    return revision


def lock_readjustment(*, actor: Any, revision: YearEndRevision, today: date | None = None) -> YearEndRevision:
    """確定: the revision never changes; the 例月 of its settlement month (still open) carries the 精算額, and the
    源泉徴収票 shows its figures. Not after the deadline."""
    refuse_after_deadline(revision.run.year, today)
    with transaction.atomic():
        revision = YearEndRevision.objects.select_for_update().get(pk=revision.pk)
        # its 例月 must still be open
        approval.lock(
            revision, refusals=_REFUSALS, check=lambda: _settle_month(revision.run.year, revision.settle_month)
        )
        audit.record(actor=actor, action="payroll.year_end_readjust_lock", obj=revision.staff,
                     purpose=PURPOSE, details={"year": revision.run.year, "sequence": revision.sequence,
                                               "difference": revision.difference})  # fmt: skip
    return revision
