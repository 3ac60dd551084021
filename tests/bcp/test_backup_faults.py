"""Faults on the backup side (docs/bcp.md §9): a worker killed mid-dump and mid-upload, an unreachable site, a full
staging disk. In every case nothing is reported as a success that is not one, and no existing backup is lost."""

from __future__ import annotations

import errno
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from bcp import alerts, archive, backup, nights
from bcp.errors import SiteMarkerForeign
from bcp.models import AlertSeverity, Backup, BackupCopy, BackupSite, BackupStatus, BcpAlert, CopyStatus
from bcp.sites import set_up_site
from bcp.storage import MARKER_KEY, FilesystemStorage, council_identity, storage_for
from common.dates import local_today
from common.models import AuditEvent
from tests.bcp.conftest import make_fs_site, mount_again, s3_client, unmount
from tests.support.processes import database_url, free_port

ROOT = Path(__file__).resolve().parents[2]
NIGHT = date(2026, 4, 1)


def audit_mark() -> int:
    with schema_context("public"):
        return AuditEvent.objects.filter(trail="public").order_by("-pk").values_list("pk", flat=True).first() or 0


def council_actions(since: int) -> list[str]:
    with schema_context("public"):  # a request on the council host leaves the connection in its schema
        events = AuditEvent.objects.filter(trail="public", pk__gt=since).order_by("seq")
        return list(events.values_list("action", flat=True))


def site_files(site: BackupSite) -> dict[str, str]:
    """Every file at a filesystem site (hidden temporary files included) with its SHA-256."""
    root = Path(site.location)
    return {
        p.relative_to(root).as_posix(): archive.sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MARKER_KEY
    }


# --- Killed mid-dump: a real process, killed with SIGKILL ----------------------------------------------------

KILLED_WORKER = """
import sys, time
from datetime import date
from pathlib import Path

import django

django.setup()
from bcp import alerts, archive, backup, nights
from bcp.models import BackupSite

site_name, night, marker = sys.argv[1:4]
read = archive._CountingReader.read


def slow_read(self, size=-1):
    data = read(self, size)
    Path(marker).touch()  # pg_dump is streaming: the test kills the worker now
    time.sleep(30)
    return data


archive._CountingReader.read = slow_read
site = BackupSite.objects.get(name=site_name)
backup.backup_schema(schema_name="nakatosa", scheduled_for=date.fromisoformat(night), sites=[site])
"""


