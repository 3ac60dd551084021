"""The demo payroll (payroll/demo.py): staff of both towns, a year of locked runs, linked demo people."""

from __future__ import annotations

import time
from typing import Any

from django_tenants.utils import schema_context

from payroll.demo import seed_town
from payroll.models import JobType, PayRun, Payslip, PayslipLine, Staff
from tenants.models import Person


def test_demo_town_has_staff_and_a_year_of_locked_runs(db: Any) -> None:
    started = time.perf_counter()
    assert seed_town(schema="nakatosa", count=150, seed=2026) == 150
    print(f"demo seed: {time.perf_counter() - started:.1f} s")
    with schema_context("nakatosa"):
        assert Staff.objects.count() == 150
        assert PayRun.objects.filter(state=PayRun.State.LOCKED, kind="regular").count() == 12
        assert PayRun.objects.filter(state=PayRun.State.LOCKED, kind="bonus").count() == 2
        assert Staff.objects.filter(appointments__job_type=JobType.FISCAL_PART_HOURLY).exists()
        # §5.9: the demo towns pay part-time 会計年度任用職員 a 勤勉手当 from 令和6年度.
        part_time = (JobType.FISCAL_PART_HOURLY, JobType.FISCAL_PART_MONTHLY)
        assert PayslipLine.objects.filter(code="kinben", payslip__job_type__in=part_time).exists()
        tanaka = Person.objects.get(username="tanaka")
        assert Payslip.objects.filter(staff__person_id=tanaka.pk).count() >= 12
        assert seed_town(schema="nakatosa", count=150, seed=2026) is None  # idempotent


def test_demo_town_has_a_locked_year_end_and_a_readjustment(db: Any) -> None:
    """The 2025 年末調整 (§13.9–§13.10) settled in January 2026, and one 再年末調整 (§13.11) settled in February."""
    from payroll.models import YearEndResult, YearEndRevision, YearEndRun

    seed_town(schema="nakatosa", count=40, seed=2026)
    with schema_context("nakatosa"):
        run = YearEndRun.objects.get(year=2025)
        assert run.locked
        assert run.calculated_by_name != run.approved_by_name
        adjusted = YearEndResult.objects.filter(run=run, adjusted=True)
        assert adjusted.count() >= 20
        assert YearEndResult.objects.filter(run=run, excluded_reason="年末調整の申告が未入力").exists()
        january = PayslipLine.objects.filter(code="year_end_tax", payslip__run__pay_month="2026-01-01")
        assert january.count() == adjusted.exclude(difference=0).count()
        revision = YearEndRevision.objects.get(run=run)
        assert revision.locked
        assert revision.difference > 0  # a late 生命保険料控除証明書: a refund
        february = PayslipLine.objects.get(code="year_end_retax", payslip__run__pay_month="2026-02-01")
        assert february.amount == -revision.difference
