"""Tariffs, readings, 調定 runs and the books, end to end through the services (docs/domain/water_billing.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection as db
from django_tenants.utils import schema_context

from common.audit import AuditEvent
from common.ledger import verify
from water_billing import rules, selectors
from water_billing.errors import ReadingExists, ReadingsRefused, RunStateInvalid, RunSummaryMismatch
from water_billing.models import Bill, BillingRun, BillState, LedgerLine, Reading, Service
from water_billing.services import readings, runs
from water_billing.services.readings import ReadingInput
from water_billing.services.tariffs import record_tariff

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def town(db: Any) -> Any:
    with schema_context("nakatosa"):
        factories.nakatosa_tariff()
        yield


def _read(conn: Any, period: Any, value: int, **kw: Any) -> Reading:
    return readings.record_reading(
        actor=None, connection=conn, period=period, data=ReadingInput(value=value, read_on=period.read_on, **kw)
    )


def test_a_tariff_with_overlapping_tiers_is_refused_and_nothing_written(town: Any) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(rules.TariffTiersOverlap):
        record_tariff(
            actor=None, service=Service.WATER, effective_from=date(2027, 4, 1),
            bases=[rules.Base(13, 600, 10)], tiers=[rules.Tier(11, 20, 120), rules.Tier(15, None, 150)],
        )  # fmt: skip
    assert len(selectors.tariff_versions(Service.WATER)) == 1
    assert AuditEvent.objects.count() == before


def test_a_tariff_version_is_never_overwritten(town: Any) -> None:
    from common.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        factories.nakatosa_tariff(sewer=False)
    assert caught.value.code == "tariff_exists"


def test_tariff_creation_is_audited(town: Any) -> None:
    assert AuditEvent.objects.filter(action="water.tariff.record").count() == 2


def test_a_reading_below_the_last_is_refused(town: Any) -> None:
    conn = factories.connection()
    first, second = factories.period("2026-04"), factories.period("2026-06", starts_on=date(2026, 6, 1))
    _read(conn, first, 120)
    with pytest.raises(rules.ReadingBelowPrevious):
        _read(conn, second, 100)
    assert not Reading.objects.filter(period=second).exists()


def test_a_meter_exchange_counts_both_meters(town: Any) -> None:
    conn = factories.connection()
    first, second = factories.period("2026-04"), factories.period("2026-06", starts_on=date(2026, 6, 1))
    _read(conn, first, 120)
    reading = _read(conn, second, 7, old_final=130, new_initial=0, new_meter_serial="NEW1")
    conn.refresh_from_db()
    assert reading.usage_m3 == 17
    assert conn.meter_serial == "NEW1"
    assert "exchange" in reading.anomalies


def test_a_reading_twice_is_refused(town: Any) -> None:
    conn, period = factories.connection(), factories.period()
    _read(conn, period, 10)
    with pytest.raises(ReadingExists):
        _read(conn, period, 12)


def test_zero_use_is_flagged(town: Any) -> None:
    conn, period = factories.connection(), factories.period()
    assert _read(conn, period, 0).anomalies == ["zero_use"]


def test_estimated_reading_uses_last_year(town: Any) -> None:
    conn = factories.connection()
    last_year = factories.period("2025-04", starts_on=date(2025, 4, 1))
    _read(conn, last_year, 25)
    reading = readings.record_estimated_reading(
        actor=None, connection=conn, period=factories.period(), read_on=date(2026, 5, 25)
    )
    assert reading.usage_m3 == 25
    assert reading.estimated


def test_the_readings_csv_is_all_or_nothing(town: Any) -> None:
    good, bad = factories.connection(), factories.connection()
    first, second = factories.period("2026-04"), factories.period("2026-06", starts_on=date(2026, 6, 1))
    _read(bad, first, 50)
    csv = f"水栓番号,検針日,指針\n{good.tap_number},2026-07-25,30\n{bad.tap_number},2026-07-25,40\nNOPE,2026-07-25,1\n"
    with pytest.raises(ReadingsRefused) as caught:
        readings.import_readings(actor=None, period=second, data=csv.encode())
    rows = [e["row"] for e in caught.value.details["errors"]]
    assert rows == [3, 4]
    assert not Reading.objects.filter(period=second).exists()


def test_the_readings_csv_imports(town: Any) -> None:
    a, b = factories.connection(), factories.connection()
    period = factories.period()
    csv = f"\ufeff水栓番号,検針日,指針\n{a.tap_number},2026-05-25,30\n{b.tap_number},2026-05-25,0\n"
    result = readings.import_readings(actor=None, period=period, data=csv.encode())
    assert result == {"rows": 2, "flagged": 1}


def _billed_period(n: int = 3) -> tuple[Any, list[Any]]:
    period = factories.period()
    conns = [factories.connection(sewer=(i == 0)) for i in range(n)]
    for i, conn in enumerate(conns):
        _read(conn, period, 31 + i)
    return period, conns


def _run(period: Any, district: str = "") -> BillingRun:
    run = BillingRun.objects.create(period=period, district=district)
    return runs.execute_run(run=run)


def test_a_run_bills_each_connection_once_with_items(town: Any) -> None:
    period, conns = _billed_period()
    run = _run(period)
    bill = Bill.objects.get(connection=conns[1], period=period)
    assert run.bill_count == 3
    assert bill.total == rules.with_tax(500 + 5 * 120 + 500 + 7 * 120, unit=1)[0]
    assert [item["service"] for item in bill.items] == ["water"]
    sewer_bill = Bill.objects.get(connection=conns[0], period=period)
    assert sewer_bill.sewer_pre_tax == (1000 + 5 * 110) + (1000 + 6 * 110)


def test_a_second_run_creates_nothing(town: Any) -> None:
    period, _ = _billed_period()
    _run(period)
    second = _run(period)
    assert second.bill_count == 0
    assert second.skipped == 3
    assert Bill.objects.filter(period=period).count() == 3


def test_a_cancelled_run_can_be_run_again(town: Any) -> None:
    period, _ = _billed_period()
    first = _run(period)
    runs.cancel_run(actor=None, run=first)
    again = _run(period)
    assert again.bill_count == 3
    assert Bill.objects.filter(period=period, state=BillState.VOID).count() == 3


def test_confirmation_posts_the_choutei_and_the_books_balance(town: Any) -> None:
    period, _ = _billed_period()
    run = runs.confirm_run(actor=None, run=_run(period))
    lines = list(LedgerLine.objects.filter(source_id=str(run.public_id)))
    assert sum(line.debit for line in lines) == run.total
    assert sum(line.credit for line in lines) == run.total
    rows = {r.code: r for r in selectors.trial_balance(end=date(2026, 12, 31))}
    assert rows["2110"].balance == run.tax_total
    assert verify(LedgerLine, "nakatosa").intact


def test_a_run_is_confirmed_once(town: Any) -> None:
    period, _ = _billed_period()
    run = runs.confirm_run(actor=None, run=_run(period))
    with pytest.raises(RunStateInvalid):
        runs.confirm_run(actor=None, run=run)


def test_a_summary_that_does_not_match_the_bills_stops_confirmation(town: Any) -> None:
    period, _ = _billed_period()
    run = _run(period)
    BillingRun.objects.filter(pk=run.pk).update(total=run.total + 1)
    with pytest.raises(RunSummaryMismatch):
        runs.confirm_run(actor=None, run=run)
    assert not LedgerLine.objects.exists()


def test_cancelling_a_confirmed_run_reverses_it(town: Any) -> None:
    period, _ = _billed_period()
    run = runs.confirm_run(actor=None, run=_run(period))
    runs.cancel_run(actor=None, run=run)
    rows = {r.code: r for r in selectors.trial_balance(end=date(2027, 12, 31))}
    assert rows["1210"].balance == 0


def test_the_books_refuse_an_edit(town: Any) -> None:
    period, _ = _billed_period()
    runs.confirm_run(actor=None, run=_run(period))
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), db.cursor() as cursor:
        cursor.execute("UPDATE water_billing_ledgerline SET debit = 1")


def test_closing_mid_period_bills_the_days_of_use(town: Any) -> None:
    period = factories.period()
    conn = factories.connection(closed_on=date(2026, 4, 30))
    _read(conn, period, 20)
    _run(period)
    bill = Bill.objects.get(connection=conn)
    assert len(bill.items[0]["months"]) == 1


def test_budget_execution_compares_the_latest_revision_with_the_books(town: Any) -> None:
    from water_billing.services.budgets import record_budget_line

    period, _ = _billed_period()
    run = runs.confirm_run(actor=None, run=_run(period))
    record_budget_line(actor=None, fiscal_year=2026, article="3", account_code="4110", name="給水収益", amount=1000)
    record_budget_line(actor=None, fiscal_year=2026, article="3", account_code="4110", name="給水収益", amount=9000)
    [row] = selectors.budget_execution(fiscal_year=2026, end=date(2027, 3, 31))
    assert row.budget == 9000
    assert row.actual == runs.bill_totals(run)["w"]  # 給水収益: the water charges without tax
