"""滞納整理 (docs/domain/water_billing.md §7): 督促状, 催告書, 給水停止予告, 給水停止 and 開栓 after payment, in this
order per connection; 督促手数料 and 延滞金 from the town's settings; 分納 plans; the 時効 of each claim."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.db import transaction

from common import audit
from common.errors import ApplicationError, ValidationFailed
from water_billing import settings_keys
from water_billing.models import Bill, BillState, Connection, Notice, NoticeKind
from water_billing.services import surcharges

PRIVATE_LAW_REFORM = date(2020, 4, 1)  # 民法 第166条 (改正法の施行日), §7
REMINDER_AFTER_DAYS = 30  # 催告書: 30 days after the 督促状's 指定期限 passed without payment
STOP_NOTICE_DAYS = 14  # 給水停止予告: the 停止予定日 at least 14 days after the notice (§7)
DUNNING_DEADLINE_DAYS = 10  # 督促状's 指定期限 (地方自治法施行令 第171条: 督促状発付の日から10日以内)


class StepRefused(ApplicationError):
    code = "arrears_step_refused"
    message = "この滞納整理の手続は、いまは行えません。"


class NothingOverdue(ApplicationError):
    code = "nothing_overdue"
    message = "納期限を過ぎた未納の請求がありません。"


def _name(actor: Any) -> str:
    return str(getattr(actor, "full_name", "") or "")[:100]


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def prescription_date(*, service: str, due_on: date) -> date:
    """時効 (§7): water 2 years (旧民法 第173条) for claims due before 2020-04-01, else 5 years (民法 第166条);
    sewer 5 years (地方自治法 第236条). Counted from the 納期限."""
    if service == "water" and due_on < PRIVATE_LAW_REFORM:
        return _add_years(due_on, 2)
    return _add_years(due_on, 5)


def _overdue(connection: Connection, today: date) -> list[Bill]:
    return list(
        Bill.objects.select_for_update()
        .filter(connection=connection, state=BillState.UNPAID, due_on__lt=today)
        .order_by("due_on")
    )


def _last(connection: Connection, *kinds: str) -> Notice | None:
    return connection.notices.filter(kind__in=kinds).order_by("-issued_on", "-pk").first()


PLAN_KEPT = "分納履行中"
PLAN_BROKEN = "分納不履行(計画を終了して滞納整理へ)"


def next_step(bills: Sequence[Bill], *, today: date, notices: Sequence[Notice] = (), plan: str = "") -> str:
    """The next step of 滞納整理 for a customer's overdue bills, from the steps already taken; ``plan`` is the
    state of an active 分納 plan (water_billing.plans): kept, it is the step; broken, ending it is (§7.4)."""
    if not bills:
        return ""
    if plan == "broken":
        return PLAN_BROKEN
    if plan:
        return PLAN_KEPT
    kinds = {n.kind for n in notices}
    dunned = {b.pk for n in notices if n.kind == NoticeKind.DUNNING for b in n.bills.all()}
    if any(b.pk not in dunned for b in bills):
        return NoticeKind.DUNNING.label
    if NoticeKind.STOP in kinds:
        return "給水停止中(納付を待つ)"
    if NoticeKind.STOP_NOTICE in kinds:
        return NoticeKind.STOP.label
    if NoticeKind.REMINDER in kinds:
        return NoticeKind.STOP_NOTICE.label
    return NoticeKind.REMINDER.label


def _after_previous_step(connection: Connection, kind: str, today: date) -> date:
    """Refused unless the step before ``kind`` was issued and its deadline has passed; returns the new deadline."""
    order: dict[str, str] = {
        NoticeKind.REMINDER: NoticeKind.DUNNING,
        NoticeKind.STOP_NOTICE: NoticeKind.REMINDER,
        NoticeKind.STOP: NoticeKind.STOP_NOTICE,
    }
    previous = order.get(kind)
    if previous is None:
        raise ValidationFailed("滞納整理の手続の種類が正しくありません。", code="arrears_kind_invalid")
    before = _last(connection, previous)
    if before is None:
        raise StepRefused(f"{NoticeKind(previous).label}が発付されていません。", code="arrears_out_of_order")
    if before.deadline is not None and today <= before.deadline:
        raise StepRefused(
            f"{NoticeKind(previous).label}の指定期限({before.deadline:%Y-%m-%d})が過ぎていません。",
            code="arrears_deadline_not_passed",
        )
    return today + timedelta(days=STOP_NOTICE_DAYS if kind == NoticeKind.STOP_NOTICE else 10)


def issue_notice(*, actor: Any, connection: Connection, kind: str, today: date) -> Notice:
    """One step for one connection, refused out of order (§7). A 督促状 covers the overdue bills not yet dunned
    and charges the town's 督促手数料 (Dr 未収金 / Cr その他営業収益); 給水停止 stops the supply."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        bills = _overdue(connection, today)
        if kind == NoticeKind.REOPEN:
            return _reopen(actor=actor, connection=connection, today=today, bills=bills)
        if not bills:
            raise NothingOverdue()
        if connection.plans.filter(active=True).exists():
            raise StepRefused("分納の履行中は滞納整理の手続を進められません。", code="arrears_plan_active")
        deadline: date | None = None
        fee = 0
        late = False
        if kind == NoticeKind.DUNNING:
            bills = [b for b in bills if not b.notices.filter(kind=NoticeKind.DUNNING).exists()]
            if not bills:
                raise StepRefused("督促状は発付済みです。", code="already_dunned")
            days = settings_keys.dunning_days(today)
            late = any(today > b.due_on + timedelta(days=days) for b in bills)
            fee = settings_keys.dunning_fee(today)
            deadline = today + timedelta(days=DUNNING_DEADLINE_DAYS)
        else:
            deadline = _after_previous_step(connection, kind, today)
            if kind == NoticeKind.STOP:
                deadline = None
                connection.stopped = True
                connection.save(update_fields=["stopped"])
        notice = Notice.objects.create(
            connection=connection, kind=kind, issued_on=today, deadline=deadline,
            amount=sum(b.balance for b in bills), fee=fee, late=late,
            recorded_by_id=getattr(actor, "pk", None), recorded_by_name=_name(actor),
        )  # fmt: skip
        notice.bills.set(bills)
        if fee:
            surcharges.charge_dunning_fee(notice=notice, amount=fee)  # a claim of its own (§7.3)
        audit.record(
            actor=actor,
            action=f"water.arrears.{kind}",
            obj=("water_billing.Connection", connection.tap_number, connection.tap_number),
            details={"bills": [b.number for b in bills], "amount": notice.amount, "fee": fee, "late": late},
        )
    return notice


def _reopen(*, actor: Any, connection: Connection, today: date, bills: list[Bill]) -> Notice:
    if not connection.stopped:
        raise StepRefused("給水停止中ではありません。", code="not_stopped")
    if bills:
        raise StepRefused("未納の料金が納付されるまで開栓できません。", code="arrears_unpaid")
    connection.stopped = False
    connection.save(update_fields=["stopped"])
    notice = Notice.objects.create(
        connection=connection, kind=NoticeKind.REOPEN, issued_on=today,
        recorded_by_id=getattr(actor, "pk", None), recorded_by_name=str(getattr(actor, "full_name", "") or "")[:100],
    )  # fmt: skip
    audit.record(
        actor=actor,
        action="water.arrears.reopen",
        obj=("water_billing.Connection", connection.tap_number, connection.tap_number),
    )
    return notice
