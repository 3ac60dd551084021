"""Restore drills and real restores (bcp.restore) against real backups made by bcp.archive of the demo towns.

The backups are real: pg_dump of a committed demo schema → zstd → age, written to a filesystem site with its
manifest, exactly as the nightly job does. pg_restore runs into real scratch databases on the test server.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.utils import timezone
from psycopg import sql

from bcp import archive, restore, storage
from bcp.models import (
    Backup,
    BackupCopy,
    BackupSite,
    BackupStatus,
    CopyStatus,
    DrillStatus,
    RestoreDrill,
    SiteRole,
    StorageKind,
)
from bcp.sites import set_up_site
from common.models import AuditEvent

pytestmark = pytest.mark.django_db

KEY_REF = "dev"  # config/settings/test.py


# --- Helpers shared by the restore, drill, command and fault tests -----------------------------------------


def make_site(root: Path, name: str = "inland-test", **fields: Any) -> BackupSite:
    root.mkdir(parents=True, exist_ok=True)
    defaults: dict[str, Any] = {
        "role": SiteRole.INLAND,
        "storage_kind": StorageKind.FILESYSTEM,
        "location": str(root),
        "encryption_key_ref": KEY_REF,
    }
    return set_up_site(actor=None, site=BackupSite.objects.create(name=name, **{**defaults, **fields}))


def make_backup(*, schema: str, site: BackupSite, scheduled_for: date | None = None, key_ref: str = KEY_REF) -> Backup:
    """A COMPLETE backup of a committed schema, at ``site``, as the nightly job leaves it."""
    with tempfile.TemporaryDirectory() as staging:
        result = archive.dump_schema(schema=schema, target=Path(staging) / archive.ARTIFACT_NAME, key_refs=[key_ref])
        key = archive.artifact_key_for(schema, result.snapshot_at)
        manifest = archive.build_manifest(result, artifact_key=key)
        store = storage.storage_for(site)
        store.put_file(result.path, key)
        store.put_bytes(archive.manifest_bytes(manifest), archive.manifest_key_for(key))
    backup = Backup.objects.create(
        schema_name=schema,
        scheduled_for=scheduled_for or timezone.localdate(),
        status=BackupStatus.COMPLETE,
        snapshot_at=result.snapshot_at,
        artifact_key=key,
        size_bytes=result.size_bytes,
        dump_bytes=result.dump_bytes,
        sha256=result.sha256,
        encryption_key_ref=key_ref,
        manifest=manifest,
        progress=100,
        finished_at=timezone.now(),
    )
    BackupCopy.objects.create(backup=backup, site=site, status=CopyStatus.COMPLETE, uploaded_at=timezone.now())
    return backup


def copy_backup(backup: Backup, *, source: BackupSite, target: BackupSite) -> BackupCopy:
    """The same backup's complete copy at a second site."""
    destination = Path(target.location) / backup.artifact_key
    destination.parent.mkdir(parents=True, exist_ok=True)
    for name in (archive.ARTIFACT_NAME, archive.MANIFEST_NAME):
        shutil.copyfile(artifact_path(source, backup).parent / name, destination.parent / name)
    return BackupCopy.objects.create(backup=backup, site=target, status=CopyStatus.COMPLETE, uploaded_at=timezone.now())


def snapshot_of(backup: Backup) -> datetime:
    assert backup.snapshot_at is not None
    return backup.snapshot_at


def artifact_path(site: BackupSite, backup: Backup) -> Path:
    return Path(site.location) / backup.artifact_key


def scratch_databases(drill: RestoreDrill) -> list[str]:
    """The drill's scratch database if it still exists (by its recorded name: other test databases on this
    server run drills with the same ids at the same time)."""
    name = drill.report.get("scratch_database")
    return [name] if name and restore.database_exists(name) else []


def live_checksums(schema: str) -> dict[str, Any]:
    return restore.restored_checksums(restore.live_database(), schema)


