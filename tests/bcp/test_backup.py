"""Nightly backups (docs/bcp.md §2): dump, manifest, every site, idempotent re-runs, one failure isolated."""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from bcp import alerts, archive, backup, nights, tasks
from bcp.models import AlertSeverity, Backup, BackupCopy, BackupSite, BackupStatus, BcpAlert, CopyStatus
from bcp.storage import storage_for
from common.models import AuditEvent
from common.tenancy import use_public_schema
from tests.bcp.conftest import make_s3_site, mount_again, unmount

pytestmark = pytest.mark.django_db

NIGHT = date(2026, 4, 1)


def council_actions(since: int) -> list[str]:
    with schema_context("public"):  # a request on the council host leaves the connection in its schema
        events = AuditEvent.objects.filter(trail="public", pk__gt=since).order_by("seq")
        return list(events.values_list("action", flat=True))


def audit_mark() -> int:
    with schema_context("public"):
        return AuditEvent.objects.filter(trail="public").order_by("-pk").values_list("pk", flat=True).first() or 0


def assert_restorable_copy(site: BackupSite, made: Backup, tmp_path: Path) -> None:
    """The copy at ``site`` is the artifact of ``made``, with its manifest, and decrypts to a pg_dump archive."""
    store = storage_for(site)
    manifest = json.loads(store.get_bytes(archive.manifest_key_for(made.artifact_key)))
    assert manifest == json.loads(json.dumps(made.manifest))
    local = tmp_path / f"{site.name}.age"
    store.get_file(made.artifact_key, local)
    assert archive.sha256_file(local) == made.sha256 == manifest["artifact"]["sha256"]
    dump = tmp_path / f"{site.name}.pgc"
    archive.decrypt_to(local, dump, key_ref=made.encryption_key_ref)
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True).stdout
    assert f"SCHEMA - {made.schema_name}" in listing or made.schema_name == "public"
    assert "TABLE " in listing


def test_a_town_is_backed_up_to_every_site(
    fs_site: BackupSite, s3_site: BackupSite, tmp_path: Path, _backup_staging_dir: Path
) -> None:
    mark = audit_mark()
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)

    assert made.status == BackupStatus.COMPLETE, made.error
    assert made.progress == 100
    assert made.error == ""
    assert made.attempts == 1
    assert made.municipality_name == "中土佐町"
    assert made.snapshot_at is not None
    assert made.artifact_key == archive.artifact_key_for("nakatosa", made.snapshot_at)
    assert made.size_bytes
    assert made.dump_bytes
    assert made.dump_bytes > made.size_bytes
    assert made.manifest["tables"]["common_auditevent"]["rows"] >= 1
    assert made.manifest["schema"] == "nakatosa"
    assert made.manifest["snapshot_at"]
    copies = {copy.site.name: copy for copy in made.copies.select_related("site")}
    assert {name: copy.status for name, copy in copies.items()} == {
        "inland": CopyStatus.COMPLETE,
        "remote": CopyStatus.COMPLETE,
    }
    assert all(copy.uploaded_at and copy.upload_seconds is not None for copy in copies.values())
    for site in (fs_site, s3_site):
        assert_restorable_copy(site, made, tmp_path)
    # The S3 site keeps it under its prefix; the staging file is gone once every site has its copy.
    assert storage_for(s3_site).list("nakatosa") == [made.artifact_key, archive.manifest_key_for(made.artifact_key)]
    assert list(_backup_staging_dir.iterdir()) == []
    assert council_actions(mark) == ["bcp.backup_complete"]
    event = AuditEvent.objects.get(trail="public", pk__gt=mark)
    assert event.details["sha256"] == made.sha256
    assert sorted(event.details["sites"]) == ["inland", "remote"]


def test_a_complete_backup_is_not_made_twice(fs_site: BackupSite) -> None:
    first = backup.backup_schema(schema_name="shimanto", scheduled_for=NIGHT)
    mark = audit_mark()
    again = backup.backup_schema(schema_name="shimanto", scheduled_for=NIGHT)
    assert again.pk == first.pk
    assert again.status == BackupStatus.COMPLETE
    assert again.attempts == 1
    assert again.sha256 == first.sha256
    assert again.snapshot_at == first.snapshot_at
    assert Backup.objects.filter(schema_name="shimanto", scheduled_for=NIGHT).count() == 1
    assert council_actions(mark) == []


def test_the_public_schema_is_backed_up_too(fs_site: BackupSite, tmp_path: Path) -> None:
    made = backup.backup_schema(schema_name="public", scheduled_for=NIGHT)
    assert made.status == BackupStatus.COMPLETE, made.error
    assert {"tenants_municipality", "tenants_person", "bcp_backup"} <= set(made.manifest["tables"])
    assert made.municipality_name == "共通 (public)"
    assert_restorable_copy(fs_site, made, tmp_path)


