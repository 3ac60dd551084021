"""分納 (docs/domain/water_billing.md §7.4): a plan must add up to the arrears, payments under it pay the oldest
bills, a missed instalment breaks it, ending a broken plan resumes the steps; and its pages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django_tenants.utils import schema_context

from common.errors import ValidationFailed
from water_billing import plans as rule
from water_billing import selectors
from water_billing.models import BillingRun, InstallmentPlan, LedgerLine, NoticeKind, Payment
from water_billing.services import arrears, plans, readings, runs
from water_billing.services.readings import ReadingInput

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(db: Any) -> Any:
    with schema_context("nakatosa"):
        factories.nakatosa_tariff()
        period = factories.period()
        conn = factories.connection()
        readings.record_reading(
            actor=None, connection=conn, period=period, data=ReadingInput(value=31, read_on=period.read_on)
        )
        run = runs.confirm_run(actor=None, run=runs.execute_run(run=BillingRun.objects.create(period=period)))
        yield conn, run.bills.get(), period.due_on + timedelta(days=5)


def _plan(conn: Any, bill: Any, today: date) -> InstallmentPlan:
    half = bill.total // 2
    return plans.record_plan(
        actor=None, connection=conn, agreed_on=today,
        installments=[(today + timedelta(days=30), half), (today + timedelta(days=60), bill.total - half)],
    )  # fmt: skip


def test_a_plan_not_adding_up_to_the_arrears_is_refused(overdue: Any) -> None:
    conn, bill, today = overdue
    with pytest.raises(ValidationFailed):
        plans.record_plan(actor=None, connection=conn, agreed_on=today, installments=[(today, bill.total - 1)])
    assert not InstallmentPlan.objects.exists()


def test_a_plan_with_a_negative_instalment_is_refused(overdue: Any) -> None:
    conn, bill, today = overdue
    with pytest.raises(ValidationFailed):
        plans.record_plan(
            actor=None, connection=conn, agreed_on=today, installments=[(today, bill.total + 10), (today, -10)]
        )


def test_an_active_plan_suspends_the_steps(overdue: Any) -> None:
    conn, bill, today = overdue
    _plan(conn, bill, today)
    with pytest.raises(arrears.StepRefused):
        arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=today)


def test_a_payment_under_the_plan_pays_the_bill(overdue: Any) -> None:
    conn, bill, today = overdue
    plan = _plan(conn, bill, today)
    plans.record_plan_payment(actor=None, plan=plan, amount=1000, paid_on=today + timedelta(days=3))
    assert Payment.objects.get(plan=plan).bill_id == bill.pk


def test_the_plan_payment_is_posted(overdue: Any) -> None:
    conn, bill, today = overdue
    plan = _plan(conn, bill, today)
    before = LedgerLine.objects.count()
    plans.record_plan_payment(actor=None, plan=plan, amount=1000, paid_on=today + timedelta(days=3))
    assert LedgerLine.objects.count() == before + 2


def test_more_than_the_plans_balance_is_refused(overdue: Any) -> None:
    conn, bill, today = overdue
    plan = _plan(conn, bill, today)
    with pytest.raises(ValidationFailed):
        plans.record_plan_payment(actor=None, plan=plan, amount=bill.total + 1, paid_on=today)
    assert not Payment.objects.exists()


def test_paying_everything_completes_the_plan(overdue: Any) -> None:
    conn, bill, today = overdue
    plan = _plan(conn, bill, today)
    status = plans.record_plan_payment(actor=None, plan=plan, amount=bill.total, paid_on=today)
    assert status.state == rule.COMPLETED
    assert InstallmentPlan.objects.get().end_reason == "completed"


def test_a_missed_instalment_breaks_the_plan(overdue: Any) -> None:
    conn, bill, today = overdue
    plan = _plan(conn, bill, today)
    assert plans.plan_status(plan, today=today + timedelta(days=31)).state == rule.BROKEN


def test_paying_on_the_instalment_date_keeps_the_plan(overdue: Any) -> None:
    conn, bill, today = overdue
    plan = _plan(conn, bill, today)
    plans.record_plan_payment(actor=None, plan=plan, amount=bill.total // 2, paid_on=today + timedelta(days=30))
    assert plans.plan_status(plan, today=today + timedelta(days=31)).state == rule.ON_TRACK


def test_a_plan_on_track_cannot_be_ended_as_broken(overdue: Any) -> None:
    conn, bill, today = overdue
    plan = _plan(conn, bill, today)
    with pytest.raises(plans.PlanNotBroken):
        plans.end_broken_plan(actor=None, plan=plan, today=today)


def test_ending_a_broken_plan_resumes_the_steps(overdue: Any) -> None:
    conn, bill, today = overdue
    plan = _plan(conn, bill, today)
    later = today + timedelta(days=31)
    plans.end_broken_plan(actor=None, plan=plan, today=later)
    notice = arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=later)
    assert notice.kind == NoticeKind.DUNNING


def test_the_arrears_list_shows_the_plan_as_the_next_step(overdue: Any) -> None:
    conn, bill, today = overdue
    _plan(conn, bill, today)
    [row] = selectors.view_arrears(actor=None, purpose="滞納整理", today=today)
    assert row.next_step == arrears.PLAN_KEPT


def test_the_arrears_list_shows_a_broken_plan(overdue: Any) -> None:
    conn, bill, today = overdue
    _plan(conn, bill, today)
    [row] = selectors.view_arrears(actor=None, purpose="滞納整理", today=today + timedelta(days=31))
    assert row.next_step == arrears.PLAN_BROKEN


# --- pages ------------------------------------------------------------------------------------------------


@pytest.fixture
def clerk(new_person: Any, client_for: Any) -> Any:
    person = new_person("wb-plan-clerk", nakatosa="water_clerk")
    return client_for(person.username, "nakatosa")


def test_the_clerk_records_a_plan_on_the_page(clerk: Any, overdue: Any) -> None:
    conn, bill, today = overdue
    half = bill.total // 2
    lines = f"{today + timedelta(days=30)},{half}\n{today + timedelta(days=60)},{bill.total - half}\n"
    response = clerk.post(
        "/water_billing/plans/new/",
        {"tap_number": conn.tap_number, "agreed_on": today.isoformat(), "instalments": lines},
    )
    assert response.status_code == 302
    with schema_context("nakatosa"):
        assert InstallmentPlan.objects.get().total == bill.total


def test_the_page_refuses_a_plan_not_adding_up(clerk: Any, overdue: Any) -> None:
    conn, bill, today = overdue
    response = clerk.post(
        "/water_billing/plans/new/",
        {"tap_number": conn.tap_number, "agreed_on": today.isoformat(), "instalments": f"{today},{bill.total - 1}"},
    )
    assert "未納額" in response.content.decode()
    with schema_context("nakatosa"):
        assert not InstallmentPlan.objects.exists()


def test_the_clerk_records_a_payment_on_the_plan_page(clerk: Any, overdue: Any) -> None:
    conn, bill, today = overdue
    with schema_context("nakatosa"):
        plan = _plan(conn, bill, today)
    clerk.post(
        f"/water_billing/plans/{plan.public_id}/pay/",
        {"amount": "1000", "paid_on": today.isoformat(), "channel": "counter"},
    )
    page = clerk.get(f"/water_billing/plans/{plan.public_id}/").content.decode()
    assert "納付済 1000円" in page


def test_the_plans_list_names_the_customer(clerk: Any, overdue: Any) -> None:
    conn, bill, today = overdue
    with schema_context("nakatosa"):
        _plan(conn, bill, today)
    assert conn.tap_number in clerk.get("/water_billing/plans/").content.decode()