def drop_schema(name: str) -> None:
    with psycopg.connect(restore.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def council_actions(since: int) -> list[str]:
    return list(
        AuditEvent.objects.filter(trail="public", pk__gt=since).order_by("seq").values_list("action", flat=True)
    )


def audit_mark() -> int:
    return AuditEvent.objects.filter(trail="public").order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def site(tmp_path: Path) -> BackupSite:
    return make_site(tmp_path / "inland")


@pytest.fixture
def unique_schema() -> Any:
    """A fresh schema name for a real restore into the live (test) database, dropped afterwards."""
    names: list[str] = []

    def make(prefix: str = "restored") -> str:
        names.append(f"{prefix}_{secrets.token_hex(4)}")
        return names[-1]

    yield make
    for name in names:
        drop_schema(name)
        for kept in _kept_schemas(name):
            drop_schema(kept)


def _kept_schemas(name: str) -> list[str]:
    with psycopg.connect(restore.conninfo(), autocommit=True) as conn:
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [f"{name}_pre_restore_%"])
        return [row[0] for row in rows.fetchall()]


# --- Drills ------------------------------------------------------------------------------------------------


def test_a_drill_restores_verifies_every_table_and_drops_the_scratch_copy(site: BackupSite) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    mark = audit_mark()

    drill = restore.restore_backup(backup=backup, site=site)

    drill.refresh_from_db()
    assert drill.status == DrillStatus.PASSED, (drill.error, drill.differences)
    assert drill.kind == "drill"
    assert drill.target == ""
    assert drill.differences == []
    assert drill.tables_checked == len(backup.manifest["tables"]) > 5
    assert drill.rows_checked == sum(t["rows"] for t in backup.manifest["tables"].values()) > 0
    assert drill.backup_snapshot_at == backup.snapshot_at
    assert drill.achieved_rpo_seconds == pytest.approx((drill.started_at - snapshot_of(backup)).total_seconds())
    assert drill.restore_seconds is not None
    assert drill.restore_seconds > 0
    assert drill.progress == 100
    assert drill.finished_at is not None
    assert set(drill.report["steps_seconds"]) == {"fetch_and_verify", "decrypt", "pg_restore", "compare"}
    assert scratch_databases(drill) == []
    assert council_actions(mark) == ["bcp.drill_passed"]
    event = AuditEvent.objects.get(trail="public", action="bcp.drill_passed", pk__gt=mark)
    assert event.object_id == str(drill.pk)
    assert event.details["site"] == site.name
    # The backup itself is untouched.
    assert artifact_path(site, backup).is_file()
    assert Backup.objects.get(pk=backup.pk).status == BackupStatus.COMPLETE


def test_the_public_schema_drills_too(site: BackupSite) -> None:
    backup = make_backup(schema="public", site=site)
    drill = restore.restore_backup(backup=backup, site=site)
    assert drill.status == DrillStatus.PASSED, (drill.error, drill.differences)
    assert drill.tables_checked > 10


def test_the_latest_backup_or_the_one_at_a_time_is_chosen(site: BackupSite, tmp_path: Path) -> None:
    older = make_backup(schema="nakatosa", site=site, scheduled_for=date(2026, 11, 1))
    newer = make_backup(schema="nakatosa", site=site, scheduled_for=date(2026, 11, 2))
    Backup.objects.filter(pk=older.pk).update(snapshot_at=snapshot_of(newer) - timedelta(days=1))

    assert restore.find_backup(schema_name="nakatosa", site=site) == newer
    at = snapshot_of(newer) - timedelta(hours=1)
    assert restore.find_backup(schema_name="nakatosa", site=site, at=at) == older
    with pytest.raises(restore.NoUsableBackup) as refused:
        restore.find_backup(schema_name="nakatosa", site=site, at=snapshot_of(newer) - timedelta(days=2))
    assert refused.value.code == "bcp_backup_not_found"

    # A copy that is not COMPLETE at that site (still uploading, failed) is not a usable backup there.
    other = make_site(tmp_path / "remote", name="remote-test", role=SiteRole.REMOTE)
    assert not BackupCopy.objects.filter(site=other).exists()
    with pytest.raises(restore.NoUsableBackup):
        restore.find_backup(schema_name="nakatosa", site=other)
    BackupCopy.objects.filter(backup=newer, site=site).update(status=CopyStatus.UPLOADING)
    assert restore.find_backup(schema_name="nakatosa", site=site) == older
    Backup.objects.filter(pk=older.pk).update(status=BackupStatus.UPLOADING)
    with pytest.raises(restore.NoUsableBackup):
        restore.find_backup(schema_name="nakatosa", site=site)


# --- Real restores -----------------------------------------------------------------------------------------


