"""manage.py bench koseki_certificate: the sample register, the JSON line's shape and the clean-up — never its
speed (the scenario provisions and drops a real schema, which commits: see tests/test_bench.py)."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from koseki import bench as koseki_bench
from koseki.bench import build_sample_koseki, render_full_certificate
from koseki.models import Member
from tenants.models import Municipality
from tests.test_bench import REQUIRED_KEYS, committed

__all__ = ["committed"]  # the fixture, shared with the platform's bench tests


def test_sample_register_has_six_members_and_renders(db: Any) -> None:
    with schema_context("nakatosa"):
        koseki = build_sample_koseki()
        members = list(Member.objects.filter(koseki=koseki))
        document, pages = render_full_certificate(koseki.pk, Municipality.objects.get(schema_name="nakatosa"))
    assert len(members) == 6
    assert sum(m.is_removed for m in members) == 1
    assert document.startswith(b"%PDF")
    assert pages >= 2


def test_scenario_issues_with_eight_clerks_and_leaves_nothing_behind(
    committed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(koseki_bench, "ISSUES_PER_REPEAT", 1)  # the scenario's floor: 2 per clerk and run
    towns_before = set(Municipality.objects.values_list("schema_name", flat=True))
    out = StringIO()
    call_command("bench", "koseki_certificate", "--repeat", "1", stdout=out)
    [line] = [json.loads(text) for text in out.getvalue().splitlines()]
    assert set(line) >= REQUIRED_KEYS
    assert line["scenario"] == "koseki_certificate"
    assert line["unit"] == "s"
    assert line["clerks"] == 8
    # 2 certificates per clerk, each side run twice.
    assert line["runs"] == 32
    assert line["baseline_runs"] == 32
    assert 0 < line["min"] <= line["p50"] <= line["p95"] <= line["p99"] <= line["max"]
    assert line["per_second"] > 0
    assert line["baseline_per_second"] > 0
    assert "serial" in line["baseline"]
    assert line["members"] == 6
    assert line["entries"] == 17
    assert line["pages"] >= 2
    assert line["ratio_to_baseline"] == pytest.approx(line["median"] / line["baseline_median"], rel=1e-3)
    assert set(Municipality.objects.values_list("schema_name", flat=True)) == towns_before
