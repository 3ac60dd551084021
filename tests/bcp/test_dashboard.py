"""The BCP dashboard (docs/bcp.md §7): grid values, tenant scope, charts, live progress, roles, audit, query count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bcp import selectors
from bcp.models import (
    Backup,
    BackupCopy,
    BackupSite,
    BcpAlert,
    LagSample,
    RestoreDrill,
    Standby,
)
from bcp.selectors import judge
from tests.support.access import audit_position, audit_since, templates_of

pytestmark = pytest.mark.django_db


def make_site(name: str, *, role: str = "inland", rpo: int = 24 * 60, rto: int = 60) -> BackupSite:
    return BackupSite.objects.create(
        name=name,
        label=f"{name}サイト",
        role=role,
        storage_kind="filesystem",
        location=f"/srv/{name}",
        encryption_key_ref="k1",
        rpo_target_minutes=rpo,
        rto_target_minutes=rto,
    )


def make_backup(schema: str, site: BackupSite, *, nights_ago: int, size: int, status: str = "complete") -> Backup:
    now = timezone.now()
    snapshot = now - timedelta(days=nights_ago, hours=2)
    backup, _ = Backup.objects.get_or_create(
        schema_name=schema,
        scheduled_for=timezone.localdate(now) - timedelta(days=nights_ago),
        defaults={
            "status": status,
            "snapshot_at": snapshot if status == "complete" else None,
            "size_bytes": size,
            "started_at": snapshot,
            "finished_at": snapshot + timedelta(seconds=40 + nights_ago),
            "progress": 100 if status == "complete" else 40,
        },
    )
    BackupCopy.objects.create(
        backup=backup,
        site=site,
        status=status if status in ("complete", "failed") else "uploading",
        last_error="接続できません" if status == "failed" else "",
    )
    return backup


def make_drill(
    schema: str, site: BackupSite, *, seconds: float, status: str = "passed", days_ago: int = 1
) -> RestoreDrill:
    started = timezone.now() - timedelta(days=days_ago)
    return RestoreDrill.objects.create(
        schema_name=schema,
        site=site,
        status=status,
        started_at=started,
        finished_at=started + timedelta(seconds=seconds),
        restore_seconds=seconds,
        achieved_rpo_seconds=3600,
    )


@pytest.fixture
def world() -> dict[str, Any]:
    inland = make_site("inland", rpo=24 * 60, rto=60)
    remote = make_site("remote", role="remote", rpo=60, rto=1)
    for nights in range(5):
        make_backup("nakatosa", inland, nights_ago=nights, size=7_000_000 + nights)
        make_backup("shimanto", inland, nights_ago=nights, size=9_100_000 + nights)
    make_backup("nakatosa", remote, nights_ago=0, size=7_000_000)
    make_backup("shimanto", remote, nights_ago=1, size=9_100_001, status="failed")  # the copy to remote failed
    make_drill("nakatosa", inland, seconds=125.5)
    make_drill("nakatosa", remote, seconds=300.0)
    make_drill("shimanto", inland, seconds=99.0)
    make_drill("shimanto", inland, seconds=10.0, status="failed", days_ago=0)
    standby = Standby.objects.create(
        name="standby-inland",
        site=inland,
        dsn_ref="s",
        schemas=["nakatosa", "shimanto", "public"],
        last_lag_seconds=1.4,
    )
    other = Standby.objects.create(name="standby-shimanto-only", site=inland, dsn_ref="t", schemas=["shimanto"])
    for minutes in range(0, 30, 5):
        LagSample.objects.create(
            standby=standby, measured_at=timezone.now() - timedelta(minutes=minutes), lag_seconds=0.5 + minutes / 10
        )
    BcpAlert.objects.create(
        kind="site_unreachable", severity="critical", schema_name="shimanto", message="四万十町の転送失敗"
    )
    BcpAlert.objects.create(kind="site_unreachable", severity="warning", site=remote, message="遠隔地サイトに接続不可")
    BcpAlert.objects.create(
        kind="old", severity="info", schema_name="nakatosa", message="解決済み", resolved_at=timezone.now()
    )
    return {"inland": inland, "remote": remote, "standby": standby, "other": other}


def test_verdicts_are_told_in_words() -> None:
    assert judge(None, 60).state == "unknown"
    assert judge(None, 60).text == "記録なし"
    ok = judge(30, 60)
    assert ok.state == "ok"
    assert "達成" in ok.text
    assert ok.symbol == "✓"
    ng = judge(61, 60)
    assert ng.state == "ng"
    assert "未達" in ng.text
    assert ng.symbol == "✗"


def test_grid_values_on_the_council_host(world: dict[str, Any], client_for: Any) -> None:
    response = client_for("it_admin", "council").get("/bcp/")
    assert response.status_code == 200
    data = response.context["data"]
    rows = {row.schema: row for row in data.rows}
    assert {"nakatosa", "shimanto", "public"} <= set(rows)
    inland, remote = (
        rows["nakatosa"].cells[[c.site.name for c in rows["nakatosa"].cells].index(n)] for n in ("inland", "remote")
    )
    assert inland.last_copy.backup.size_bytes == 7_000_000  # tonight's
    assert inland.last_drill.restore_seconds == 125.5
    assert inland.rpo.state == "ok"  # about 2 h old against 24 h
    assert inland.rto.state == "ok"  # 125.5 s against 60 min
    assert remote.rpo.state == "ng"  # about 2 h old against 60 min
    assert remote.rto.state == "ng"  # 300 s against 1 min
    assert [s.name for s in inland.standbys] == ["standby-inland"]
    shimanto_inland = rows["shimanto"].cells[0]
    assert shimanto_inland.last_drill.restore_seconds == 99.0, "the last *passing* drill"
    assert rows["shimanto"].alerts == 1
    assert rows["nakatosa"].alerts == 0
    # The failed copy to the remote site and today's failed drill.
    assert rows["shimanto"].failures == 2
    assert rows["nakatosa"].failures == 0
    shimanto_remote = rows["shimanto"].cells[1]
    assert shimanto_remote.last_copy.status == "failed"
    assert shimanto_remote.last_complete is None
    assert rows["public"].cells[0].last_copy is None
    assert rows["public"].cells[0].rpo.state == "unknown"

    page = response.content.decode()
    assert "未達" in page
    assert "達成" in page
    assert "✗" in page
    assert "遠隔地サイトに接続不可" in page
    assert "四万十町の転送失敗" in page
    assert "解決済み" not in page
    assert "1.4秒" in page
    assert "接続できません" in page
    assert page.count("<svg") >= 4
    assert "<polyline" in page
    assert "<script>" not in page
    assert "style=" not in page


def test_a_town_host_shows_only_that_town(world: dict[str, Any], client_for: Any) -> None:
    response = client_for("it_admin", "nakatosa").get("/bcp/")
    assert response.status_code == 200
    data = response.context["data"]
    assert [row.schema for row in data.rows] == ["nakatosa"]
    assert [s.name for s in data.standbys] == ["standby-inland"]
    assert data.alerts == []  # shimanto's alert and the site-wide alert are not this town's
    page = response.content.decode()
    assert "四万十町の転送失敗" not in page
    assert "遠隔地サイトに接続不可" not in page
    assert "四万十町" not in page.split('id="grid-heading"')[1]
    series = {s.name for chart in data.charts for s in chart.series}
    assert series
    assert all("四万十町" not in name for name in series)


def test_opening_the_dashboard_is_audited_in_the_towns_trail(world: dict[str, Any], client_for: Any) -> None:
    position = audit_position("nakatosa")
    client_for("auditor", "nakatosa").get("/bcp/")
    events = audit_since("nakatosa", position)
    assert [e.action for e in events] == ["bcp.view_dashboard"]
    assert events[0].actor_username == "auditor"
    assert events[0].details["schemas"] == ["nakatosa"]


def test_query_count_does_not_grow_with_the_rows(world: dict[str, Any], client_for: Any) -> None:
    client = client_for("it_admin", "council")
    client.get("/bcp/")
    with CaptureQueriesContext(connection) as small:
        client.get("/bcp/")
    for nights in range(5, 25):
        make_backup("nakatosa", world["inland"], nights_ago=nights, size=6_000_000)
        make_backup("shimanto", world["remote"], nights_ago=nights, size=6_000_000)
        make_drill("shimanto", world["remote"], seconds=30 + nights, days_ago=nights)
    with CaptureQueriesContext(connection) as large:
        client.get("/bcp/")
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    # django-tenants sets the search_path before each statement; count the statements themselves.
    statements = [q["sql"] for q in small.captured_queries if not q["sql"].startswith("SET search_path")]
    assert len(statements) <= 32, statements


def test_progress_endpoint_lists_running_jobs_of_this_host(world: dict[str, Any], client_for: Any) -> None:
    running = make_backup("nakatosa", world["inland"], nights_ago=-1, size=1, status="dumping")
    Backup.objects.filter(pk=running.pk).update(progress=42)
    make_backup("shimanto", world["inland"], nights_ago=-1, size=1, status="uploading")
    drill = RestoreDrill.objects.create(schema_name="nakatosa", site=world["remote"], progress=7)

    jobs = client_for("it_admin", "nakatosa").get("/bcp/progress.json").json()["jobs"]
    assert {(j["id"], j["progress"]) for j in jobs} == {(f"backup-{running.pk}", 42), (f"restore-{drill.pk}", 7)}
    assert all("四万十町" not in j["label"] for j in jobs)
    council_jobs = client_for("it_admin", "council").get("/bcp/progress.json").json()["jobs"]
    assert len(council_jobs) == 3

    page = client_for("it_admin", "nakatosa").get("/bcp/").content.decode()
    assert f'data-job="backup-{running.pk}"' in page
    assert 'value="42"' in page
    assert "bcp/progress.js" in page
    assert 'data-url="/bcp/progress.json"' in page


def test_chart_geometry_stays_in_the_plot() -> None:
    now = timezone.now()
    chart = selectors.build_chart(
        key="t", title="t", unit="秒", data={"a": [(now - timedelta(hours=2), 3.0), (now, 12.0)]}, target=5.0
    )
    points = chart.series[0].points
    assert points[0].x == selectors.PAD_LEFT
    assert points[-1].x == selectors.CHART_WIDTH - selectors.PAD_RIGHT
    assert all(selectors.PAD_TOP <= p.y <= selectors.CHART_HEIGHT - selectors.PAD_BOTTOM for p in points)
    assert chart.target_y is not None
    assert points[-1].y < chart.target_y < points[0].y
    assert selectors.build_chart(key="e", title="e", unit="MB", data={}).empty


@pytest.mark.parametrize(
    ("username", "schema", "expected"),
    [
        ("it_admin", "council", 200),
        ("it_admin", "nakatosa", 200),
        ("auditor", "nakatosa", 200),
        ("tanaka", "nakatosa", 403),
    ],
)
def test_role_matrix_of_the_dashboard(client_for: Any, username: str, schema: str, expected: int) -> None:
    response = client_for(username, schema).get("/bcp/")
    assert response.status_code == expected
    if expected == 403:
        assert "shell/forbidden.html" in templates_of(response)
    assert client_for(username, schema).get("/bcp/progress.json").status_code == expected


@pytest.mark.parametrize(("username", "schema"), [("auditor", "nakatosa"), ("it_admin", "nakatosa")])
def test_write_pages_refuse_readers_and_town_hosts(client_for: Any, username: str, schema: str) -> None:
    from bcp.models import Disaster, Incident, PolicyDocument

    client = client_for(username, schema)
    position = audit_position("public")
    for path, data in [
        ("/bcp/disasters/declare/", {"municipality": "1", "title": "x"}),
        ("/bcp/incidents/new/", {"title": "x", "severity": "low", "summary": "x", "detected_at": "2026-01-01T00:00"}),
        ("/bcp/policies/security_policy/new/", {"title": "x", "body": "x"}),
    ]:
        for response in (client.get(path), client.post(path, data)):
            assert response.status_code == 302
            assert response["Location"] == "/bcp/"
    assert not Disaster.objects.exists()
    assert not Incident.objects.exists()
    assert not PolicyDocument.objects.exists()
    assert audit_since("public", position) == []


# --- Starting a backup or a drill from the dashboard; one calendar (docs/bcp.md §7) ------------------------------


@pytest.fixture
def queued(monkeypatch: Any) -> list[tuple[str, Any]]:
    """What the dashboard's buttons queue for the workers (the tasks themselves are tested elsewhere)."""
    from bcp import drill_tasks, tasks

    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(tasks.backup_schema_task, "delay", lambda *args: calls.append(("backup", args)))
    monkeypatch.setattr(drill_tasks.run_drill, "delay", lambda **kwargs: calls.append(("drill", kwargs)))
    return calls