def test_the_targets_are_public_and_every_schema_not_withdrawn(towns: Any) -> None:
    # Other tests may have committed towns of their own; the demo council's schemas are what matters here.
    targets = backup.backup_targets()
    assert targets[0] == "public"
    assert {"council", "nakatosa", "shimanto"} <= set(targets)
    towns["shimanto"].status = "withdrawn"
    towns["shimanto"].save()
    assert backup.backup_targets() == [schema for schema in targets if schema != "shimanto"]


def test_the_night_runs_every_schema_and_one_failure_does_not_stop_the_others(
    fs_site: BackupSite, monkeypatch: Any
) -> None:
    monkeypatch.setattr(nights, "backup_targets", lambda: ["public", "nakatosa", "no_such_town", "shimanto"])
    mark = audit_mark()
    made = {b.schema_name: b for b in nights.run_nightly(scheduled_for=NIGHT).backups}

    assert {schema: b.status for schema, b in made.items()} == {
        "public": BackupStatus.COMPLETE,
        "nakatosa": BackupStatus.COMPLETE,
        "no_such_town": BackupStatus.FAILED,
        "shimanto": BackupStatus.COMPLETE,
    }
    failed = made["no_such_town"]
    assert "no matching schemas" in failed.error
    assert failed.details["error_code"] == "bcp_dump_failed"
    assert not failed.copies.filter(status=CopyStatus.COMPLETE).exists()
    assert failed.sha256 == ""
    alert = BcpAlert.objects.get(kind=alerts.ALERT_BACKUP_FAILED, schema_name="no_such_town")
    assert alert.severity == AlertSeverity.CRITICAL
    assert alert.resolved_at is None
    assert sorted(council_actions(mark)) == sorted(["bcp.backup_complete"] * 3 + ["bcp.backup_failed"])
    # No stray files at the site for the failed town.
    assert storage_for(fs_site).list("no_such_town") == []


def test_the_nightly_task_fans_out_one_task_per_schema(fs_site: BackupSite, monkeypatch: Any) -> None:
    queued: list[tuple[str, str]] = []
    monkeypatch.setattr(tasks.backup_schema_task, "delay", lambda schema, night: queued.append((schema, night)))
    outcome = tasks.run_nightly_backups("2026-04-01")
    targets = backup.backup_targets()
    assert {"public", "council", "nakatosa", "shimanto"} <= set(targets)
    assert queued == [(schema, "2026-04-01") for schema in targets]
    assert outcome["schemas"] == targets


def test_the_schema_task_backs_up_and_prunes(fs_site: BackupSite) -> None:
    fs_site.keep_daily = 1
    fs_site.save()
    older = tasks.backup_schema_task("nakatosa", "2026-03-31")
    newer = tasks.backup_schema_task("nakatosa", "2026-04-01")
    assert older["status"] == newer["status"] == BackupStatus.COMPLETE
    statuses = dict(BackupCopy.objects.filter(backup__schema_name="nakatosa").values_list("backup_id", "status"))
    assert statuses == {older["backup_id"]: CopyStatus.PRUNED, newer["backup_id"]: CopyStatus.COMPLETE}
    assert len(storage_for(fs_site).list("nakatosa")) == 2  # only the newer artifact and its manifest


def test_progress_moves_forward_during_a_backup(fs_site: BackupSite, monkeypatch: Any) -> None:
    seen: list[int] = []
    monkeypatch.setattr(backup, "PROGRESS_INTERVAL_SECONDS", 0.0)
    original = backup._progress_writer

    def spy(made: Backup, low: int, high: int) -> Any:
        update = original(made, low, high)

        def record(fraction: float) -> None:
            update(fraction)
            seen.append(Backup.objects.get(pk=made.pk).progress)

        return record

    monkeypatch.setattr(backup, "_progress_writer", spy)
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    assert made.progress == 100
    assert seen
    assert seen == sorted(seen)
    assert 0 < max(seen) <= 100


