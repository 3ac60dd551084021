"""manage.py bench payroll_run: the JSON line's shape and the clean-up — never its speed (the scenario provisions
and drops a real schema, which commits: see tests/test_bench.py)."""

from __future__ import annotations

import json
import os
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tenants.models import Municipality
from tests.test_bench import REQUIRED_KEYS, committed

__all__ = ["committed"]


def test_payroll_run_scenario_reports_against_the_bulk_insert_baseline(committed: None, monkeypatch: Any) -> None:
    monkeypatch.setattr("payroll.bench.STAFF", int(os.environ.get("PAYROLL_BENCH_STAFF", "20")))
    towns_before = set(Municipality.objects.values_list("schema_name", flat=True))
    out = StringIO()
    call_command("bench", "payroll_run", "--repeat", "1", stdout=out)
    [line] = [json.loads(text) for text in out.getvalue().splitlines()]
    print(line)
    assert set(line) >= REQUIRED_KEYS
    assert line["scenario"] == "payroll_run"
    assert line["payslips"] > 0
    assert line["lines"] > line["payslips"]
    assert line["ratio_to_baseline"] == pytest.approx(line["median"] / line["baseline_median"], rel=1e-3)
    assert set(Municipality.objects.values_list("schema_name", flat=True)) == towns_before
