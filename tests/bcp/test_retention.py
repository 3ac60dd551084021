"""Retention per site (docs/bcp.md §3): daily/weekly/monthly, and never the newest backup proven by a drill."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from bcp import archive, retention
from bcp.models import Backup, BackupCopy, BackupSite, BackupStatus, CopyStatus, DrillStatus, RestoreDrill
from bcp.storage import storage_for
from common.models import AuditEvent
from tests.bcp.conftest import make_fs_site

pytestmark = pytest.mark.django_db


def nights(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def synthetic_backup(
    site: BackupSite, night: date, *, schema: str = "nakatosa", status: str = CopyStatus.COMPLETE
) -> BackupCopy:
    """A backup row with files at the site, as the nightly job leaves it (the content does not matter here)."""
    snapshot_at = datetime.combine(night, time(17, 0), tzinfo=UTC)
    key = archive.artifact_key_for(schema, snapshot_at)
    store = storage_for(site)
    store.put_bytes(b"artifact", key)
    if status == CopyStatus.COMPLETE:
        store.put_bytes(b"{}", archive.manifest_key_for(key))
    made, _ = Backup.objects.get_or_create(
        schema_name=schema,
        scheduled_for=night,
        defaults={"status": BackupStatus.COMPLETE, "snapshot_at": snapshot_at, "artifact_key": key, "sha256": "0" * 64},
    )
    return BackupCopy.objects.create(backup=made, site=site, status=status)


def kept_nights(site: BackupSite, schema: str = "nakatosa") -> list[date]:
    copies = BackupCopy.objects.filter(site=site, backup__schema_name=schema).exclude(status=CopyStatus.PRUNED)
    return sorted(copies.values_list("backup__scheduled_for", flat=True))


def files_at(site: BackupSite, schema: str = "nakatosa") -> set[str]:
    return {key.split("/")[1][:8] for key in storage_for(site).list(schema)}


def test_daily_retention_keeps_the_newest_nights_and_deletes_the_rest(tmp_path: Path) -> None:
    site = make_fs_site(tmp_path / "inland", keep_daily=3)
    for night in nights(date(2026, 4, 1), date(2026, 4, 10)):
        synthetic_backup(site, night)
    mark = AuditEvent.objects.filter(trail="public").order_by("-pk").values_list("pk", flat=True).first() or 0

    pruned = retention.apply_retention(sites=[site])

    assert len(pruned) == 7
    assert kept_nights(site) == [date(2026, 4, 8), date(2026, 4, 9), date(2026, 4, 10)]
    assert files_at(site) == {"20260408", "20260409", "20260410"}
    assert all(copy.status == CopyStatus.PRUNED and copy.pruned_at for copy in pruned)
    actions = AuditEvent.objects.filter(trail="public", pk__gt=mark).values_list("action", flat=True)
    assert list(actions) == ["bcp.backup_pruned"] * 7
    assert retention.apply_retention(sites=[site]) == []  # idempotent


def test_grandfather_father_son(tmp_path: Path) -> None:
    site = make_fs_site(tmp_path / "remote", keep_daily=7, keep_weekly=4, keep_monthly=3)
    for night in nights(date(2026, 1, 1), date(2026, 4, 30)):  # 30 April 2026 is a Thursday
        synthetic_backup(site, night)
    retention.apply_retention(sites=[site])
    daily = nights(date(2026, 4, 24), date(2026, 4, 30))
    weekly = [date(2026, 4, 12), date(2026, 4, 19), date(2026, 4, 26), date(2026, 4, 30)]  # ISO weeks 15-18
    monthly = [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert kept_nights(site) == sorted(set(daily) | set(weekly) | set(monthly))


def test_the_newest_backup_that_passed_a_drill_at_the_site_is_never_pruned(tmp_path: Path) -> None:
    site = make_fs_site(tmp_path / "inland", keep_daily=2)
    other = make_fs_site(tmp_path / "other", name="other")
    copies = {night: synthetic_backup(site, night) for night in nights(date(2026, 4, 1), date(2026, 4, 8))}
    drill = {"schema_name": "nakatosa", "status": DrillStatus.PASSED}
    RestoreDrill.objects.create(site=site, backup=copies[date(2026, 4, 2)].backup, **drill)
    RestoreDrill.objects.create(site=site, backup=copies[date(2026, 4, 4)].backup, **drill)  # the newest passed
    RestoreDrill.objects.create(
        site=site, backup=copies[date(2026, 4, 5)].backup, **{**drill, "status": DrillStatus.FAILED}
    )
    RestoreDrill.objects.create(site=other, backup=copies[date(2026, 4, 6)].backup, **drill)  # another site's drill

    retention.apply_retention(sites=[site])

    assert kept_nights(site) == [date(2026, 4, 4), date(2026, 4, 7), date(2026, 4, 8)]
    assert files_at(site) == {"20260404", "20260407", "20260408"}


def test_copies_in_progress_or_failed_are_never_pruned(tmp_path: Path) -> None:
    site = make_fs_site(tmp_path / "inland", keep_daily=1)
    for night in nights(date(2026, 4, 1), date(2026, 4, 3)):
        synthetic_backup(site, night)
    uploading = synthetic_backup(site, date(2026, 3, 1), status=CopyStatus.UPLOADING)
    failed = synthetic_backup(site, date(2026, 3, 2), status=CopyStatus.FAILED)

    retention.apply_retention(sites=[site])

    assert kept_nights(site) == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 4, 3)]
    for copy in (uploading, failed):
        copy.refresh_from_db()
        assert storage_for(site).exists(copy.backup.artifact_key)


def test_a_policy_of_zeros_still_keeps_the_newest_backup(tmp_path: Path) -> None:
    site = make_fs_site(tmp_path / "inland", keep_daily=0, keep_weekly=0, keep_monthly=0)
    for night in nights(date(2026, 4, 1), date(2026, 4, 3)):
        synthetic_backup(site, night)
    retention.apply_retention(sites=[site])
    assert kept_nights(site) == [date(2026, 4, 3)]


def test_each_schema_and_each_site_has_its_own_retention(tmp_path: Path) -> None:
    inland = make_fs_site(tmp_path / "inland", keep_daily=2)
    remote = make_fs_site(tmp_path / "remote", name="remote", keep_daily=4)
    for night in nights(date(2026, 4, 1), date(2026, 4, 5)):
        for schema in ("nakatosa", "shimanto"):
            synthetic_backup(inland, night, schema=schema)
            synthetic_backup(remote, night, schema=schema)
    retention.apply_retention(schema_name="nakatosa")
    assert kept_nights(inland) == [date(2026, 4, 4), date(2026, 4, 5)]
    assert kept_nights(remote) == nights(date(2026, 4, 2), date(2026, 4, 5))
    assert kept_nights(inland, "shimanto") == nights(date(2026, 4, 1), date(2026, 4, 5))  # not asked for


def test_an_unreachable_site_keeps_its_copies_complete(tmp_path: Path) -> None:
    site = make_fs_site(tmp_path / "inland", keep_daily=1)
    for night in nights(date(2026, 4, 1), date(2026, 4, 3)):
        synthetic_backup(site, night)
    site.location = str(tmp_path / "unmounted")
    site.save()
    assert retention.apply_retention(sites=[site]) == []
    assert BackupCopy.objects.filter(site=site, status=CopyStatus.COMPLETE).count() == 3