def test_a_real_restore_creates_the_schema_under_the_new_name(site: BackupSite, unique_schema: Any) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    target = unique_schema()
    mark = audit_mark()

    drill = restore.restore_backup(backup=backup, site=site, into_schema=target)

    assert drill.status == DrillStatus.PASSED, (drill.error, drill.differences)
    assert drill.kind == "restore"
    assert drill.target.endswith(f".{target}")
    assert drill.report["installed"] == {"database": restore.live_database(), "schema": target, "replaced": False}
    # Every table, row and checksum of the backup is there under the new name; the town itself is untouched.
    assert live_checksums(target) == backup.manifest["tables"]
    assert restore.schema_exists(restore.live_database(), "nakatosa")
    assert scratch_databases(drill) == []
    assert council_actions(mark) == ["bcp.restore"]


def test_a_town_restored_over_itself_with_replace_is_verified_then_the_old_copy_dropped(
    site: BackupSite, unique_schema: Any
) -> None:
    # A throwaway "town" schema: a committed copy of nakatosa's backup plus a marker table that the restore
    # must remove (the restore replaces the schema, it does not merge into it).
    source = make_backup(schema="nakatosa", site=site)
    target = unique_schema("replaced")
    assert restore.restore_backup(backup=source, site=site, into_schema=target).status == DrillStatus.PASSED
    with psycopg.connect(restore.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE TABLE {}.marker (id int)").format(sql.Identifier(target)))

    with pytest.raises(restore.RestoreTargetExists):
        restore.restore_backup(backup=source, site=site, into_schema=target)
    drill = restore.restore_backup(backup=source, site=site, into_schema=target, replace=True)

    assert drill.status == DrillStatus.PASSED, (drill.error, drill.differences)
    assert drill.report["installed"]["replaced"] is True
    assert live_checksums(target) == source.manifest["tables"]  # no marker table any more
    assert _kept_schemas(target) == []


def test_a_real_restore_into_another_database(site: BackupSite) -> None:
    backup = make_backup(schema="shimanto", site=site)
    database = f"kyodo_restore_test_{secrets.token_hex(4)}"
    try:
        drill = restore.restore_backup(backup=backup, site=site, into_database=database)
        assert drill.status == DrillStatus.PASSED, (drill.error, drill.differences)
        assert drill.target == f"{database}.shimanto"
        assert restore.restored_checksums(database, "shimanto") == backup.manifest["tables"]
        # The same schema name in another database is not the live town: a second restore needs --replace.
        with pytest.raises(restore.RestoreTargetExists):
            restore.restore_backup(backup=backup, site=site, into_database=database)
    finally:
        restore.drop_database(database)


def test_a_schema_restored_over_itself_uses_its_own_dump_and_replaces_it(site: BackupSite, unique_schema: Any) -> None:
    # A committed throwaway schema stands in for a town restored over itself (same name, --replace).
    name = unique_schema("itself")
    seed = make_backup(schema="nakatosa", site=site)
    assert restore.restore_backup(backup=seed, site=site, into_schema=name).status == DrillStatus.PASSED
    backup = make_backup(schema=name, site=site)
    with psycopg.connect(restore.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DELETE FROM {}.django_migrations").format(sql.Identifier(name)))  # the damage

    drill = restore.restore_backup(backup=backup, site=site, into_schema=name, replace=True)

    assert drill.status == DrillStatus.PASSED, (drill.error, drill.differences)
    assert "install" in drill.report["steps_seconds"]
    assert drill.report["installed"]["replaced"] is True
    assert live_checksums(name) == backup.manifest["tables"]
    assert _kept_schemas(name) == []


# --- With the nightly job's own backups, at both kinds of site ---------------------------------------------


def test_drills_of_a_nightly_backup_pass_at_a_filesystem_and_an_s3_site(site: BackupSite, s3_site: BackupSite) -> None:
    from bcp.backup import backup_schema

    backup = backup_schema(schema_name="shimanto", scheduled_for=timezone.localdate(), sites=[site, s3_site])
    assert backup.status == BackupStatus.COMPLETE, backup.error

    for where in (site, s3_site):
        drill = restore.restore_backup(backup=restore.find_backup(schema_name="shimanto", site=where), site=where)
        assert drill.status == DrillStatus.PASSED, (where.name, drill.error, drill.differences)
        assert drill.rows_checked == sum(t["rows"] for t in backup.manifest["tables"].values())
    # Found at the S3 site by its manifests alone, too (the catalogue-less path).
    found = restore.find_backup_at_site(schema_name="shimanto", site=s3_site)
    assert found.pk is None
    assert found.sha256 == backup.sha256
    assert found.artifact_key == backup.artifact_key
