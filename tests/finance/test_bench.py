"""manage.py bench finance_commit / finance_report: the JSON line's shape, no overspend, and the clean-up — never
the speed (the scenarios provision and drop a real schema, which commits: see tests/test_bench.py)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from finance import bench
from tenants.models import Municipality
from tests.test_bench import REQUIRED_KEYS, committed

__all__ = ["committed"]  # the fixture, shared with the platform's bench tests


def _line(scenario: str) -> dict[str, object]:
    out = StringIO()
    call_command("bench", scenario, "--repeat", "1", stdout=out)
    [line] = [json.loads(text) for text in out.getvalue().splitlines()]
    return line


def test_finance_commit_reports_no_overspend_and_leaves_nothing(
    committed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "COMMITS_PER_REPEAT", 1)  # the scenario's floor: 2 per clerk and run
    towns_before = set(Municipality.objects.values_list("schema_name", flat=True))
    line = _line("finance_commit")
    assert set(line) >= REQUIRED_KEYS
    assert (line["overspend"], line["one_more_yen_refused"], line["committed"]) == (0, True, line["current_budget"])
    assert set(Municipality.objects.values_list("schema_name", flat=True)) == towns_before


def test_finance_report_compares_with_the_raw_aggregate(committed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "REPORT_LINES", 1_000)
    monkeypatch.setattr(bench, "REPORT_SETSU", 10)
    line = _line("finance_report")
    assert (line["journal_lines"], line["runs"], "GROUP BY" in str(line["baseline"])) == (1_000, 10, True)
    assert line["rollup_agrees_with_journal"] is True
