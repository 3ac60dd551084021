"""付帯金 (docs/domain/water_billing.md §7.2, §7.3): the 延滞金 charged when an overdue bill is paid, the 督促手数料
as a claim, and a payment allocated bill first, then 督促手数料, then 延滞金, the rest kept as 預り金."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django_tenants.utils import schema_context

from common.dates import local_today
from common.errors import ValidationFailed
from common.models import TownSetting
from common.town_settings import record_setting
from water_billing import selectors, settings_keys
from water_billing.errors import PaymentsRefused, PeriodClosed
from water_billing.models import BillingRun, LedgerLine, NoticeKind, Surcharge, SurchargeKind, SurchargePayment
from water_billing.services import arrears, collection, readings, runs, surcharges
from water_billing.services.readings import ReadingInput

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_bill(db: Any) -> Any:
    """A sewer customer's bill of 1,000 m³ (large enough that its 延滞金 is not rounded away)."""
    with schema_context("nakatosa"):
        factories.nakatosa_tariff()
        period = factories.period()
        conn = factories.connection(sewer=True)
        readings.record_reading(
            actor=None, connection=conn, period=period, data=ReadingInput(value=1000, read_on=period.read_on)
        )
        run = runs.confirm_run(actor=None, run=runs.execute_run(run=BillingRun.objects.create(period=period)))
        yield conn, run.bills.get()


def _late(bill: Any, paid_on: date) -> int:
    return surcharges.compute_late_fee(bill=bill, until=paid_on, payments=[]).amount


def _balance(code: str, end: date) -> int:
    return {r.code: r for r in selectors.trial_balance(end=end)}[code].balance


def test_paying_an_overdue_bill_charges_its_late_fee(big_bill: Any) -> None:
    _conn, bill = big_bill
    paid_on = bill.due_on + timedelta(days=90)
    collection.record_payment(actor=None, bill=bill, amount=bill.total, paid_on=paid_on, channel="counter")
    claim = Surcharge.objects.get(kind=SurchargeKind.LATE_FEE)
    assert claim.amount == _late(bill, paid_on)


def test_the_late_fee_is_posted_as_other_income(big_bill: Any) -> None:
    _conn, bill = big_bill
    paid_on = bill.due_on + timedelta(days=90)
    collection.record_payment(actor=None, bill=bill, amount=bill.total, paid_on=paid_on, channel="counter")
    assert _balance("4310", paid_on) == Surcharge.objects.get().amount


def test_the_late_fee_is_on_the_sewer_part_only_by_default(big_bill: Any) -> None:
    _conn, bill = big_bill
    paid_on = bill.due_on + timedelta(days=90)
    sewer_only = _late(bill, paid_on)
    # An ordinance in force since before the bill's 納期限 (record_setting refuses a past 施行日).
    TownSetting.objects.create(
        key=settings_keys.LATE_FEE_SERVICES, value="water,sewer", effective_from=date(2020, 1, 1)
    )
    assert _late(bill, paid_on) > sewer_only


def test_a_bill_paid_by_its_due_date_bears_no_late_fee(big_bill: Any) -> None:
    _conn, bill = big_bill
    collection.record_payment(actor=None, bill=bill, amount=bill.total, paid_on=bill.due_on, channel="counter")
    assert not Surcharge.objects.exists()


def test_one_payment_settles_the_bill_the_fee_and_the_late_fee(big_bill: Any) -> None:
    conn, bill = big_bill
    today = bill.due_on + timedelta(days=5)
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=today)
    paid_on = bill.due_on + timedelta(days=90)
    owed = bill.total + 100 + _late(bill, paid_on)
    collection.record_payment(actor=None, bill=bill, amount=owed, paid_on=paid_on, channel="counter")
    assert sum(c.balance for c in Surcharge.objects.all()) == 0
    assert _balance("1210", paid_on) == 0
    assert _balance("2120", paid_on) == 0