def test_retry_delay_backs_off_exponentially(settings: Any) -> None:
    settings.KYODO_BACKUP_RETRY_BASE_SECONDS = 300
    settings.KYODO_BACKUP_RETRY_MAX_SECONDS = 3600
    assert [backup.retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [300, 600, 1200, 2400, 3600]


def test_no_active_site_is_a_failure_not_a_success(db: Any) -> None:
    BackupSite.objects.update(is_active=False)
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    assert made.status == BackupStatus.FAILED
    assert made.details["error_code"] == "no_active_site"


def test_sites_with_different_keys_each_decrypt_the_one_artifact(
    fs_site: BackupSite, s3_endpoint: str, s3_bucket: str, settings: Any, tmp_path: Path
) -> None:
    settings.KYODO_BACKUP_KEYS = {
        **settings.KYODO_BACKUP_KEYS,
        "remote-key": "AGE-SECRET-KEY-1AL593TDTJVDWQ8ZEUZ86PRKHKFYW06ENYJ8X45S2VRSDXHQPNY9Q3TTZUG",
    }
    remote = make_s3_site(s3_endpoint, s3_bucket, encryption_key_ref="remote-key")
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    assert made.status == BackupStatus.COMPLETE
    assert made.manifest["key_refs"] == ["dev", "remote-key"]
    local = tmp_path / "a.age"
    storage_for(remote).get_file(made.artifact_key, local)
    for ref in ("dev", "remote-key"):
        archive.decrypt_to(local, tmp_path / f"{ref}.pgc", key_ref=ref)


def test_alerts_are_resolved_by_it_staff_with_an_audit_row(fs_site: BackupSite) -> None:
    from tenants.models import Person

    alert = BcpAlert.objects.create(kind="upload_failed", severity="warning", message="x", site=fs_site)
    mark = audit_mark()
    assert alerts.resolve_alerts(actor=Person.objects.get(username="it_admin"), alerts=[alert]) == 1
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert alert.resolved_at <= timezone.now()
    assert council_actions(mark) == ["bcp.alert_resolved"]
    assert alerts.resolve_alerts(actor=Person.objects.get(username="it_admin"), alerts=[alert]) == 0


def test_every_action_has_a_label() -> None:
    from common import audit_labels

    for action in backup.AUDIT_LABELS:
        assert audit_labels.ACTION_LABELS.get(action) == backup.AUDIT_LABELS[action]
    assert timedelta(0) < backup.retry_delay(1)


# --- Council admin ------------------------------------------------------------------------------------------------


def site_form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "inland-new",
        "label": "内陸サイト",
        "role": "inland",
        "is_active": "on",
        "storage_kind": "filesystem",
        "location": "/srv/kyodo-backups",
        "prefix": "",
        "s3_endpoint_url": "",
        "s3_region": "",
        "credentials_ref": "",
        "encryption_key_ref": "dev",
        "keep_daily": "14",
        "keep_weekly": "0",
        "keep_monthly": "0",
        "rpo_target_minutes": "1440",
        "rto_target_minutes": "60",
        "drill_interval_days": "7",
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"location": "backups/kyodo"}, "location"),
        ({"encryption_key_ref": "not-configured"}, "encryption_key_ref"),
        ({"storage_kind": "s3", "location": "Not_A_Bucket"}, "location"),
        ({"storage_kind": "s3", "location": "kyodo-remote", "s3_endpoint_url": "ftp://x"}, "s3_endpoint_url"),
        ({"storage_kind": "s3", "location": "kyodo-remote", "credentials_ref": "unknown"}, "credentials_ref"),
        ({"s3_region": "ap-northeast-1"}, "s3_region"),
        ({"prefix": "../escape"}, "prefix"),
        ({"keep_daily": "0"}, "keep_daily"),
    ],
)
def test_the_site_form_refuses_bad_sites_and_saves_nothing(
    client_for: Any, overrides: dict[str, Any], field: str
) -> None:
    client = client_for("it_admin", "council")
    response = client.post("/admin/bcp/backupsite/add/", site_form_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not BackupSite.objects.filter(name="inland-new").exists()


def test_a_valid_site_is_saved_and_audited_in_the_council_trail(client_for: Any) -> None:
    mark = audit_mark()
    client = client_for("it_admin", "council")
    s3 = site_form_data(
        name="remote-new",
        role="remote",
        storage_kind="s3",
        location="kyodo-remote",
        s3_endpoint_url="https://s3.example.jp",
        credentials_ref="moto",
        keep_daily="7",
        keep_monthly="12",
    )
    for data in (site_form_data(), s3):
        response = client.post("/admin/bcp/backupsite/add/", data)
        assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert set(BackupSite.objects.values_list("name", flat=True)) >= {"inland-new", "remote-new"}
    assert council_actions(mark) == ["admin.add", "admin.add"]


def test_saving_a_site_in_the_admin_sets_it_up_or_says_why_not(client_for: Any, tmp_path: Path) -> None:
    """docs/domain/bcp-reliability.md §1: the marker is written when IT staff register the site; a location that is
    not there is told."""
    from bcp.storage import MARKER_KEY

    client = client_for("it_admin", "council")
    disk = tmp_path / "mounted-disk"
    disk.mkdir()
    mark = audit_mark()
    response = client.post("/admin/bcp/backupsite/add/", site_form_data(location=str(disk)), follow=True)
    assert response.status_code == 200
    site = BackupSite.objects.get(name="inland-new")
    assert site.marker_written_at is not None
    assert json.loads((disk / MARKER_KEY).read_bytes())["site_id"] == site.pk
    assert council_actions(mark) == ["bcp.site_set_up", "admin.add"]  # Django logs the addition last

    missing = site_form_data(name="not-mounted", location=str(tmp_path / "not-mounted"))
    page = client.post("/admin/bcp/backupsite/add/", missing, follow=True).content.decode()
    assert "識別マーカーを設置できませんでした" in page
    assert BackupSite.objects.get(name="not-mounted").marker_written_at is None


def test_the_backup_admin_is_for_council_it_staff_only(client_for: Any, fs_site: BackupSite) -> None:
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    council = client_for("it_admin", "council")
    for path in ("/admin/bcp/backupsite/", "/admin/bcp/backup/", "/admin/bcp/backupcopy/", "/admin/bcp/bcpalert/"):
        assert council.get(path).status_code == 200
    page = council.get(f"/admin/bcp/backup/{made.pk}/change/").content.decode()
    assert "中土佐町" in page
    assert "完了" in page
    assert client_for("it_admin", "nakatosa").get("/admin/bcp/backup/").status_code in (302, 403)
    assert client_for("council_staff", "council").get("/admin/bcp/backup/").status_code in (302, 403)


def test_backup_now_queues_one_task_per_schema_for_the_chosen_sites(
    client_for: Any, fs_site: BackupSite, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.backup_schema_task, "delay", lambda *args: queued.append(args))
    mark = audit_mark()
    client = client_for("it_admin", "council")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/bcp/backupsite/", {"action": "backup_now", "_selected_action": [str(fs_site.pk)]}
        )
    assert response.status_code == 302
    night = timezone.localdate().isoformat()
    assert queued == [(schema, night, [fs_site.pk]) for schema in backup.backup_targets()]
    assert council_actions(mark) == ["bcp.backup_requested"]


