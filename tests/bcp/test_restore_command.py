"""manage.py restore_municipality: a real restore from a site, refusals with clear messages and exit codes."""

from __future__ import annotations

import time
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from bcp import restore
from bcp.management.commands.restore_municipality import parse_time
from bcp.models import Backup, BackupCopy, BackupSite, DrillStatus, RestoreDrill
from tests.bcp import test_restore as shared
from tests.bcp.test_restore import live_checksums, make_backup, snapshot_of

pytestmark = pytest.mark.django_db

site = shared.site  # fixtures
unique_schema = shared.unique_schema


def run(*args: str) -> str:
    out = StringIO()
    call_command("restore_municipality", *args, stdout=out)
    return out.getvalue()


def test_restores_the_latest_backup_into_a_new_schema(site: BackupSite, unique_schema: Any) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    target = unique_schema()

    output = run("--schema", "nakatosa", "--site", site.name, "--into", target)

    assert "復元しました / restored" in output
    assert target in output
    drill = RestoreDrill.objects.get(kind="restore", backup=backup)
    assert drill.status == DrillStatus.PASSED
    assert drill.target.endswith(f".{target}")
    assert drill.triggered_by.startswith("restore_municipality")
    assert live_checksums(target) == backup.manifest["tables"]


def test_refuses_an_existing_town_schema_without_replace(site: BackupSite) -> None:
    make_backup(schema="nakatosa", site=site)
    before = live_checksums("nakatosa")
    with pytest.raises(CommandError) as refused:
        run("--schema", "nakatosa", "--site", site.name, "--into", "nakatosa")
    message = str(refused.value)
    assert "--replace" in message
    assert "already exists" in message
    assert "既に存在します" in message
    assert not RestoreDrill.objects.filter(kind="restore").exists()
    assert live_checksums("nakatosa") == before


def test_a_failed_restore_exits_non_zero_with_the_reason(site: BackupSite, unique_schema: Any) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    path = shared.artifact_path(site, backup)
    path.write_bytes(path.read_bytes()[:-10])  # truncated at the site
    target = unique_schema()
    with pytest.raises(CommandError) as failed:
        run("--schema", "nakatosa", "--site", site.name, "--into", target)
    assert "復元に失敗しました / restore failed" in str(failed.value)
    assert "bcp_artifact_checksum_mismatch" in str(failed.value)
    assert not restore.schema_exists(restore.live_database(), target)


def test_unknown_site_and_missing_backup_are_refused(site: BackupSite) -> None:
    with pytest.raises(CommandError, match="バックアップサイト「nowhere」がありません"):
        run("--schema", "nakatosa", "--site", "nowhere", "--into", "x_restored")
    with pytest.raises(CommandError, match="完了済みバックアップ"):
        run("--schema", "nakatosa", "--site", site.name, "--into", "x_restored")


def test_at_picks_the_backup_of_that_time(site: BackupSite, unique_schema: Any) -> None:
    older = make_backup(schema="nakatosa", site=site, scheduled_for=timezone.localdate() - timedelta(days=1))
    time.sleep(1.1)  # artifacts are keyed by the second of their snapshot
    newer = make_backup(schema="nakatosa", site=site)
    Backup.objects.filter(pk=older.pk).update(snapshot_at=snapshot_of(newer) - timedelta(days=1))
    at = timezone.localtime(snapshot_of(newer) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")

    run("--schema", "nakatosa", "--site", site.name, "--at", at, "--into", unique_schema())

    assert RestoreDrill.objects.get(kind="restore").backup_id == older.pk


def test_time_arguments() -> None:
    assert parse_time("2026-11-20T03:00").utcoffset() == timedelta(hours=9)
    assert parse_time("2026-11-20").hour == 23  # a day means up to its end
    assert parse_time("2026-11-20T03:00+00:00").utcoffset() == timedelta(0)
    with pytest.raises(CommandError, match="--at"):
        parse_time("yesterday")


def test_from_site_restores_when_the_catalogue_is_lost(site: BackupSite, unique_schema: Any) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    expected = backup.manifest["tables"]
    BackupCopy.objects.filter(backup=backup).delete()
    Backup.objects.filter(pk=backup.pk).delete()  # the public schema came back without this night's row
    target = unique_schema()
    with pytest.raises(CommandError, match="完了済みバックアップ"):
        run("--schema", "nakatosa", "--site", site.name, "--into", target)

    output = run("--schema", "nakatosa", "--site", site.name, "--into", target, "--from-site")

    assert "復元しました" in output
    drill = RestoreDrill.objects.get(kind="restore")
    assert drill.backup is None
    assert drill.report["source"] == "site"
    assert drill.backup_snapshot_at == snapshot_of(backup)
    assert live_checksums(target) == expected


def test_from_site_refuses_a_flipped_byte_too(site: BackupSite, unique_schema: Any) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    path = shared.artifact_path(site, backup)
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x80
    path.write_bytes(bytes(data))
    target = unique_schema()
    with pytest.raises(CommandError, match="bcp_artifact_checksum_mismatch"):
        run("--schema", "nakatosa", "--site", site.name, "--into", target, "--from-site")
    assert not restore.schema_exists(restore.live_database(), target)
