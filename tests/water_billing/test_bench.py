"""manage.py bench water_billing_run: the JSON line's shape and the clean-up — never its speed (the scenario
provisions and drops a real schema, which commits: see tests/test_bench.py)."""

from __future__ import annotations

import json
import os
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tenants.models import Municipality
from tests.test_bench import REQUIRED_KEYS, committed
from water_billing import bench

__all__ = ["committed"]


def test_the_run_scenario_reports_its_figures_and_leaves_nothing_behind(
    committed: None, monkeypatch: pytest.MonkeyPatch, db: Any
) -> None:
    # KYODO_WATER_BENCH_CONNECTIONS=100000 with -s prints the full-size figures (a manual run).
    if "KYODO_WATER_BENCH_CONNECTIONS" not in os.environ:
        monkeypatch.setattr(bench, "CONNECTIONS", 200)
    towns_before = set(Municipality.objects.values_list("schema_name", flat=True))
    out = StringIO()
    call_command("bench", "water_billing_run", "--repeat", "1", stdout=out)
    [line] = [json.loads(text) for text in out.getvalue().splitlines()]
    print(json.dumps(line, ensure_ascii=False))  # the figures, for a manual run with -s
    assert set(line) >= REQUIRED_KEYS | {"copy_ratio", "peak_python_mb", "bills"}
    assert line["bills"] == bench.CONNECTIONS
    assert set(Municipality.objects.values_list("schema_name", flat=True)) == towns_before
