"""Benchmark ``payroll_run`` (``manage.py bench payroll_run``): a monthly run for 5,000 staff.

In a scratch town (``bench_<run id>_payroll``, dropped afterwards) the demo generator creates 5,000 staff with
their 発令 and 住民税 notices and the demo 給料表; each repetition (re)calculates the June 例月 run through the
service the background job calls (``runs.calculate_run``: reads every input, applies every rule, replaces the
result). The baseline, in the same run, inserts exactly the result rows that calculation produced into the same
tables the way the run writes them (payslips by ``bulk_create``, their lines by COPY) — the write the run cannot
avoid. Target: at most 5 × the baseline; sanity line: at most 30 s.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import date
from typing import Any

from django.db import transaction
from django_tenants.utils import schema_context

from common.bench import BenchOptions, comparison, scenario
from payroll.demo import CITY, generate_staff, install_settings, install_table
from payroll.models import Payslip, PayslipLine
from payroll.services import runs
from payroll.services.calculation import LINE_COLUMNS, write_lines
from tenants.bench import bench_towns

STAFF = 5_000
TARGET_RATIO = 5.0
SANITY_SECONDS = 30.0


class _Rollback(Exception):
    pass


def _baseline_seconds(run: Any) -> float:
    """Bulk-insert the run's own result rows again (inside a transaction rolled back afterwards)."""
    slips = list(Payslip.objects.filter(run=run).order_by("pk"))
    lines = list(
        PayslipLine.objects.filter(payslip__run=run).order_by("pk").values_list("payslip_id", *LINE_COLUMNS[1:])
    )
    elapsed = 0.0
    try:
        with transaction.atomic():
            Payslip.objects.filter(run=run).delete()
            by_old: dict[int, Payslip] = {}
            for slip in slips:
                by_old[slip.pk] = slip
                slip.pk = None
                slip.public_id = uuid.uuid4()
            started = time.perf_counter()
            created = Payslip.objects.bulk_create(slips, batch_size=2000)
            write_lines([(by_old[line[0]].pk, *line[1:]) for line in lines])
            elapsed = time.perf_counter() - started
            assert len(created) == len(slips)
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


@scenario("payroll_run")
def payroll_run_scenario(options: BenchOptions) -> dict[str, Any]:
    measured: list[float] = []
    baseline: list[float] = []
    payslips = lines = 0
    with bench_towns() as towns:
        town = towns.provision("payroll")
        with schema_context(town.schema_name):
            install_table()
            install_settings(town.schema_name)
            generate_staff(STAFF, seed=5000, city=CITY["nakatosa"])
            run = runs.create_run(actor=None, kind="regular", pay_month=date(2026, 6, 1), paid_on=date(2026, 6, 19))
            for _ in range(options.repeat):
                started = time.perf_counter()
                run = runs.calculate_run(actor=None, run=run)
                measured.append(time.perf_counter() - started)
                baseline.append(_baseline_seconds(run))
            payslips = Payslip.objects.filter(run=run).count()
            lines = PayslipLine.objects.filter(payslip__run=run).count()
    median = statistics.median(measured)
    return comparison(
        unit="s",
        samples=measured,
        baseline="insert of the same payslip rows (bulk_create) and line rows (COPY) the run produced, same "
        "tables, in the same run",
        baseline_samples=baseline,
        staff=STAFF,
        payslips=payslips,
        lines=lines,
        target_ratio=TARGET_RATIO,
        target_met=median / statistics.median(baseline) <= TARGET_RATIO if statistics.median(baseline) else None,
        sanity_seconds=SANITY_SECONDS,
        sanity_met=median <= SANITY_SECONDS,
    )