def test_council_it_staff_start_a_towns_backup_from_the_dashboard_and_see_it_running(
    world: dict[str, Any], client_for: Any, queued: list[tuple[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for("it_admin", "council")
    page = client.get("/bcp/").content.decode()
    assert 'action="/bcp/backups/start/"' in page
    assert "今すぐバックアップ" in page
    position = audit_position("public")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/bcp/backups/start/", {"schema": "nakatosa"}, follow=True)

    assert queued == [("backup", ("nakatosa", timezone.localdate().isoformat(), None))]
    assert [e.action for e in audit_since("public", position)] == ["bcp.backup_requested"]
    body = response.content.decode()
    assert "中土佐町の本日分のバックアップを開始しました" in body
    # The worker starts it: its progress bar shows on the dashboard, its night in 和暦.
    running = make_backup("nakatosa", world["inland"], nights_ago=-1, size=1, status="dumping")
    jobs = client.get("/bcp/progress.json").json()["jobs"]
    label = next(job["label"] for job in jobs if job["id"] == f"backup-{running.pk}")
    assert label.startswith("中土佐町 バックアップ(令和")


def test_council_it_staff_start_a_restore_drill_from_the_dashboard(
    world: dict[str, Any], client_for: Any, queued: list[tuple[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for("it_admin", "council")
    assert 'action="/bcp/drills/start/"' in client.get("/bcp/").content.decode()
    site = world["remote"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/bcp/drills/start/", {"schema": "shimanto", "site": site.pk}, follow=True)
    assert len(queued) == 1
    kind, arguments = queued[0]
    assert kind == "drill"
    assert arguments["schema_name"] == "shimanto"
    assert arguments["site_id"] == site.pk
    assert f"四万十町の復元訓練({site})を開始しました" in response.content.decode()


def test_an_inactive_site_or_an_unknown_town_starts_nothing(
    world: dict[str, Any], client_for: Any, queued: list[tuple[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for("it_admin", "council")
    BackupSite.objects.filter(pk=world["inland"].pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        drill = client.post("/bcp/drills/start/", {"schema": "nakatosa", "site": world["inland"].pk}, follow=True)
        unknown = client.post("/bcp/backups/start/", {"schema": "no_such_town"}, follow=True)
    assert queued == []
    assert "復元訓練の対象とバックアップサイトを選択してください" in drill.content.decode()
    assert "バックアップの対象を選択してください" in unknown.content.decode()


@pytest.mark.parametrize(("username", "schema"), [("auditor", "nakatosa"), ("it_admin", "nakatosa")])
def test_only_council_it_staff_may_start_jobs(
    world: dict[str, Any], client_for: Any, queued: list[tuple[str, Any]], username: str, schema: str
) -> None:
    client = client_for(username, schema)
    assert "今すぐバックアップ" not in client.get("/bcp/").content.decode()
    position = audit_position("public")
    for path, data in [
        ("/bcp/backups/start/", {"schema": "nakatosa"}),
        ("/bcp/drills/start/", {"schema": "nakatosa", "site": world["inland"].pk}),
    ]:
        response = client.post(path, data)
        assert response.status_code == 302
        assert response["Location"] == "/bcp/"
    assert queued == []
    assert audit_since("public", position) == []


def test_alert_kinds_are_told_in_japanese(world: dict[str, Any], client_for: Any) -> None:
    BcpAlert.objects.create(kind="backup_failed", severity="critical", schema_name="nakatosa", message="x")
    page = client_for("it_admin", "council").get("/bcp/").content.decode()
    alerts = page.split('id="alerts-heading"')[1].split("</section>")[0]
    assert "<td>バックアップ失敗</td>" in alerts
    assert "<td>backup_failed</td>" not in alerts


def test_the_dashboard_tells_dates_in_wareki(world: dict[str, Any], client_for: Any) -> None:
    page = client_for("it_admin", "council").get("/bcp/").content.decode()
    today = timezone.localdate()
    assert f"令和{today.year - 2018}年{today.month}月{today.day}日" in page
    for western in (f"{today:%Y-%m-%d}", f"{today.year}年", f"{today:%m/%d} "):
        assert western not in page.split('id="charts-heading"')[0], western
