"""収納: 窓口, refunds, closed months, and 口座振替 — the 91 request file and the bank's result file reconciled
line by line, a bad file refused whole (docs/domain/water_billing.md §6)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django_tenants.utils import schema_context

from common.dates import local_today
from common.town_settings import record_setting
from common.zengin import parse_file
from water_billing import selectors, settings_keys
from water_billing.errors import (
    DebitAlreadyImported,
    DebitOtherRequester,
    DebitResultRefused,
    NothingToRefund,
    PaymentsRefused,
    PeriodClosed,
)
from water_billing.models import Bill, BillingRun, BillState, Channel, LedgerLine, Payment
from water_billing.services import collection, readings, runs
from water_billing.services.readings import ReadingInput

from . import factories

pytestmark = pytest.mark.django_db
DEBIT_ON = date(2026, 6, 26)


@pytest.fixture
def bills(db: Any) -> Any:
    with schema_context("nakatosa"):
        factories.nakatosa_tariff()
        for key, value in [
            (settings_keys.DEBIT_REQUESTER_CODE, "1234567890"),
            (settings_keys.DEBIT_REQUESTER_NAME, "ﾅｶﾄｻﾁﾖｳｽｲﾄﾞｳ"),
            (settings_keys.DEBIT_BANK_CODE, "0175"),
            (settings_keys.DEBIT_BRANCH_CODE, "232"),
        ]:
            record_setting(actor=None, key=key, value=value, effective_from=local_today())
        period = factories.period()
        account = {"bank_code": "0578", "branch_code": "032", "account_type": "1", "account_holder_kana": "ｼｹﾝ ﾀﾛｳ"}
        conns = [factories.connection(account_number=f"{1000000 + i}", **account) for i in range(3)]
        conns.append(factories.connection())  # pays by 納付書
        for i, conn in enumerate(conns):
            readings.record_reading(
                actor=None, connection=conn, period=period, data=ReadingInput(value=20 + i, read_on=period.read_on)
            )
        run = runs.confirm_run(actor=None, run=runs.execute_run(run=BillingRun.objects.create(period=period)))
        yield period, list(run.bills.order_by("number"))


def _result(request: bytes, codes: list[str], *, fix_trailer: bool = True) -> bytes:
    """The bank's answer to ``request``: result codes at byte 112 and the trailer's 振替済/不能 totals."""
    lines = request.split(b"\r\n")
    data = [bytearray(line) for line in lines if line]
    done = failed = done_amount = failed_amount = 0
    for record, code in zip(data[1:-2], codes, strict=True):
        record[111:112] = code.encode()
        amount = int(record[80:90])
        if code == "0":
            done, done_amount = done + 1, done_amount + amount
        else:
            failed, failed_amount = failed + 1, failed_amount + amount
    if fix_trailer:
        trailer = data[-2]
        trailer[19:55] = f"{done:06d}{done_amount:012d}{failed:06d}{failed_amount:012d}".encode()
    return b"".join(bytes(r) + b"\r\n" for r in data)


def test_the_request_file_lists_the_debit_customers(bills: Any) -> None:
    period, items = bills
    built = collection.build_debit_request(actor=None, period=period, debit_on=DEBIT_ON)
    parsed = parse_file(built.data, result=False)
    assert parsed.ok
    assert built.count == 3
    assert built.total == sum(b.total for b in items[:3])


def test_the_result_file_is_reconciled_line_by_line(bills: Any) -> None:
    period, items = bills
    request = collection.build_debit_request(actor=None, period=period, debit_on=DEBIT_ON).data
    outcome = collection.import_debit_result(actor=None, data=_result(request, ["0", "1", "2"]), debit_on=DEBIT_ON)
    states = [Bill.objects.get(pk=b.pk) for b in items[:3]]
    assert outcome.succeeded == 1
    assert [b.state for b in states] == [BillState.PAID, BillState.UNPAID, BillState.UNPAID]
    assert states[1].debit_result == "1 資金不足"
    assert Payment.objects.filter(channel=Channel.DEBIT).count() == 1
    rows = {r.code: r for r in selectors.trial_balance(end=date(2026, 12, 31))}
    assert rows["1110"].balance == items[0].total


@pytest.mark.parametrize("problem", ["unknown_code", "trailer"])
def test_a_bad_result_file_changes_nothing(bills: Any, problem: str) -> None:
    period, _ = bills
    request = collection.build_debit_request(actor=None, period=period, debit_on=DEBIT_ON).data
    data = (
        _result(request, ["0", "7", "0"])
        if problem == "unknown_code"
        else _result(request, ["0", "0", "0"])[:-200] + _result(request, ["0", "1", "0"])[-200:]
    )
    lines_before = LedgerLine.objects.count()
    with pytest.raises(DebitResultRefused):
        collection.import_debit_result(actor=None, data=data, debit_on=DEBIT_ON)
    assert not Payment.objects.exists()
    assert LedgerLine.objects.count() == lines_before


def test_a_result_file_of_another_requester_is_refused(bills: Any) -> None:
    period, _ = bills
    request = bytearray(collection.build_debit_request(actor=None, period=period, debit_on=DEBIT_ON).data)
    request[4:14] = b"9999999999"
    with pytest.raises(DebitOtherRequester):
        collection.import_debit_result(actor=None, data=_result(bytes(request), ["0", "0", "0"]), debit_on=DEBIT_ON)
    assert not Payment.objects.exists()


def test_a_result_file_is_imported_once(bills: Any) -> None:
    period, _ = bills
    data = _result(collection.build_debit_request(actor=None, period=period, debit_on=DEBIT_ON).data, ["0", "0", "1"])
    collection.import_debit_result(actor=None, data=data, debit_on=DEBIT_ON)
    with pytest.raises(DebitAlreadyImported):
        collection.import_debit_result(actor=None, data=data, debit_on=DEBIT_ON)


def test_an_over_payment_at_the_counter_is_refunded(bills: Any) -> None:
    _, items = bills
    bill = items[3]
    collection.record_payment(actor=None, bill=bill, amount=bill.total + 500, paid_on=DEBIT_ON, channel="counter")
    rows = {r.code: r for r in selectors.trial_balance(end=date(2026, 12, 31))}
    assert rows["2120"].balance == 500
    collection.record_refund(actor=None, bill=bill, paid_on=DEBIT_ON)
    rows = {r.code: r for r in selectors.trial_balance(end=date(2026, 12, 31))}
    assert rows["2120"].balance == 0
    with pytest.raises(NothingToRefund):
        collection.record_refund(actor=None, bill=bill, paid_on=DEBIT_ON)


def test_a_payment_to_a_closed_month_is_refused(bills: Any) -> None:
    _, items = bills
    record_setting(actor=None, key=settings_keys.CLOSED_THROUGH, value="2026-06-30", effective_from=local_today())
    with pytest.raises(PeriodClosed):
        collection.record_payment(actor=None, bill=items[3], amount=100, paid_on=date(2026, 6, 30), channel="counter")
    assert not Payment.objects.exists()


def test_convenience_store_payments_are_imported(bills: Any) -> None:
    _, items = bills
    bill = items[3]
    data = f"請求番号,収納日,収納額,収納機関の受付番号\n{bill.number},2026-06-20,{bill.total},CVS-1\n".encode()
    assert collection.import_payments(actor=None, data=data) == {"rows": 1, "total": bill.total}
    assert Bill.objects.get(pk=bill.pk).state == BillState.PAID


def test_a_payments_file_with_a_bad_row_records_nothing(bills: Any) -> None:
    _, items = bills
    lines_before = LedgerLine.objects.count()
    data = f"請求番号,収納日,収納額\n{items[3].number},2026-06-20,{items[3].total}\nNOPE,2026-06-20,100\n".encode()
    with pytest.raises(PaymentsRefused) as refused:
        collection.import_payments(actor=None, data=data)
    assert [e["row"] for e in refused.value.details["errors"]] == [3]
    assert not Payment.objects.exists()
    assert LedgerLine.objects.count() == lines_before
