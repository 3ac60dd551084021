"""標準報酬月額 (docs/domain/payroll.md §6.2): 定時決定 from the April–June pay, 随時改定 after a fixed-pay change."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from common import audit
from payroll import rules
from payroll.errors import PayrollInputError
from payroll.models import Appointment, PayRun, Payslip, Staff, StandardRemuneration
from payroll.services.common import actor_fields


def _add_months(day: date, months: int) -> date:
    years, index = divmod(day.month - 1 + months, 12)
    return date(day.year + years, index + 1, 1)


def _pay_of_months(months: list[date], staff_ids: list[int] | None = None) -> dict[int, list[int]]:
    """報酬 of each locked 例月 payslip in ``months``, per staff member (the payslip's gross)."""
    slips = Payslip.objects.filter(
        run__kind=PayRun.Kind.REGULAR, run__state=PayRun.State.LOCKED, run__pay_month__in=months
    )
    if staff_ids is not None:
        slips = slips.filter(staff_id__in=staff_ids)
    pay: dict[int, list[int]] = {}
    for staff_id, gross in slips.values_list("staff_id", "gross"):
        pay.setdefault(staff_id, []).append(int(gross))
    return pay


def standard_in_force(staff_id: int, month: date) -> StandardRemuneration | None:
    return (
        StandardRemuneration.objects.filter(staff_id=staff_id, effective_from__lte=month)
        .order_by("-effective_from")
        .first()
    )


def determine_regular(*, actor: Any, year: int) -> int:
    """定時決定: the average 報酬 of April, May and June (the months paid) → 標準報酬月額 from 1 September. Recorded
    again for the same year replaces nothing: an existing decision stays (idempotent)."""
    months = [date(year, 4, 1), date(year, 5, 1), date(year, 6, 1)]
    effective = date(year, 9, 1)
    by_id, by_name = actor_fields(actor)
    with transaction.atomic():
        done = set(StandardRemuneration.objects.filter(effective_from=effective).values_list("staff_id", flat=True))
        rows = []
        for staff_id, amounts in _pay_of_months(months).items():
            if staff_id in done:
                continue
            average = sum(amounts) // len(amounts)
            rows.append(
                StandardRemuneration(
                    staff_id=staff_id,
                    effective_from=effective,
                    average=average,
                    standard=rules.standard_remuneration(average),
                    reason=StandardRemuneration.Reason.REGULAR,
                    recorded_by_id=by_id,
                    recorded_by_name=by_name,
                )
            )
        StandardRemuneration.objects.bulk_create(rows)
        audit.record(
            actor=actor,
            action="payroll.standard_regular",
            obj=("payroll.StandardRemuneration", str(year), f"{year}年 定時決定"),
            purpose="標準報酬月額の定時決定",
            personal_data=True,
            details={"year": year, "decided": len(rows)},
        )
    return len(rows)


def revise_occasionally(*, actor: Any, staff: Staff, changed_month: date) -> StandardRemuneration | None:
    """随時改定: after a 発令 changed fixed pay in ``changed_month``, the average of that month and the next two;
    when it differs from the standard in force by 2 等級 or more, the new 標準報酬月額 applies from the 4th month.
    Returns None when no revision is due."""
    month = changed_month.replace(day=1)
    if not Appointment.objects.filter(
        staff=staff, effective_on__gte=month, effective_on__lt=_add_months(month, 1)
    ).exists():
        raise PayrollInputError(
            "この月に固定的給与の変動(発令)がないため、随時改定の対象になりません。", code="payroll_no_fixed_pay_change"
        )
    months = [month, _add_months(month, 1), _add_months(month, 2)]
    amounts = _pay_of_months(months, [staff.pk]).get(staff.pk, [])
    if len(amounts) < 3:
        raise PayrollInputError(
            "変動月から3か月分の確定した給与がないため、随時改定を判定できません。", code="payroll_revision_too_early"
        )
    average = sum(amounts) // 3
    new = rules.standard_remuneration(average)
    current = standard_in_force(staff.pk, month)
    before = current.standard if current is not None else rules.standard_remuneration(amounts[0])
    if abs(rules.grade_of(new) - rules.grade_of(before)) < 2:
        return None
    by_id, by_name = actor_fields(actor)
    with transaction.atomic():
        row, _ = StandardRemuneration.objects.update_or_create(
            staff=staff,
            effective_from=_add_months(month, 3),
            defaults={
                "average": average,
                "standard": new,
                "reason": StandardRemuneration.Reason.OCCASIONAL,
                "recorded_by_id": by_id,
                "recorded_by_name": by_name,
            },
        )
        audit.record(
            actor=actor,
            action="payroll.standard_occasional",
            obj=staff,
            purpose="標準報酬月額の随時改定",
            personal_data=True,
            details={"changed_month": str(month), "before": before, "after": new},
        )
    return row
