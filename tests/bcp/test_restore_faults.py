"""Faults of the restore side (docs/bcp.md §9): a flipped byte, a wrong key, a copy that does not match its
manifest, an existing target. In every case nothing is reported as a success, nothing is restored where it
should not be, and no backup is lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pyrage
import pytest
from psycopg import sql

from bcp import archive, drills, restore
from bcp.models import Backup, BackupSite, BackupStatus, BcpAlert, DrillStatus, RestoreDrill
from common.models import AuditEvent
from tests.bcp import test_restore as shared
from tests.bcp.test_restore import (
    artifact_path,
    audit_mark,
    council_actions,
    live_checksums,
    make_backup,
    scratch_databases,
)

pytestmark = pytest.mark.django_db

site = shared.site  # fixtures
unique_schema = shared.unique_schema


def flip_one_byte(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    position = offset if offset is not None else len(data) // 2
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


def assert_backup_intact(site: BackupSite, backup: Backup) -> None:
    backup.refresh_from_db()
    assert backup.status == BackupStatus.COMPLETE
    assert artifact_path(site, backup).is_file()
    assert (artifact_path(site, backup).parent / archive.MANIFEST_NAME).is_file()


def test_a_flipped_byte_is_refused_before_decryption_and_nothing_is_restored(site: BackupSite) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    flip_one_byte(artifact_path(site, backup))
    mark = audit_mark()

    drill = drills.run_drill(schema_name="nakatosa", site=site)

    assert drill.status == DrillStatus.FAILED
    assert drill.report["error_code"] == "bcp_artifact_checksum_mismatch"
    assert "SHA-256" in drill.error
    assert "改ざんまたは破損" in drill.error
    assert drill.report["error_details"]["expected"] == backup.sha256
    assert drill.report["steps_seconds"] == {}  # stopped at the check: not decrypted, not restored
    assert drill.tables_checked == 0
    assert drill.restore_seconds is None
    assert scratch_databases(drill) == []
    alert = BcpAlert.objects.get(kind="drill_failed", schema_name="nakatosa", site=site)
    assert alert.severity == "critical"
    assert alert.details["drill_id"] == drill.pk
    assert council_actions(mark) == ["bcp.drill_failed"]
    assert_backup_intact(site, backup)


def test_a_flipped_byte_with_rewritten_checksums_is_still_refused_by_the_authenticated_encryption(
    site: BackupSite,
) -> None:
    # Someone who can write to the site and to the catalogue flips a byte and fixes every SHA-256: the age
    # payload's authentication tag still refuses it.
    backup = make_backup(schema="nakatosa", site=site)
    path = artifact_path(site, backup)
    flip_one_byte(path)
    forged = archive.sha256_file(path)
    manifest_path = path.parent / archive.MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    manifest["artifact"]["sha256"] = forged
    manifest_path.write_bytes(archive.manifest_bytes(manifest))
    Backup.objects.filter(pk=backup.pk).update(sha256=forged)
    backup.refresh_from_db()

    drill = restore.restore_backup(backup=backup, site=site)

    assert drill.status == DrillStatus.FAILED
    assert drill.report["error_code"] == "bcp_artifact_tampered"
    assert drill.tables_checked == 0
    assert "pg_restore" not in drill.report["steps_seconds"]
    assert scratch_databases(drill) == []


def test_a_wrong_key_is_a_clear_failure(site: BackupSite, settings: Any) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    settings.KYODO_BACKUP_KEYS = {"dev": str(pyrage.x25519.Identity.generate())}

    drill = drills.run_drill(schema_name="nakatosa", site=site)

    assert drill.status == DrillStatus.FAILED
    assert drill.report["error_code"] == "bcp_wrong_key"
    assert "暗号鍵が一致しません" in drill.error
    assert drill.tables_checked == 0
    assert BcpAlert.objects.filter(kind="drill_failed", details__drill_id=drill.pk).exists()
    assert_backup_intact(site, backup)


def test_a_missing_key_is_a_clear_failure(site: BackupSite, settings: Any) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    settings.KYODO_BACKUP_KEYS = {}
    drill = restore.restore_backup(backup=backup, site=site)
    assert drill.status == DrillStatus.FAILED
    assert drill.report["error_code"] == "bcp_key_not_configured"
    assert "KYODO_BACKUP_KEYS" in drill.error


def test_a_row_missing_after_restore_fails_with_the_differences(
    site: BackupSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    real = restore.restored_checksums

    def lose_a_row(dbname: str, schema: str) -> dict[str, Any]:
        # The scratch copy loses one row between pg_restore and the comparison (a faulty disk, a bad restore).
        with psycopg.connect(restore.conninfo(dbname), autocommit=True) as conn:
            conn.execute(
                sql.SQL(
                    "DELETE FROM {}.django_migrations WHERE id = (SELECT max(id) FROM {}.django_migrations)"
                ).format(sql.Identifier(schema), sql.Identifier(schema))
            )
        return real(dbname, schema)

    monkeypatch.setattr("bcp.restore.service.restored_checksums", lose_a_row)
    drill = drills.run_drill(schema_name="nakatosa", site=site)

    assert drill.status == DrillStatus.FAILED
    assert drill.report["error_code"] == "bcp_restore_verification_failed"
    assert [d["table"] for d in drill.differences] == ["django_migrations"]
    difference = drill.differences[0]
    assert difference["problem"] == "mismatch"
    assert difference["actual"]["rows"] == difference["expected"]["rows"] - 1
    assert drill.tables_checked == len(backup.manifest["tables"])  # every table was still compared
    assert scratch_databases(drill) == []
    assert BcpAlert.objects.filter(kind="drill_failed", details__differences=1).exists()


def test_a_manifest_changed_at_the_site_is_refused(site: BackupSite) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    manifest_path = artifact_path(site, backup).parent / archive.MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    manifest["tables"]["django_migrations"]["rows"] += 1
    manifest_path.write_bytes(archive.manifest_bytes(manifest))

    drill = restore.restore_backup(backup=backup, site=site)

    assert drill.status == DrillStatus.FAILED
    assert drill.report["error_code"] == "bcp_manifest_mismatch"
    problems = drill.report["error_details"]["problems"]
    assert [d["table"] for d in problems["tables"]] == ["django_migrations"]
    assert scratch_databases(drill) == []


def test_a_catalogue_manifest_that_disagrees_with_the_data_lists_the_differences(site: BackupSite) -> None:
    # The manifest (at the site and in the catalogue alike) claims a row the dump does not hold.
    backup = make_backup(schema="nakatosa", site=site)
    manifest = dict(backup.manifest)
    manifest["tables"] = {**manifest["tables"], "common_auditevent": {"rows": 999999, "checksum": "0" * 16}}
    manifest_path = artifact_path(site, backup).parent / archive.MANIFEST_NAME
    manifest_path.write_bytes(archive.manifest_bytes(manifest))
    Backup.objects.filter(pk=backup.pk).update(manifest=manifest)
    backup.refresh_from_db()

    drill = restore.restore_backup(backup=backup, site=site)

    assert drill.status == DrillStatus.FAILED
    assert [(d["table"], d["problem"]) for d in drill.differences] == [("common_auditevent", "mismatch")]


def test_a_missing_artifact_fails_without_touching_the_catalogue(site: BackupSite) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    artifact_path(site, backup).unlink()
    drill = restore.restore_backup(backup=backup, site=site)
    assert drill.status == DrillStatus.FAILED
    assert drill.report["error_code"] == "bcp_object_missing"
    assert Backup.objects.get(pk=backup.pk).status == BackupStatus.COMPLETE


# --- Targets of a real restore -------------------------------------------------------------------------------


def test_into_an_existing_tenant_schema_without_replace_is_refused(site: BackupSite) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    before = live_checksums("nakatosa")
    drills_before = RestoreDrill.objects.count()
    mark = audit_mark()

    with pytest.raises(restore.RestoreTargetExists) as refused:
        restore.restore_backup(backup=backup, site=site, into_schema="nakatosa")

    assert refused.value.code == "bcp_restore_target_exists"
    assert "--replace" in refused.value.message
    assert "中土佐町" in refused.value.message
    assert RestoreDrill.objects.count() == drills_before
    assert council_actions(mark) == ["bcp.restore_refused"]
    assert live_checksums("nakatosa") == before


def test_a_live_town_is_not_replaced_until_it_is_suspended(site: BackupSite) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    before = live_checksums("nakatosa")
    with pytest.raises(restore.RestoreIntoActiveTown) as refused:
        restore.restore_backup(backup=backup, site=site, into_schema="nakatosa", replace=True)
    assert "停止中" in refused.value.message
    assert "suspend" in refused.value.message
    assert live_checksums("nakatosa") == before


def test_one_towns_backup_never_goes_into_another_towns_schema(site: BackupSite) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    before = live_checksums("shimanto")
    with pytest.raises(restore.RestoreIntoOtherTown):
        restore.restore_backup(backup=backup, site=site, into_schema="shimanto", replace=True)
    assert live_checksums("shimanto") == before


@pytest.mark.parametrize("name", ["public", "pg_catalog", "information_schema", "Bad-Name", "x" * 64, ""])
def test_reserved_or_malformed_targets_are_refused(site: BackupSite, name: str) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    with pytest.raises(restore.InvalidRestoreTarget):
        restore.restore_backup(backup=backup, site=site, into_schema=name or "-", replace=True)


def test_a_replace_that_fails_verification_puts_the_old_schema_back(
    site: BackupSite, unique_schema: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = make_backup(schema="nakatosa", site=site)
    target = unique_schema("kept")
    with psycopg.connect(restore.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(target)))
        conn.execute(sql.SQL("CREATE TABLE {}.marker (id int)").format(sql.Identifier(target)))
        conn.execute(sql.SQL("INSERT INTO {}.marker VALUES (42)").format(sql.Identifier(target)))
    real = restore.restored_checksums

    def wrong_in_the_target(dbname: str, schema: str) -> dict[str, Any]:
        sums = real(dbname, schema)
        if schema == target:  # the copy installed in the live database differs from the manifest
            sums["django_migrations"] = {"rows": 0, "checksum": "0" * 16}
        return sums

    monkeypatch.setattr("bcp.restore.service.restored_checksums", wrong_in_the_target)
    drill = restore.restore_backup(backup=backup, site=site, into_schema=target, replace=True)

    assert drill.status == DrillStatus.FAILED
    assert drill.report["error_code"] == "bcp_restore_verification_failed"
    assert "元のスキーマを戻しました" in drill.error
    monkeypatch.undo()
    restored = live_checksums(target)
    assert list(restored) == ["marker"]
    assert restored["marker"]["rows"] == 1
    with psycopg.connect(restore.conninfo(), autocommit=True) as conn:
        leftovers = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [f"{target}_pre%"])
        assert leftovers.fetchall() == []
    assert AuditEvent.objects.filter(trail="public", action="bcp.restore_failed", object_id=str(drill.pk)).exists()