def test_a_site_added_later_gets_the_complete_backup_of_the_night(
    fs_site: BackupSite, s3_endpoint: str, s3_bucket: str
) -> None:
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    remote = make_s3_site(s3_endpoint, s3_bucket)
    again = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT, sites=[remote])
    assert again.sha256 == made.sha256
    assert again.attempts == 1
    assert BackupCopy.objects.get(backup=made, site=remote).status == CopyStatus.COMPLETE
    assert storage_for(remote).exists(made.artifact_key)


def test_alerts_and_retries_from_the_admin(
    client_for: Any, fs_site: BackupSite, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alert = BcpAlert.objects.create(kind="upload_failed", severity="warning", message="x", site=fs_site)
    client = client_for("it_admin", "council")
    client.post("/admin/bcp/bcpalert/", {"action": "resolve", "_selected_action": [str(alert.pk)]})
    use_public_schema()  # the request left the connection in the council's schema
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    marker = unmount(fs_site)
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    copy = made.copies.get()
    assert copy.status == CopyStatus.FAILED
    mount_again(fs_site, marker)
    monkeypatch.setattr(tasks.retry_due_uploads, "delay", lambda: nights.retry_due_uploads())
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/bcp/backupcopy/", {"action": "retry_now", "_selected_action": [str(copy.pk)]})
    use_public_schema()  # the request left the connection in the council's schema
    copy.refresh_from_db()
    assert copy.status == CopyStatus.COMPLETE


def test_a_site_whose_key_the_artifact_was_not_made_for_gets_no_copy(
    fs_site: BackupSite, s3_endpoint: str, s3_bucket: str, settings: Any
) -> None:
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    settings.KYODO_BACKUP_KEYS = {
        **settings.KYODO_BACKUP_KEYS,
        "remote-key": "AGE-SECRET-KEY-1AL593TDTJVDWQ8ZEUZ86PRKHKFYW06ENYJ8X45S2VRSDXHQPNY9Q3TTZUG",
    }
    remote = make_s3_site(s3_endpoint, s3_bucket, encryption_key_ref="remote-key")
    backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT, sites=[remote])
    copy = BackupCopy.objects.get(backup=made, site=remote)
    assert copy.status == CopyStatus.FAILED
    assert "remote-key" in copy.last_error
    assert storage_for(remote).list() == []
