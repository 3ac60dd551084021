"""/api/v1/bcp/drills/: restore-drill evidence for auditors and IT staff, JSON and CSV, per host.

The drills live in the public schema; a town host shows only that town's drills, the council host all of
them (tenant isolation). The route-wide refusals (anonymous, other town, wrong role, foreign token) are
proved for this route by tests/test_isolation.py, which enumerates every route.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from bcp.models import BackupSite, DrillStatus, RestoreDrill, SiteRole
from common.models import AuditEvent
from tests.bcp.test_restore import make_site

pytestmark = pytest.mark.django_db

URL = "/api/v1/bcp/drills/"


@pytest.fixture
def evidence(tmp_path: Path) -> dict[str, Any]:
    inland = make_site(tmp_path / "inland", name="inland-test")
    remote = make_site(tmp_path / "remote", name="remote-test", role=SiteRole.REMOTE)
    now = timezone.now()

    def drill(schema: str, site: BackupSite, status: str, days_ago: int, **fields: Any) -> RestoreDrill:
        return RestoreDrill.objects.create(
            schema_name=schema,
            site=site,
            status=status,
            started_at=now - timedelta(days=days_ago),
            finished_at=now - timedelta(days=days_ago) + timedelta(seconds=40),
            backup_snapshot_at=now - timedelta(days=days_ago, hours=5),
            achieved_rpo_seconds=5 * 3600,
            restore_seconds=38.5,
            tables_checked=42,
            rows_checked=300_123,
            **fields,
        )

    return {
        "passed": drill("nakatosa", inland, DrillStatus.PASSED, 1),
        "failed": drill(
            "nakatosa",
            remote,
            DrillStatus.FAILED,
            8,
            error="バックアップファイルの SHA-256 がマニフェストと一致しません。",
            differences=[{"table": "resident_records_resident", "problem": "mismatch"}],
            report={"error_code": "bcp_artifact_checksum_mismatch"},
        ),
        "shimanto": drill("shimanto", inland, DrillStatus.PASSED, 1),
        "public": drill("public", inland, DrillStatus.PASSED, 1),
    }


def town_audit(schema: str, action: str) -> list[AuditEvent]:
    with schema_context(schema):
        return list(AuditEvent.objects.filter(action=action))


def test_a_town_host_shows_only_that_towns_drills(client_for: Any, evidence: dict[str, Any]) -> None:
    response = client_for("auditor", "nakatosa").get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [evidence["passed"].pk, evidence["failed"].pk]
    failed = body["results"][1]
    assert failed["status"] == "failed"
    assert failed["status_label"] == "不合格"
    assert failed["site"] == "remote-test"
    assert failed["site_role"] == "remote"
    assert failed["error_code"] == "bcp_artifact_checksum_mismatch"
    assert failed["differences"] == [{"table": "resident_records_resident", "problem": "mismatch"}]
    assert failed["restore_seconds"] == 38.5
    assert failed["rto_target_seconds"] == 3600
    assert failed["achieved_rpo_seconds"] == 18000
    assert failed["rpo_target_seconds"] == 86400
    # Asking for another town's schema on this host finds nothing rather than leaking it.
    assert client_for("auditor", "nakatosa").get(URL, {"schema": "shimanto"}).json()["count"] == 0
    assert client_for("auditor", "nakatosa").get(URL, {"schema": "public"}).json()["count"] == 0
    events = town_audit("nakatosa", "bcp.drill_list")
    assert len(events) == 3
    assert events[0].actor_username == "auditor"
    assert town_audit("shimanto", "bcp.drill_list") == []


def test_the_council_host_shows_every_drill(client_for: Any, evidence: dict[str, Any]) -> None:
    body = client_for("it_admin", "council").get(URL).json()
    assert {row["schema_name"] for row in body["results"]} == {"nakatosa", "shimanto", "public"}
    assert body["count"] == 4
    assert len(town_audit("council", "bcp.drill_list")) == 1


def test_filters(client_for: Any, evidence: dict[str, Any]) -> None:
    client = client_for("it_admin", "council")

    def ids(**params: str) -> set[int]:
        response = client.get(URL, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(schema="nakatosa", site="remote-test") == {evidence["failed"].pk}
    assert ids(status="failed") == {evidence["failed"].pk}
    today = timezone.localdate()
    assert ids(since=str(today - timedelta(days=3))) == {evidence[k].pk for k in ("passed", "shimanto", "public")}
    assert ids(until=str(today - timedelta(days=3))) == {evidence["failed"].pk}
    refused = client.get(URL, {"since": str(today), "until": str(today - timedelta(days=1))})
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation_error"
    assert client.get(URL, {"status": "maybe"}).json()["code"] == "validation_error"


def test_csv_export_for_auditors(client_for: Any, evidence: dict[str, Any]) -> None:
    response = client_for("auditor", "nakatosa").get(URL, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="restore-drills.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [row["id"] for row in rows] == [str(evidence["passed"].pk), str(evidence["failed"].pk)]
    assert rows[1]["status"] == "failed"
    assert rows[1]["differences"] == "resident_records_resident:mismatch"
    assert rows[1]["restore_seconds"] == "38.5"
    assert rows[1]["rows_checked"] == "300123"
    assert rows[1]["started_at"].endswith("+09:00")
    assert [e.details for e in town_audit("nakatosa", "bcp.drill_export")] == [{}]


def test_roles_outside_the_module_are_refused_and_nothing_is_audited(client_for: Any, evidence: dict[str, Any]) -> None:
    response = client_for("tanaka", "nakatosa").get(URL)  # a clerk
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    response = client_for("council_staff", "council").get(URL)
    assert response.status_code == 403
    assert town_audit("nakatosa", "bcp.drill_list") == []
    assert client_for(None, "nakatosa").get(URL).status_code == 401


def test_the_list_costs_the_same_queries_for_more_drills(client_for: Any, evidence: dict[str, Any]) -> None:
    client = client_for("it_admin", "council")
    client.get(URL)  # warm caches (session, membership)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    site = evidence["passed"].site
    for _ in range(10):
        RestoreDrill.objects.create(schema_name="nakatosa", site=site, status=DrillStatus.PASSED)
    with CaptureQueriesContext(connection) as large:
        assert client.get(URL).json()["count"] == 14
    assert len(large) == len(small)
