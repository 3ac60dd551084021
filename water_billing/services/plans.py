"""分納 plans (docs/domain/water_billing.md §7.4): agreed with the customer for the overdue balance, paid against
at the counter, completed or found broken; a kept plan suspends the 滞納整理 steps (services.arrears)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Sum

from common import audit
from common.errors import ApplicationError, ValidationFailed
from water_billing import plans as rule
from water_billing.models import Bill, BillState, Channel, Connection, InstallmentPlan, PlanEnd
from water_billing.services import collection
from water_billing.services.arrears import NothingOverdue


class PlanNotActive(ApplicationError):
    code = "plan_not_active"
    message = "この分納計画は終了しています。"
    status_code = 409


class PlanNotBroken(ApplicationError):
    code = "plan_not_broken"
    message = "この分納計画は不履行になっていません(納付日を過ぎた未納の回がありません)。"
    status_code = 409


def _name(actor: Any) -> str:
    return str(getattr(actor, "full_name", "") or "")[:100]


def _obj(connection: Connection) -> tuple[str, str, str]:
    return ("water_billing.Connection", connection.tap_number, connection.tap_number)


def _overdue_balance(connection: Connection, day: date) -> int:
    bills = Bill.objects.select_for_update().filter(connection=connection, state=BillState.UNPAID, due_on__lte=day)
    return sum(b.balance for b in bills)


def record_plan(
    *, actor: Any, connection: Connection, agreed_on: date, installments: Sequence[tuple[date, int]]
) -> InstallmentPlan:
    """分納の誓約 (§7.4): the instalments must add up to the overdue balance exactly, each at least 1 yen, dated
    in order from the day of agreement on. A new plan replaces the active one."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        owed = _overdue_balance(connection, agreed_on)
        if owed <= 0:
            raise NothingOverdue()
        dates = [d for d, _ in installments]
        if (
            not installments
            or dates != sorted(dates)
            or dates[0] < agreed_on
            or any(a <= 0 for _, a in installments)
            or sum(a for _, a in installments) != owed
        ):
            raise ValidationFailed(
                f"分納の各回の金額の合計を未納額({owed:,}円)と一致させ、納付日を誓約日以後の順に入力してください。",
                code="plan_invalid",
                details={"owed": owed, "sum": sum(a for _, a in installments)},
            )
        connection.plans.filter(active=True).update(active=False, ended_on=agreed_on, end_reason=PlanEnd.REPLACED)
        plan = InstallmentPlan.objects.create(
            connection=connection, agreed_on=agreed_on, total=owed,
            schedule=[{"due": d.isoformat(), "amount": a} for d, a in installments],
            recorded_by_id=getattr(actor, "pk", None), recorded_by_name=_name(actor),
        )  # fmt: skip
        audit.record(
            actor=actor, action="water.arrears.plan", obj=_obj(connection),
            details={"plan": str(plan.public_id), "total": owed, "installments": len(installments)},
        )  # fmt: skip
    return plan


def paid_against(plan: InstallmentPlan) -> int:
    return int(plan.payments.aggregate(s=Sum("amount"))["s"] or 0)


def plan_status(plan: InstallmentPlan, *, today: date) -> rule.PlanStatus:
    return rule.status(schedule=rule.schedule_of(plan.schedule), paid=paid_against(plan), today=today)


def record_plan_payment(
    *, actor: Any, plan: InstallmentPlan, amount: int, paid_on: date, channel: str = Channel.COUNTER
) -> rule.PlanStatus:
    """A payment under the plan: it pays the connection's unpaid bills oldest first (each by the single payment's
    rules, 延滞金 included), at most the plan's remaining balance; the plan ends 完納 when it is all paid."""
    if channel not in {Channel.COUNTER, Channel.CONVENIENCE}:
        raise ValidationFailed("収納方法が正しくありません。", code="payment_channel_invalid")
    with transaction.atomic():
        plan = InstallmentPlan.objects.select_for_update().select_related("connection").get(pk=plan.pk)
        if not plan.active:
            raise PlanNotActive()
        remaining = plan.total - paid_against(plan)
        if amount <= 0 or amount > remaining:
            raise ValidationFailed(
                f"収納額は1円以上、分納の残額({remaining:,}円)以下で入力してください。", code="plan_payment_invalid"
            )
        left = amount
        bills = Bill.objects.select_for_update().select_related("connection")
        for bill in bills.filter(connection=plan.connection, state=BillState.UNPAID).order_by("due_on", "pk"):
            part = min(left, bill.balance)
            collection.apply_payment(
                actor=actor, bill=bill, amount=part, paid_on=paid_on, channel=channel, reference="分納", plan=plan
            )
            left -= part
            if left <= 0:
                break
        if left > 0:
            raise ValidationFailed("分納の対象となる未納の請求が残っていません。", code="plan_payment_invalid")
        status = plan_status(plan, today=paid_on)
        if status.state == rule.COMPLETED:
            _end(plan, paid_on, PlanEnd.COMPLETED)
        audit.record(
            actor=actor, action="water.arrears.plan_payment", obj=_obj(plan.connection),
            details={"plan": str(plan.public_id), "amount": amount, "paid_on": paid_on.isoformat(),
                     "state": status.state},
        )  # fmt: skip
    return status


def _end(plan: InstallmentPlan, day: date, reason: str) -> None:
    plan.active = False
    plan.ended_on = day
    plan.end_reason = reason
    plan.save(update_fields=["active", "ended_on", "end_reason"])


def end_broken_plan(*, actor: Any, plan: InstallmentPlan, today: date) -> InstallmentPlan:
    """不履行 (§7.4): a plan with an instalment unpaid after its date is ended, and the 滞納整理 steps resume."""
    with transaction.atomic():
        plan = InstallmentPlan.objects.select_for_update().select_related("connection").get(pk=plan.pk)
        if not plan.active:
            raise PlanNotActive()
        status = plan_status(plan, today=today)
        if status.state != rule.BROKEN:
            raise PlanNotBroken()
        _end(plan, today, PlanEnd.BROKEN)
        missed = status.missed
        audit.record(
            actor=actor, action="water.arrears.plan_broken", obj=_obj(plan.connection),
            details={"plan": str(plan.public_id), "paid": status.paid, "total": status.total,
                     "missed": missed.due.isoformat() if missed else ""},
        )  # fmt: skip
    return plan
