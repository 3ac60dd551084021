"""A real Celery worker runs the nightly backup (docs/bcp.md §2): one task per schema, to a filesystem site and an S3
site (a local moto server), each artifact a valid encrypted pg_dump archive."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bcp import archive, backup
from bcp.models import Backup, BackupCopy, BackupSite, BackupStatus, BcpAlert, CopyStatus
from bcp.storage import storage_for
from bcp.tasks import run_nightly_backups
from tests.bcp.conftest import make_fs_site, make_s3_site
from tests.bcp.conftest import s3_bucket as s3_bucket
from tests.bcp.conftest import s3_endpoint as s3_endpoint
from tests.integration.conftest import Worker

pytestmark = pytest.mark.integration


@pytest.fixture
def backup_worker(
    django_db_blocker: Any, tmp_path: Path, s3_endpoint: str, s3_bucket: str, shared_worker: Worker
) -> Iterator[dict[str, Any]]:
    """Committed sites (the worker reads committed data only) and the session's worker (its queue is its default
    queue too, where the fanned-out tasks go); all rows the run makes are removed afterwards (the council audit rows
    stay: the trail is append-only)."""
    # A night of its own, far in the past, so no other test's backup shares its (schema, night) rows.
    night = date(2003, 1, 1) + timedelta(days=secrets.randbelow(3000))
    suffix = secrets.token_hex(4)
    with django_db_blocker.unblock():
        sites = [
            make_fs_site(tmp_path / "inland", name=f"inland-{suffix}"),
            make_s3_site(s3_endpoint, s3_bucket, name=f"remote-{suffix}"),
        ]
    try:
        yield {"queue": shared_worker.queue, "night": night, "sites": sites, "staging": shared_worker.staging}
    finally:
        with django_db_blocker.unblock():
            ids = [site.pk for site in sites]
            BcpAlert.objects.filter(site_id__in=ids).delete()
            BcpAlert.objects.filter(details__backup_id__in=list(
                Backup.objects.filter(scheduled_for=night).values_list("pk", flat=True))).delete()  # fmt: skip
            BackupCopy.objects.filter(backup__scheduled_for=night).delete()
            Backup.objects.filter(scheduled_for=night).delete()
            BackupCopy.objects.filter(site_id__in=ids).delete()
            BackupSite.objects.filter(pk__in=ids).delete()


def test_the_worker_backs_up_every_schema_to_both_sites(
    backup_worker: dict[str, Any], django_db_blocker: Any, tmp_path: Path
) -> None:
    night: date = backup_worker["night"]
    result = run_nightly_backups.apply_async(args=[night.isoformat()], queue=backup_worker["queue"])
    outcome = result.get(timeout=60)
    with django_db_blocker.unblock():
        expected = backup.backup_targets()
        assert outcome["schemas"] == expected
        assert {"public", "nakatosa", "shimanto"} <= set(expected)

        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            done = Backup.objects.filter(scheduled_for=night, status__in=[BackupStatus.COMPLETE, BackupStatus.FAILED])
            if done.count() == len(expected):
                break
            time.sleep(0.5)
        backups = {b.schema_name: b for b in Backup.objects.filter(scheduled_for=night)}
        assert {schema: b.status for schema, b in backups.items()} == dict.fromkeys(expected, BackupStatus.COMPLETE)

        for schema, made in backups.items():
            assert made.progress == 100
            assert made.error == ""
            for site in backup_worker["sites"]:
                copy = BackupCopy.objects.get(backup=made, site=site)
                assert copy.status == CopyStatus.COMPLETE
                store = storage_for(site)
                local = tmp_path / f"{schema}-{site.name}.age"
                store.get_file(made.artifact_key, local)
                assert archive.sha256_file(local) == made.sha256
                assert (
                    archive.parse_manifest(store.get_bytes(archive.manifest_key_for(made.artifact_key)))["tables"]
                    == made.manifest["tables"]
                )
                dump = tmp_path / f"{schema}-{site.name}.pgc"
                archive.decrypt_to(local, dump, key_ref="dev")
                listing = subprocess.run(
                    ["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True
                ).stdout
                assert "TABLE " in listing
                assert schema == "public" or f"SCHEMA - {schema}" in listing
        # No half-written artifact is left in the worker's staging directory (complete ones are removed once
        # every active site has its copy).
        assert not [path for path in backup_worker["staging"].iterdir() if ".part" in path.name]