def test_a_short_payment_pays_the_fee_before_the_late_fee(big_bill: Any) -> None:
    conn, bill = big_bill
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=bill.due_on + timedelta(days=5))
    paid_on = bill.due_on + timedelta(days=90)
    collection.record_payment(actor=None, bill=bill, amount=bill.total + 150, paid_on=paid_on, channel="counter")
    fee = Surcharge.objects.get(kind=SurchargeKind.DUNNING_FEE)
    late = Surcharge.objects.get(kind=SurchargeKind.LATE_FEE)
    assert fee.balance == 0
    assert late.paid_amount == 50


def test_what_is_left_after_the_claims_is_kept_as_a_deposit(big_bill: Any) -> None:
    _conn, bill = big_bill
    collection.record_payment(actor=None, bill=bill, amount=bill.total + 700, paid_on=bill.due_on, channel="counter")
    assert _balance("2120", bill.due_on) == 700


def test_a_claim_is_paid_by_its_own_number(big_bill: Any) -> None:
    conn, bill = big_bill
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=bill.due_on + timedelta(days=5))
    fee = Surcharge.objects.get()
    collection.record_surcharge_payment(
        actor=None, claim=fee, amount=100, paid_on=bill.due_on + timedelta(days=6), channel="convenience"
    )
    assert Surcharge.objects.get().state == "paid"


def test_more_than_a_claims_balance_is_refused_and_writes_nothing(big_bill: Any) -> None:
    conn, bill = big_bill
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=bill.due_on + timedelta(days=5))
    lines = LedgerLine.objects.count()
    with pytest.raises(surcharges.SurchargeNotPayable):
        collection.record_surcharge_payment(
            actor=None, claim=Surcharge.objects.get(), amount=101, paid_on=bill.due_on, channel="counter"
        )
    assert LedgerLine.objects.count() == lines


def test_a_negative_claim_payment_is_refused(big_bill: Any) -> None:
    conn, bill = big_bill
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=bill.due_on + timedelta(days=5))
    with pytest.raises(ValidationFailed):
        collection.record_surcharge_payment(
            actor=None, claim=Surcharge.objects.get(), amount=-100, paid_on=bill.due_on, channel="counter"
        )


def test_a_claim_payment_in_a_closed_month_is_refused_and_writes_nothing(big_bill: Any) -> None:
    conn, bill = big_bill
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=bill.due_on + timedelta(days=5))
    record_setting(actor=None, key=settings_keys.CLOSED_THROUGH, value="2026-12-31", effective_from=local_today())
    with pytest.raises(PeriodClosed):
        collection.record_surcharge_payment(
            actor=None, claim=Surcharge.objects.get(), amount=100, paid_on=date(2026, 7, 1), channel="counter"
        )
    assert not SurchargePayment.objects.exists()


def test_the_convenience_file_may_quote_a_claim_number(big_bill: Any) -> None:
    conn, bill = big_bill
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=bill.due_on + timedelta(days=5))
    fee = Surcharge.objects.get()
    data = f"請求番号,収納日,収納額\n{fee.number},{bill.due_on + timedelta(days=8)},100\n".encode()
    collection.import_payments(actor=None, data=data)
    assert Surcharge.objects.get().balance == 0


def test_a_file_overpaying_a_claim_is_refused_whole(big_bill: Any) -> None:
    conn, bill = big_bill
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=bill.due_on + timedelta(days=5))
    fee = Surcharge.objects.get()
    data = f"請求番号,収納日,収納額\n{bill.number},{bill.due_on},{bill.total}\n{fee.number},{bill.due_on},500\n"
    with pytest.raises(PaymentsRefused):
        collection.import_payments(actor=None, data=data.encode())
    assert not SurchargePayment.objects.exists()


def test_the_arrears_list_shows_the_late_fee_accruing(big_bill: Any) -> None:
    _conn, bill = big_bill
    today = bill.due_on + timedelta(days=90)
    [row] = selectors.view_arrears(actor=None, purpose="滞納整理", today=today)
    assert row.accruing == _late(bill, today)


def test_the_arrears_list_shows_the_unpaid_fee(big_bill: Any) -> None:
    conn, bill = big_bill
    today = bill.due_on + timedelta(days=5)
    arrears.issue_notice(actor=None, connection=conn, kind=NoticeKind.DUNNING, today=today)
    [row] = selectors.view_arrears(actor=None, purpose="滞納整理", today=today)
    assert row.surcharges == 100
