"""滞納整理: the steps in order, 督促手数料 posted, 給水停止 and 開栓 after payment, 分納, 延滞金 and 時効
(docs/domain/water_billing.md §7)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django_tenants.utils import schema_context

from water_billing import selectors
from water_billing.models import BillingRun, Connection, NoticeKind
from water_billing.services import arrears, collection, readings, runs
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


def test_the_steps_go_in_order(overdue: Any) -> None:
    conn, _, today = overdue
    with pytest.raises(arrears.StepRefused):
        arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.REMINDER, today=today)
    dunning = arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=today)
    with pytest.raises(arrears.StepRefused) as early:
        arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.REMINDER, today=today)
    assert early.value.code == "arrears_deadline_not_passed"
    later = dunning.deadline + timedelta(days=1)
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.REMINDER, today=later)
    notice = arrears.issue_notice(
        actor=None, connection=conn, kind=NoticeKind.STOP_NOTICE, today=later + timedelta(days=11)
    )
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.STOP, today=notice.deadline + timedelta(days=1))
    assert Connection.objects.get(pk=conn.pk).stopped


def test_dunning_charges_the_towns_fee_in_the_books(overdue: Any) -> None:
    conn, _, today = overdue
    notice = arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=today)
    rows = {r.code: r for r in selectors.trial_balance(end=today)}
    assert notice.fee == 100
    assert rows["4190"].balance == 100


def test_a_bill_is_dunned_once(overdue: Any) -> None:
    conn, _, today = overdue
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=today)
    with pytest.raises(arrears.StepRefused):
        arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=today)


def test_reopening_needs_payment(overdue: Any) -> None:
    conn, bill, today = overdue
    Connection.objects.filter(pk=conn.pk).update(stopped=True)
    with pytest.raises(arrears.StepRefused):
        arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.REOPEN, today=today)
    collection.record_payment(actor=None, bill=bill, amount=bill.total, paid_on=today, channel="counter")
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.REOPEN, today=today)
    assert not Connection.objects.get(pk=conn.pk).stopped


def test_the_arrears_list_names_the_next_step(overdue: Any) -> None:
    conn, _, today = overdue
    [row] = selectors.view_arrears(actor=None, purpose="滞納整理", today=today)
    assert row.next_step == "督促状"
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=today)
    [row] = selectors.view_arrears(actor=None, purpose="滞納整理", today=today)
    assert row.next_kind == NoticeKind.REMINDER


@pytest.mark.parametrize(
    ("service", "due", "expected"),
    [
        ("water", date(2019, 9, 30), date(2021, 9, 30)),
        ("water", date(2024, 9, 30), date(2029, 9, 30)),
        ("sewer", date(2019, 9, 30), date(2024, 9, 30)),
    ],
)
def test_prescription_differs_by_claim(service: str, due: date, expected: date) -> None:
    assert arrears.prescription_date(service=service, due_on=due) == expected
