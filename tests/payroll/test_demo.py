"""The demo payroll (payroll/demo.py): staff of both towns, a year of locked runs, linked demo people."""

from __future__ import annotations

import time
from typing import Any

from django_tenants.utils import schema_context

from payroll.demo import seed_town
from payroll.models import JobType, PayRun, Payslip, Staff
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
        tanaka = Person.objects.get(username="tanaka")
        assert Payslip.objects.filter(staff__person_id=tanaka.pk).count() >= 12
        assert seed_town(schema="nakatosa", count=150, seed=2026) is None  # idempotent
