"""manage.py bench: the JSON line's shape and the clean-up — never its speed.

The scenarios provision and migrate real schemas, which commits; so these tests use
django_db_blocker.unblock() instead of pytest-django's rolled-back transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from common import bench
from resident_records import bench_certificate, bench_http
from tenants import bench as tenant_bench
from tenants.models import Domain, Municipality

REQUIRED_KEYS = {
    "scenario", "unit", "median", "min", "max", "runs", "baseline", "baseline_median", "ratio_to_baseline", "host",
}  # fmt: skip


def _refuse_other_databases() -> None:
    # pytest-django creates the test database only when a collected test uses `db` (here:
    # test_unused_code_skips_taken_codes); refuse to commit anything into any other database.
    name = connection.settings_dict["NAME"]
    if name != connection.creation._get_test_db_name():
        pytest.fail(f"not the test database ({name}); include a test that uses the db fixture in this run")


@pytest.fixture
def committed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    _refuse_other_databases()
    with django_db_blocker.unblock():
        yield
        assert _bench_leftovers() == {"schemas": [], "municipalities": [], "domains": []}


@dataclass(frozen=True)
class PlatformRun:
    provision: dict[str, Any]
    migrate: dict[str, Any]
    towns_before: dict[str, str]  # schema -> status, before and after the call
    towns_after: dict[str, str]
    leftovers: dict[str, list[str]]


@pytest.fixture(scope="module")
def platform_run(django_db_setup: Any, django_db_blocker: Any) -> PlatformRun:
    """One ``bench provision migrate`` call, shared by the tests of both scenarios: each scenario migrates several
    real schemas, and one call proves both the single-scenario line and two scenarios in one call."""
    with django_db_blocker.unblock():
        _refuse_other_databases()
        before = {m.schema_name: m.status for m in Municipality.objects.all()}
        provision_line, migrate_line = _run("provision", "migrate", "--towns", "2", "--repeat", "1")
        return PlatformRun(
            provision=provision_line,
            migrate=migrate_line,
            towns_before=before,
            towns_after={m.schema_name: m.status for m in Municipality.objects.all()},
            leftovers=_bench_leftovers(),
        )


def _bench_leftovers() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(r"SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\_%' ORDER BY 1")
        schemas = [row[0] for row in cursor.fetchall()]
    return {
        "schemas": schemas,
        "municipalities": list(
            Municipality.objects.filter(schema_name__startswith="bench_").values_list("schema_name", flat=True)
        ),
        "domains": list(Domain.objects.filter(domain__endswith=".bench.invalid").values_list("domain", flat=True)),
    }


def _run(*args: str) -> list[dict[str, Any]]:
    out = StringIO()
    call_command("bench", *args, stdout=out)
    lines = out.getvalue().splitlines()
    return [json.loads(line) for line in lines]


def _assert_line(line: dict[str, Any], scenario: str, runs: int) -> None:
    assert set(line) >= REQUIRED_KEYS
    assert line["scenario"] == scenario
    assert line["unit"] == "s"
    assert line["runs"] == runs
    assert 0 < line["min"] <= line["median"] <= line["max"]
    assert line["baseline_median"] > 0
    assert line["ratio_to_baseline"] == pytest.approx(line["median"] / line["baseline_median"], rel=1e-3)
    assert isinstance(line["baseline"], str)
    assert line["baseline"]
    assert line["host"]["postgresql"]
    assert line["host"]["cpus"] >= 1


def test_provision_prints_one_json_line_and_leaves_nothing_behind(platform_run: PlatformRun) -> None:
    line = platform_run.provision

    _assert_line(line, "provision", runs=1)
    assert line["baseline_runs"] == 1
    assert "plain migrate" in line["baseline"]
    assert set(platform_run.towns_after) == set(platform_run.towns_before)
    assert platform_run.leftovers == {"schemas": [], "municipalities": [], "domains": []}


def test_migrate_over_towns_and_both_scenarios_in_one_call(platform_run: PlatformRun) -> None:
    provision_line, migrate_line = platform_run.provision, platform_run.migrate

    _assert_line(provision_line, "provision", runs=1)
    _assert_line(migrate_line, "migrate", runs=1)
    assert migrate_line["towns"] == 2
    assert "× the no-op migrate of one town less its set-up" in migrate_line["baseline"]
    setup = migrate_line["per_call_setup_seconds"]
    assert setup >= 0
    # The baseline pays the set-up once, as the measured command does: set-up + 2 × (one town − set-up).
    expected = setup + 2 * max(migrate_line["single_town_median"] - setup, 0.0)
    assert migrate_line["baseline_median"] == pytest.approx(expected, rel=1e-3, abs=1e-5)
    assert platform_run.towns_after == platform_run.towns_before
    assert platform_run.leftovers == {"schemas": [], "municipalities": [], "domains": []}


def test_cleanup_runs_when_a_scenario_fails(committed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    real_migrate = tenant_bench.migrate_tenants

    def fail_after_creating(schemas: Any) -> None:
        real_migrate(schemas)
        raise RuntimeError("simulated failure mid-benchmark")

    monkeypatch.setattr(tenant_bench, "migrate_tenants", fail_after_creating)
    with pytest.raises(RuntimeError, match="simulated failure"):
        call_command("bench", "migrate", "--towns", "1", "--repeat", "1", stdout=StringIO())
    # the committed fixture asserts that no bench_ schema, town or host name is left


def test_unknown_scenario_lists_the_known_ones() -> None:
    with pytest.raises(CommandError) as unknown:
        call_command("bench", "provision", "no_such_scenario", stdout=StringIO())
    message = str(unknown.value)
    assert "不明なシナリオです: no_such_scenario" in message
    assert "migrate" in message
    assert "provision" in message

    with pytest.raises(CommandError, match="シナリオを指定してください"):
        call_command("bench", stdout=StringIO())
    with pytest.raises(CommandError, match="1 以上"):
        call_command("bench", "provision", "--repeat", "0", stdout=StringIO())


def test_registry_lists_scenarios_and_refuses_a_second_registration_under_one_name() -> None:
    bench.discover()
    assert {"provision", "migrate"} <= set(bench.registered())
    out = StringIO()
    call_command("bench", "--list", stdout=out)
    assert out.getvalue().split() == list(bench.registered())

    def impostor(options: bench.BenchOptions) -> dict[str, Any]:
        return {}

    with pytest.raises(Exception, match="registered twice"):
        bench.scenario("provision")(impostor)
    assert bench.registered()["provision"] is tenant_bench.provision_scenario
    with pytest.raises(bench.UnknownScenario) as unknown:
        bench.run("no_such_scenario", bench.BenchOptions())
    assert unknown.value.code == "unknown_bench_scenario"


def test_unused_code_skips_taken_codes(db: Any) -> None:
    towns = tenant_bench.BenchTowns()
    first = towns.unused_code()
    Municipality.objects.create(schema_name="bench_code_probe", name="コード確認", code=first)
    second = towns.unused_code()
    assert second != first
    assert second.startswith("99")
    assert towns.unused_code() not in {first, second}, "codes handed out in one run are not reused"


def test_resident_certificate_issues_with_eight_clerks(committed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_certificate, "ISSUES_PER_REPEAT", 1)  # the scenario's floor: 2 per clerk and run
    [line] = _run("resident_certificate", "--repeat", "1")
    assert set(line) >= REQUIRED_KEYS
    assert line["clerks"] == 8
    assert line["runs"] == 32  # 8 clerks × 2 certificates, twice
    assert line["baseline_runs"] == 32
    assert line["household_members"] >= 16
    assert line["per_second"] > 0
    assert 0 < line["p50"] <= line["p95"] <= line["p99"]
    assert "no serial lock" in line["baseline"]


@pytest.mark.integration
def test_http_bench_runs_the_clerk_mix_against_gunicorn(committed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each client still runs at least one full round of the mix per level and side (bench_http._closed_loop).
    monkeypatch.setattr(bench_http, "SECONDS_PER_REPEAT", 0.1)
    [line] = _run("http", "--repeat", "1", "--residents", "300")
    assert set(line) >= REQUIRED_KEYS
    assert "/healthz" in line["baseline"]
    assert [level["clients"] for level in line["levels"]] == [1, 5, 20]
    five = line["levels"][1]
    assert set(five["endpoints"]) == {
        "search_kana", "search_kanji", "single", "household", "certificate_preview", "api_list",
    }  # fmt: skip
    assert line["errors"] == 0
    for name, endpoint in five["endpoints"].items():
        assert endpoint["requests"] > 0, (name, five)
        assert endpoint["server_p50_ms"] > 0, (name, five)  # the server-timing header came back
        assert endpoint["sql_per_request"] >= 1, (name, five)  # and the SQL count
    assert five["healthz"]["requests"] > 0
    assert line["ratio_to_baseline"] == five["ratio_p95"]
    assert line["gunicorn_workers"] >= 1
    assert isinstance(line["meets_targets"], bool)
