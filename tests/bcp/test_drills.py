"""Scheduled restore drills: which are due, the Celery task going on past failures, alerts, abandoned drills."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from bcp import drill_tasks, drills, restore
from bcp.models import BackupSite, BcpAlert, DrillStatus, RestoreDrill, SiteRole
from common.errors import ValidationFailed
from common.models import AuditEvent
from tenants.models import Person
from tests.bcp import test_restore as shared
from tests.bcp.test_restore import copy_backup, make_backup, make_site

pytestmark = pytest.mark.django_db

site = shared.site  # fixture


def test_drilled_schemas_are_the_backed_up_ones() -> None:
    assert drills.drilled_schemas() == ["public", "council", "nakatosa", "shimanto"]


def test_a_drill_is_due_when_none_ran_within_the_sites_interval(site: BackupSite, tmp_path: Path) -> None:
    weekly = site
    daily = make_site(tmp_path / "remote", name="remote-test", role=SiteRole.REMOTE, drill_interval_days=1)
    make_site(tmp_path / "off", name="inactive-test", is_active=False)
    now = timezone.now()
    assert {(s, x.name) for s, x in drills.due_drills(now=now)} == {
        (schema, name)
        for schema in ("public", "council", "nakatosa", "shimanto")
        for name in ("inland-test", "remote-test")
    }

    for target in (weekly, daily):
        RestoreDrill.objects.create(
            schema_name="nakatosa", site=target, status=DrillStatus.FAILED, started_at=now - timedelta(days=2)
        )
    due = {(s, x.name) for s, x in drills.due_drills(now=now)}
    assert ("nakatosa", "inland-test") not in due  # 2 days ago, weekly: not yet (a failure alerted already)
    assert ("nakatosa", "remote-test") in due  # daily
    assert ("shimanto", "inland-test") in due
    # Real restores do not count as drills.
    RestoreDrill.objects.create(schema_name="shimanto", site=weekly, kind="restore", status=DrillStatus.PASSED)
    assert ("shimanto", "inland-test") in {(s, x.name) for s, x in drills.due_drills(now=now)}
    assert ("nakatosa", "inland-test") in {(s, x.name) for s, x in drills.due_drills(now=now + timedelta(days=5))}
    # Last week's run started a little later in the day than today's: still due today.
    almost_a_week = now + timedelta(days=5) - timedelta(minutes=10)
    assert ("nakatosa", "inland-test") in {(s, x.name) for s, x in drills.due_drills(now=almost_a_week)}
    assert ("nakatosa", "inland-test") not in {(s, x.name) for s, x in drills.due_drills(now=now + timedelta(days=4))}


def test_a_drill_without_a_usable_backup_is_recorded_failed_and_alerted(site: BackupSite) -> None:
    drill = drills.run_drill(schema_name="nakatosa", site=site)
    assert drill.status == DrillStatus.FAILED
    assert drill.backup is None
    assert drill.report["error_code"] == "bcp_backup_not_found"
    assert "完了済みバックアップ" in drill.error
    alert = BcpAlert.objects.get(kind="drill_failed", schema_name="nakatosa")
    assert alert.site == site
    assert alert.severity == "critical"
    # Failing again updates the one open alert; a passing drill then closes it.
    again = drills.run_drill(schema_name="nakatosa", site=site)
    alert.refresh_from_db()
    assert BcpAlert.objects.filter(kind="drill_failed").count() == 1
    assert alert.details["drill_id"] == again.pk
    make_backup(schema="nakatosa", site=site)
    assert drills.run_drill(schema_name="nakatosa", site=site).status == DrillStatus.PASSED
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_the_task_runs_every_due_drill_and_one_failure_does_not_stop_the_others(
    site: BackupSite, tmp_path: Path
) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    broken = make_site(tmp_path / "remote", name="remote-test", role=SiteRole.REMOTE)
    copy_backup(backup, source=site, target=broken)
    (Path(broken.location)).rename(tmp_path / "unmounted")  # the remote disk is gone

    results = drill_tasks.run_due_drills.apply().get()
    names = ("inland-test", "remote-test")

    by_pair = {(r["schema"], r["site"]): r["status"] for r in results}
    assert by_pair == {
        ("nakatosa", "inland-test"): DrillStatus.PASSED,
        ("nakatosa", "remote-test"): DrillStatus.FAILED,  # site unreachable
        # no backup at all
        **{(schema, name): DrillStatus.FAILED for schema in ("public", "council", "shimanto") for name in names},
    }
    unreachable = RestoreDrill.objects.get(schema_name="nakatosa", site=broken)
    assert unreachable.report["error_code"] == "bcp_site_unreachable"
    assert BcpAlert.objects.filter(kind="drill_failed", resolved_at=None).count() == 7
    # Run again: nothing is due any more (idempotent on retry).
    assert drill_tasks.run_due_drills.apply().get() == []


def test_an_unexpected_error_in_one_drill_is_alerted_and_the_next_drill_runs(
    site: BackupSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = drills.run_drill

    def explode_for_shimanto(*, schema_name: str, site: BackupSite) -> RestoreDrill:
        if schema_name == "shimanto":
            raise RuntimeError("database went away")
        return real(schema_name=schema_name, site=site)

    monkeypatch.setattr(drills, "run_drill", explode_for_shimanto)
    results = drill_tasks.run_due_drills()
    assert [r["schema"] for r in results] == ["public", "council", "nakatosa", "shimanto"]
    assert results[3]["status"] == "error"
    assert BcpAlert.objects.filter(schema_name="shimanto", message__contains="database went away").exists()


def test_abandoned_drills_are_closed_and_their_scratch_databases_dropped(site: BackupSite) -> None:
    leftover = restore.scratch_name("stale")
    running = restore.scratch_name("fresh")
    stale = RestoreDrill.objects.create(
        schema_name="nakatosa",
        site=site,
        status=DrillStatus.RUNNING,
        started_at=timezone.now() - timedelta(hours=7),
        report={"scratch_database": leftover},
    )
    fresh = RestoreDrill.objects.create(
        schema_name="shimanto", site=site, status=DrillStatus.RUNNING, report={"scratch_database": running}
    )
    for name in (leftover, running):
        restore.create_database(name)
    try:
        assert drills.close_abandoned_drills() == [stale.pk]
        stale.refresh_from_db()
        assert stale.status == DrillStatus.FAILED
        assert "途中で停止" in stale.error
        assert RestoreDrill.objects.get(pk=fresh.pk).status == DrillStatus.RUNNING
        assert not restore.database_exists(leftover)
        assert restore.database_exists(running)
        assert BcpAlert.objects.filter(details__drill_id=stale.pk).exists()
    finally:
        for name in (leftover, running):
            restore.drop_database(name)


def test_progress_is_visible_while_the_drill_runs(site: BackupSite, monkeypatch: pytest.MonkeyPatch) -> None:
    make_backup(schema="nakatosa", site=site)
    seen: list[int] = []
    real = restore.pg_restore

    def watch(**kwargs: object) -> None:
        seen.append(RestoreDrill.objects.get(schema_name="nakatosa", status=DrillStatus.RUNNING).progress)
        real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("bcp.restore.service.pg_restore", watch)
    drill = drills.run_drill(schema_name="nakatosa", site=site)
    assert drill.status == DrillStatus.PASSED
    assert seen == [restore.P_DECRYPTED]


def test_it_staff_can_request_a_drill_now(
    site: BackupSite, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    make_backup(schema="nakatosa", site=site)
    it_admin = Person.objects.get(username="it_admin")
    queued: list[dict[str, Any]] = []

    def run_in_process(**kwargs: Any) -> None:
        queued.append(kwargs)
        drill_tasks.run_drill.apply(kwargs=kwargs).get()

    monkeypatch.setattr(drill_tasks.run_drill, "delay", run_in_process)
    with django_capture_on_commit_callbacks(execute=True):
        drills.request_drill(actor=it_admin, schema_name="nakatosa", site=site)

    assert queued == [{"schema_name": "nakatosa", "site_id": site.pk, "actor_id": it_admin.pk}]
    drill = RestoreDrill.objects.get(schema_name="nakatosa", site=site)
    assert drill.status == DrillStatus.PASSED
    assert drill.triggered_by == it_admin.full_name
    actions = AuditEvent.objects.filter(trail="public", actor_id=it_admin.pk).values_list("action", flat=True)
    assert list(actions.order_by("seq"))[-2:] == ["bcp.drill_requested", "bcp.drill_passed"]

    with pytest.raises(ValidationFailed):
        drills.request_drill(actor=it_admin, schema_name="nowhere", site=site)


def test_a_parallel_restore_drill_passes_too(site: BackupSite, settings: Any) -> None:
    make_backup(schema="nakatosa", site=site)
    settings.KYODO_RESTORE_JOBS = 2
    drill = drills.run_drill(schema_name="nakatosa", site=site)
    assert drill.status == DrillStatus.PASSED, drill.error
    assert drill.differences == []
    assert drill.tables_checked > 5