@pytest.fixture
def committed(django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Autocommit access for a test whose data another process must see; its rows are removed afterwards
    (the council audit rows stay: the trail is append-only)."""
    # A night far in the past, unique to this test, so no other test's backup can collide with it.
    night = date(2001, 1, 1) + timedelta(days=secrets.randbelow(3000))
    state: dict[str, Any] = {"night": night, "site": f"killed-{secrets.token_hex(4)}"}
    with django_db_blocker.unblock():
        yield state
        BcpAlert.objects.filter(site__name=state["site"]).delete()
        BcpAlert.objects.filter(
            schema_name="nakatosa",
            details__backup_id__in=list(Backup.objects.filter(scheduled_for=night).values_list("pk", flat=True)),
        ).delete()
        BackupCopy.objects.filter(site__name=state["site"]).delete()
        Backup.objects.filter(schema_name="nakatosa", scheduled_for=night).delete()
        BackupSite.objects.filter(name=state["site"]).delete()


def test_a_worker_killed_mid_dump_leaves_nothing_complete_and_the_next_run_finishes(
    committed: dict[str, Any], tmp_path: Path, _backup_staging_dir: Path
) -> None:
    site = make_fs_site(tmp_path / "inland", name=committed["site"])
    marker = tmp_path / "streaming"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "KYODO_BACKUP_STAGING_DIR": str(_backup_staging_dir),
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_WORKER, site.name, committed["night"].isoformat(), str(marker)],
        cwd=ROOT, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert worker.poll() is None, "the worker ended before it was killed"
            assert time.monotonic() < deadline, "the worker never started dumping"
            time.sleep(0.05)
        # The whole process group, pg_dump included, as when a worker's container is killed.
        os.killpg(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)

    killed = Backup.objects.get(schema_name="nakatosa", scheduled_for=committed["night"])
    assert killed.status == BackupStatus.DUMPING
    assert killed.sha256 == ""
    assert killed.artifact_key == ""
    assert not BackupCopy.objects.filter(backup=killed).exists()
    assert site_files(site) == {}
    assert not any(
        p.name.endswith(archive.ARTIFACT_NAME) and not p.name.startswith(".") for p in _backup_staging_dir.iterdir()
    )

    # The next run takes over as soon as PostgreSQL has noticed the dead worker's session (its lock goes with it).
    deadline = time.monotonic() + 30
    finished = backup.backup_schema(schema_name="nakatosa", scheduled_for=committed["night"], sites=[site])
    while finished.status == BackupStatus.DUMPING and time.monotonic() < deadline:
        time.sleep(0.2)
        finished = backup.backup_schema(schema_name="nakatosa", scheduled_for=committed["night"], sites=[site])
    assert finished.pk == killed.pk
    assert finished.status == BackupStatus.COMPLETE, finished.error
    assert finished.attempts == 2
    assert BackupCopy.objects.get(backup=finished).status == CopyStatus.COMPLETE
    files = site_files(site)
    assert files[finished.artifact_key] == finished.sha256
    assert sorted(files) == [finished.artifact_key, archive.manifest_key_for(finished.artifact_key)]
    assert list(_backup_staging_dir.iterdir()) == []  # the killed run's partial file is gone too


# --- Killed mid-upload -------------------------------------------------------------------------------------------


class WorkerKilled(BaseException):
    """Stands for SIGKILL: a BaseException, so no `except Exception` in the service gets to tidy up."""


@pytest.mark.django_db
def test_a_worker_killed_mid_upload_leaves_nothing_complete_and_the_next_run_finishes_the_same_backup(
    fs_site: BackupSite, s3_site: BackupSite, monkeypatch: Any, tmp_path: Path
) -> None:
    put_file = FilesystemStorage.put_file

    def killed_while_copying(self: FilesystemStorage, local: Path, key: str, **kwargs: Any) -> int:
        def die(done: int) -> None:
            raise WorkerKilled

        return put_file(self, local, key, progress=die)

    monkeypatch.setattr(FilesystemStorage, "put_file", killed_while_copying)
    mark = audit_mark()
    with pytest.raises(WorkerKilled):
        backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)

    interrupted = Backup.objects.get(schema_name="nakatosa", scheduled_for=NIGHT)
    assert interrupted.status == BackupStatus.UPLOADING
    assert set(interrupted.copies.values_list("status", flat=True)) <= {CopyStatus.PENDING, CopyStatus.UPLOADING}
    # Only a hidden temporary file at the site: no artifact under its final name, no manifest.
    assert [name.rsplit("/", 1)[1].startswith(".") for name in site_files(fs_site)] == [True]
    assert storage_for(s3_site).list() == []
    assert council_actions(mark) == []

    monkeypatch.setattr(FilesystemStorage, "put_file", put_file)
    finished = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    assert finished.status == BackupStatus.COMPLETE, finished.error
    # The same snapshot: the staging file was verified by its SHA-256 and uploaded, not dumped again.
    assert finished.attempts == 1
    assert finished.snapshot_at == interrupted.snapshot_at
    assert finished.sha256 == interrupted.sha256
    assert dict(finished.copies.values_list("site__name", "status")) == {
        "inland": CopyStatus.COMPLETE,
        "remote": CopyStatus.COMPLETE,
    }
    assert site_files(fs_site)[finished.artifact_key] == finished.sha256
    # The inland copy needed a second attempt, which the trail notes.
    assert council_actions(mark) == ["bcp.copy_complete", "bcp.backup_complete"]


@pytest.mark.django_db
def test_a_lost_staging_file_is_fetched_back_from_a_site_with_a_complete_copy(
    fs_site: BackupSite, s3_site: BackupSite, s3_endpoint: str, _backup_staging_dir: Path
) -> None:
    BackupSite.objects.filter(pk=s3_site.pk).update(s3_endpoint_url=f"http://127.0.0.1:{free_port()}")  # down
    first = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    assert first.status == BackupStatus.COMPLETE  # restorable from the inland site
    for leftover in _backup_staging_dir.iterdir():
        leftover.unlink()  # the retry runs on another worker host, or the staging disk was cleaned

    BackupSite.objects.filter(pk=s3_site.pk).update(s3_endpoint_url=s3_endpoint)  # back
    retried = nights.retry_due_uploads(now=timezone.now() + timedelta(days=1))

    assert [(copy.site.name, copy.status) for copy in retried] == [("remote", CopyStatus.COMPLETE)]
    again = Backup.objects.get(pk=first.pk)
    assert (again.snapshot_at, again.sha256, again.attempts) == (first.snapshot_at, first.sha256, 1)
    assert again.error == ""
    local = _backup_staging_dir / "check.age"
    storage_for(s3_site).get_file(again.artifact_key, local)
    assert archive.sha256_file(local) == again.sha256


# --- Unreachable sites -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_s3_site_that_is_down_fails_its_copy_with_backoff_and_alerts_while_the_other_site_completes(
    fs_site: BackupSite, s3_site: BackupSite, s3_endpoint: str, settings: Any, _backup_staging_dir: Path
) -> None:
    settings.KYODO_BACKUP_CRITICAL_AFTER_ATTEMPTS = 3
    BackupSite.objects.filter(pk=s3_site.pk).update(s3_endpoint_url=f"http://127.0.0.1:{free_port()}")
    mark = audit_mark()
    before = timezone.now()
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)

    copies = {copy.site.name: copy for copy in made.copies.select_related("site")}
    assert copies["inland"].status == CopyStatus.COMPLETE
    remote = copies["remote"]
    assert remote.status == CopyStatus.FAILED
    assert remote.attempts == 1
    assert "接続できません" in remote.last_error
    base = timedelta(seconds=settings.KYODO_BACKUP_RETRY_BASE_SECONDS)
    assert remote.next_retry_at is not None
    assert before + base <= remote.next_retry_at <= timezone.now() + base
    # Usable from the inland site, and says what is still missing; the staging file is kept for the retry.
    assert made.status == BackupStatus.COMPLETE
    assert "remote" in made.error
    assert len(list(_backup_staging_dir.iterdir())) == 1
    alert = BcpAlert.objects.get(kind=alerts.ALERT_UPLOAD_FAILED, site=s3_site, resolved_at=None)
    assert alert.severity == AlertSeverity.WARNING
    assert alert.schema_name == "nakatosa"
    assert sorted(council_actions(mark)) == ["bcp.backup_complete", "bcp.copy_failed"]

    # Not due yet: nothing is retried.
    assert nights.retry_due_uploads() == []
    # Due, still down: the delay doubles; after the third attempt the alert is critical (the same alert row).
    for attempt, delay in ((2, 2 * base), (3, 4 * base)):
        retried = nights.retry_due_uploads(now=timezone.now() + timedelta(days=1))
        assert [(c.pk, c.status, c.attempts) for c in retried] == [(remote.pk, CopyStatus.FAILED, attempt)]
        remote.refresh_from_db()
        assert remote.next_retry_at is not None
        assert delay / 2 < remote.next_retry_at - timezone.now() <= delay
    alert.refresh_from_db()
    assert alert.severity == AlertSeverity.CRITICAL
    assert alert.details["attempts"] == 3
    assert BcpAlert.objects.filter(kind=alerts.ALERT_UPLOAD_FAILED, site=s3_site).count() == 1

    # The site is back: the copy completes, the alert is resolved, the staging file goes.
    BackupSite.objects.filter(pk=s3_site.pk).update(s3_endpoint_url=s3_endpoint)
    mark = audit_mark()
    retried = nights.retry_due_uploads(now=timezone.now() + timedelta(days=1))
    assert [(c.status, c.attempts) for c in retried] == [(CopyStatus.COMPLETE, 4)]
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    made.refresh_from_db()
    assert made.status == BackupStatus.COMPLETE
    assert made.error == ""
    assert list(_backup_staging_dir.iterdir()) == []
    assert council_actions(mark) == ["bcp.copy_complete"]
    assert storage_for(s3_site).exists(archive.manifest_key_for(made.artifact_key))


@pytest.mark.django_db
def test_a_filesystem_site_that_is_not_mounted_fails_while_the_s3_site_completes(
    fs_site: BackupSite, s3_site: BackupSite
) -> None:
    unmount(fs_site)
    made = backup.backup_schema(schema_name="shimanto", scheduled_for=NIGHT)
    assert dict(made.copies.values_list("site__name", "status")) == {
        "inland": CopyStatus.FAILED,
        "remote": CopyStatus.COMPLETE,
    }
    assert made.status == BackupStatus.COMPLETE
    assert not Path(fs_site.location).exists()
    assert BcpAlert.objects.filter(kind=alerts.ALERT_UPLOAD_FAILED, site=fs_site, resolved_at=None).exists()


@pytest.mark.django_db
def test_when_no_site_can_be_reached_the_backup_is_failed_until_a_retry_succeeds(
    fs_site: BackupSite, tmp_path: Path
) -> None:
    marker = unmount(fs_site)
    mark = audit_mark()
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    assert made.status == BackupStatus.FAILED
    assert made.details["error_code"] == "no_site_reached"
    assert council_actions(mark) == ["bcp.copy_failed", "bcp.backup_failed"]
    assert BcpAlert.objects.get(kind=alerts.ALERT_BACKUP_FAILED, schema_name="nakatosa").severity == "critical"

    mount_again(fs_site, marker)  # the disk is mounted again
    nights.retry_due_uploads(now=timezone.now() + timedelta(days=1))
    made.refresh_from_db()
    assert made.status == BackupStatus.COMPLETE
    assert (
        BcpAlert.objects.filter(kind=alerts.ALERT_BACKUP_FAILED, schema_name="nakatosa", resolved_at=None).count() == 0
    )


# --- Disk full in staging ----------------------------------------------------------------------------------------


def existing_backup(site: BackupSite) -> tuple[Backup, dict[str, str]]:
    earlier = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT - timedelta(days=1))
    assert earlier.status == BackupStatus.COMPLETE
    return earlier, site_files(site)


def assert_disk_full_handled(
    made: Backup, site: BackupSite, staging: Path, earlier: Backup, files: dict[str, str]
) -> None:
    assert made.status == BackupStatus.FAILED
    assert made.details["error_code"] == "bcp_staging_full"
    assert "空き容量" in made.error
    assert made.sha256 == ""
    assert made.artifact_key == ""
    assert not made.copies.exists()
    assert list(staging.iterdir()) == []  # no partial artifact left
    assert site_files(site) == files  # the earlier backup's files are untouched
    earlier.refresh_from_db()
    assert earlier.status == BackupStatus.COMPLETE
    assert earlier.copies.get().status == CopyStatus.COMPLETE
    assert BcpAlert.objects.get(kind=alerts.ALERT_BACKUP_FAILED, schema_name="nakatosa").severity == "critical"


@pytest.fixture
def tiny_staging(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """A real 8 KiB tmpfs as the staging directory: the kernel itself answers ENOSPC. Needs root (CAP_SYS_ADMIN);
    where mounting is not allowed the test is skipped and the injected-ENOSPC test below still runs."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8k,mode=0700", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


@pytest.mark.django_db
def test_a_full_staging_disk_fails_the_backup_cleanly(fs_site: BackupSite, settings: Any, tiny_staging: Path) -> None:
    earlier, files = existing_backup(fs_site)
    assert earlier.size_bytes
    assert earlier.size_bytes > 16 * 1024
    settings.KYODO_BACKUP_STAGING_DIR = str(tiny_staging)
    mark = audit_mark()
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    assert_disk_full_handled(made, fs_site, tiny_staging, earlier, files)
    assert council_actions(mark) == ["bcp.backup_failed"]


@pytest.mark.django_db
def test_enospc_in_the_middle_of_the_artifact_fails_the_backup_cleanly(
    fs_site: BackupSite, monkeypatch: Any, _backup_staging_dir: Path
) -> None:
    earlier, files = existing_backup(fs_site)
    write = archive._HashingWriter.write

    def fills_up(self: archive._HashingWriter, data: bytes) -> int:
        if self.count > 0:
            # What write(2) answers on a full disk; raised after part of the artifact is on disk.
            error = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.error = error
            raise error
        return write(self, data)

    monkeypatch.setattr(archive._HashingWriter, "write", fills_up)
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    assert_disk_full_handled(made, fs_site, _backup_staging_dir, earlier, files)


@pytest.mark.django_db
def test_copies_stranded_by_a_dead_worker_are_finished_by_the_retry_sweep(
    fs_site: BackupSite, s3_site: BackupSite, monkeypatch: Any
) -> None:
    put_file = FilesystemStorage.put_file

    def killed_while_copying(self: FilesystemStorage, local: Path, key: str, **kwargs: Any) -> int:
        raise WorkerKilled

    monkeypatch.setattr(FilesystemStorage, "put_file", killed_while_copying)
    with pytest.raises(WorkerKilled):
        backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    monkeypatch.setattr(FilesystemStorage, "put_file", put_file)
    # The task was not redelivered: the sweep (every 10 minutes) finds the copies nobody is working on.
    retried = nights.retry_due_uploads()
    assert sorted((copy.site.name, copy.status) for copy in retried) == [
        ("inland", CopyStatus.COMPLETE),
        ("remote", CopyStatus.COMPLETE),
    ]
    assert Backup.objects.get(schema_name="nakatosa", scheduled_for=NIGHT).status == BackupStatus.COMPLETE


@pytest.mark.django_db
def test_a_backup_left_dumping_on_an_earlier_night_is_marked_failed_not_reported_as_running() -> None:
    dead = Backup.objects.create(schema_name="nakatosa", scheduled_for=NIGHT - timedelta(days=1), status="dumping")
    busy = Backup.objects.create(schema_name="shimanto", scheduled_for=NIGHT - timedelta(days=1), status="dumping")
    tonight = Backup.objects.create(schema_name="nakatosa", scheduled_for=NIGHT, status="dumping")
    done = Backup.objects.create(schema_name="public", scheduled_for=NIGHT - timedelta(days=1), status="complete")
    # A live worker still holds the lock of `busy` (its own database session).
    with psycopg.connect(archive.conninfo(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [backup._lock_key(busy)])
        abandoned = nights.abandon_stale_backups(before=NIGHT)
    assert [b.pk for b in abandoned] == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == BackupStatus.FAILED
    assert dead.details["error_code"] == "abandoned"
    assert BcpAlert.objects.filter(kind=alerts.ALERT_BACKUP_FAILED, schema_name="nakatosa", resolved_at=None).exists()
    for untouched, status in ((busy, "dumping"), (tonight, "dumping"), (done, "complete")):
        untouched.refresh_from_db()
        assert untouched.status == status


@pytest.mark.django_db
def test_the_schema_task_comes_back_later_when_another_worker_holds_the_backup(fs_site: BackupSite) -> None:
    from celery.exceptions import Retry

    from bcp import tasks

    held = Backup.objects.create(schema_name="nakatosa", scheduled_for=NIGHT, status="dumping")
    with psycopg.connect(archive.conninfo(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [backup._lock_key(held)])
        with pytest.raises(Retry):
            tasks.backup_schema_task("nakatosa", NIGHT.isoformat())
    held.refresh_from_db()
    assert held.status == BackupStatus.DUMPING
    assert held.attempts == 0


@pytest.mark.django_db
def test_a_staging_directory_that_cannot_be_created_fails_the_backup_not_the_worker(
    fs_site: BackupSite, settings: Any, tmp_path: Path
) -> None:
    (tmp_path / "not-a-dir").write_text("")
    settings.KYODO_BACKUP_STAGING_DIR = str(tmp_path / "not-a-dir" / "staging")
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    assert made.status == BackupStatus.FAILED
    assert "Not a directory" in made.error
    assert site_files(fs_site) == {}


# --- A site that is not the site (docs/domain/bcp-reliability.md §1)
# -----------------------------------------------------------------


def assert_copy_failed_with_alert(made: Backup, site: BackupSite, code: str) -> BackupCopy:
    copy = made.copies.get(site=site)
    assert copy.status == CopyStatus.FAILED
    alert = BcpAlert.objects.get(kind=alerts.ALERT_UPLOAD_FAILED, site=site, resolved_at=None)
    assert alert.details["code"] == code
    assert site.name in alert.message
    return copy


@pytest.mark.django_db
def test_an_unmounted_disk_whose_empty_mount_point_remains_receives_nothing_and_is_never_complete(
    fs_site: BackupSite,
) -> None:
    # The disk is unmounted; the mount point stays behind as an empty directory on the system disk.
    root = Path(fs_site.location)
    marker = (root / MARKER_KEY).read_bytes()
    (root / MARKER_KEY).unlink()
    mark = audit_mark()
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)

    assert made.status == BackupStatus.FAILED
    assert made.details["error_code"] == "no_site_reached"
    copy = assert_copy_failed_with_alert(made, fs_site, "bcp_site_marker_missing")
    assert "識別マーカーがありません" in copy.last_error
    assert list(root.iterdir()) == []  # not one byte on the system disk
    assert council_actions(mark) == ["bcp.copy_failed", "bcp.backup_failed"]

    # Mounted again: the retry finds the marker and completes the copy.
    (root / MARKER_KEY).write_bytes(marker)
    nights.retry_due_uploads(now=timezone.now() + timedelta(days=1))
    made.refresh_from_db()
    assert made.status == BackupStatus.COMPLETE
    assert site_files(fs_site)[made.artifact_key] == made.sha256


@pytest.mark.django_db
def test_a_site_holding_another_sites_marker_is_a_failed_copy_and_its_backups_are_untouched(
    fs_site: BackupSite, tmp_path: Path
) -> None:
    # The other site's disk was mounted where this one's should be (or the location was mistyped).
    other = make_fs_site(tmp_path / "other-disk", name="other")
    foreign = Path(other.location) / MARKER_KEY
    (Path(fs_site.location) / MARKER_KEY).write_bytes(foreign.read_bytes())
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT, sites=[fs_site])

    assert made.status == BackupStatus.FAILED
    copy = assert_copy_failed_with_alert(made, fs_site, "bcp_site_marker_foreign")
    assert "別のサイト" in copy.last_error
    assert site_files(fs_site) == {}


@pytest.mark.django_db
def test_a_marker_of_another_council_is_foreign(fs_site: BackupSite) -> None:
    root = Path(fs_site.location)
    marker = json.loads((root / MARKER_KEY).read_bytes())
    (root / MARKER_KEY).write_text(json.dumps({**marker, "council": "another-council"}))
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    assert_copy_failed_with_alert(made, fs_site, "bcp_site_marker_foreign")
    assert made.status == BackupStatus.FAILED


@pytest.mark.django_db
def test_a_site_that_must_be_a_mount_point_and_is_not_receives_nothing(fs_site: BackupSite) -> None:
    # tmp_path is a directory of the system disk, not a mount point.
    BackupSite.objects.filter(pk=fs_site.pk).update(require_mount_point=True)
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    copy = assert_copy_failed_with_alert(made, fs_site, "bcp_site_not_mounted")
    assert "マウントされていません" in copy.last_error
    assert made.status == BackupStatus.FAILED
    assert site_files(fs_site) == {}


@pytest.mark.django_db
def test_a_disk_that_goes_away_during_the_upload_is_not_a_complete_copy(fs_site: BackupSite, monkeypatch: Any) -> None:
    put_file = FilesystemStorage.put_file

    def unmounted_while_copying(self: FilesystemStorage, local: Path, key: str, **kwargs: Any) -> int:
        done = put_file(self, local, key, **kwargs)
        (self.root / MARKER_KEY).unlink()  # the check after the write reads the marker back: gone
        return done

    monkeypatch.setattr(FilesystemStorage, "put_file", unmounted_while_copying)
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    assert made.status == BackupStatus.FAILED
    assert_copy_failed_with_alert(made, fs_site, "bcp_site_marker_missing")


@pytest.mark.django_db
def test_an_s3_site_without_its_marker_object_is_a_failed_copy(
    s3_site: BackupSite, fs_site: BackupSite, s3_endpoint: str
) -> None:
    s3_client(s3_endpoint).delete_object(Bucket=s3_site.location, Key=f"{s3_site.prefix}/{MARKER_KEY}")
    made = backup.backup_schema(schema_name="nakatosa", scheduled_for=NIGHT)
    assert_copy_failed_with_alert(made, s3_site, "bcp_site_marker_missing")
    assert made.copies.get(site=fs_site).status == CopyStatus.COMPLETE
    assert made.status == BackupStatus.COMPLETE  # restorable from the inland site
    assert "remote" in made.error
    assert storage_for(s3_site).list() == []


@pytest.mark.django_db
def test_setting_up_a_site_refuses_a_location_that_holds_another_sites_marker(
    fs_site: BackupSite, tmp_path: Path
) -> None:
    twin = BackupSite.objects.create(
        name="twin", role="inland", storage_kind="filesystem", location=fs_site.location, encryption_key_ref="dev"
    )
    with pytest.raises(SiteMarkerForeign):
        set_up_site(actor=None, site=twin)
    twin.refresh_from_db()
    assert twin.marker_written_at is None
    # The original site's marker is untouched.
    assert json.loads((Path(fs_site.location) / MARKER_KEY).read_bytes())["site_id"] == fs_site.pk


@pytest.mark.django_db
def test_setting_up_a_site_writes_its_marker_and_reads_it_back(tmp_path: Path) -> None:
    site = make_fs_site(tmp_path / "new-disk", name="fresh", set_up=False)
    mark = audit_mark()
    set_up_site(actor=None, site=site)
    marker = json.loads((tmp_path / "new-disk" / MARKER_KEY).read_bytes())
    assert marker["site_id"] == site.pk
    assert marker["site_name"] == "fresh"
    assert marker["council"] == council_identity()
    site.refresh_from_db()
    assert site.marker_written_at is not None
    assert council_actions(mark) == ["bcp.site_set_up"]


# --- A dead worker's backup (docs/domain/bcp-reliability.md §2)
# ------------------------------------------------------------------------


def test_a_killed_workers_backup_stops_beating_and_is_failed_with_its_partial_file_removed(
    committed: dict[str, Any], tmp_path: Path, _backup_staging_dir: Path
) -> None:
    """The Celery process dies mid-dump (SIGKILL to its whole process group): the backup does not stay 取得中."""
    site = make_fs_site(tmp_path / "inland", name=committed["site"])
    marker = tmp_path / "streaming"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "KYODO_BACKUP_STAGING_DIR": str(_backup_staging_dir),
        "KYODO_BACKUP_HEARTBEAT_SECONDS": "1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_WORKER, site.name, committed["night"].isoformat(), str(marker)],
        cwd=ROOT, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert worker.poll() is None, "the worker ended before it was killed"
            assert time.monotonic() < deadline, "the worker never started dumping"
            time.sleep(0.05)
        dumping = Backup.objects.get(schema_name="nakatosa", scheduled_for=committed["night"])
        first_beat = dumping.heartbeat_at
        assert first_beat is not None
        assert dumping.worker.endswith(f":{worker.pid}")
        while Backup.objects.get(pk=dumping.pk).heartbeat_at == first_beat:  # it beats while pg_dump streams
            assert time.monotonic() < deadline, "no heartbeat while dumping"
            time.sleep(0.2)
        os.killpg(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)

    stuck = Backup.objects.get(pk=dumping.pk)
    assert stuck.status == BackupStatus.DUMPING
    assert [p.name for p in _backup_staging_dir.iterdir() if p.name.endswith(".part")] != []  # the partial file
    # Not yet silent for the timeout: nothing happens.
    assert nights.recover_stalled_backups() == []

    # PostgreSQL notices the dead session, and frees its lock, a moment after the kill.
    with psycopg.connect(archive.conninfo(), autocommit=True) as other:
        deadline = time.monotonic() + 30
        while not other.execute("SELECT pg_try_advisory_lock(%s)", [backup._lock_key(stuck)]).fetchone()[0]:
            assert time.monotonic() < deadline, "the dead worker's lock was never released"
            time.sleep(0.2)
        other.execute("SELECT pg_advisory_unlock(%s)", [backup._lock_key(stuck)])
    later = timezone.now() + timedelta(seconds=settings.KYODO_BACKUP_HEARTBEAT_TIMEOUT_SECONDS + 1)
    recovered = nights.recover_stalled_backups(now=later)
    assert [b.pk for b in recovered] == [stuck.pk]
    failed = recovered[0]
    assert failed.status == BackupStatus.FAILED
    assert failed.details["error_code"] == "worker_lost"
    assert "応答が" in failed.error
    assert "ワーカーの停止" in failed.error
    assert list(_backup_staging_dir.iterdir()) == []
    alert = BcpAlert.objects.get(kind=alerts.ALERT_BACKUP_FAILED, details__backup_id=stuck.pk, resolved_at=None)
    assert alert.severity == AlertSeverity.CRITICAL
    assert "ワーカーの停止" in alert.message


@pytest.mark.django_db
def test_tonights_backup_of_a_dead_worker_is_failed_alerted_and_queued_again(
    monkeypatch: Any, django_capture_on_commit_callbacks: Any, client_for: Any, _backup_staging_dir: Path
) -> None:
    from bcp import tasks

    tonight = local_today()
    silent_since = timezone.now() - timedelta(seconds=settings.KYODO_BACKUP_HEARTBEAT_TIMEOUT_SECONDS + 60)
    stuck = Backup.objects.create(
        schema_name="nakatosa",
        scheduled_for=tonight,
        municipality_name="中土佐町",
        status=BackupStatus.DUMPING,
        progress=4,
        started_at=silent_since,
        heartbeat_at=silent_since,
        worker="worker-host:4242",
    )
    alive = Backup.objects.create(
        schema_name="shimanto",
        scheduled_for=tonight,
        status=BackupStatus.DUMPING,
        started_at=silent_since,
        heartbeat_at=timezone.now(),
    )
    _backup_staging_dir.mkdir(parents=True, exist_ok=True)
    partial = backup.staging_path(stuck)
    partial = partial.with_name(f".{partial.name}.part")
    partial.write_bytes(b"half a dump")
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.backup_schema_task, "delay", lambda *args: queued.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        tasks.retry_due_uploads()  # the sweep every 10 minutes

    stuck.refresh_from_db()
    assert stuck.status == BackupStatus.FAILED
    assert stuck.details["error_code"] == "worker_lost"
    assert "worker-host:4242" in stuck.error
    assert "再実行を登録しました" in stuck.error
    assert not partial.exists()
    assert queued == [("nakatosa", tonight.isoformat())]
    alive.refresh_from_db()
    assert alive.status == BackupStatus.DUMPING  # still beating: left to its worker

    # What IT staff see: the failure among the open alerts of the dashboard, not 「取得中 4%」.
    page = client_for("it_admin", "council").get("/bcp/").content.decode()
    assert "ワーカーの停止" in page
    assert "取得中 4%" not in page
