"""Finding the backup to restore (catalogue or site manifests), fetching, verifying and decrypting it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils import timezone

from bcp import archive, keys, storage
from bcp.models import Backup, BackupSite, BackupStatus, CopyStatus
from bcp.restore.errors import ArtifactChecksumMismatch, ManifestMismatch, NoUsableBackup, RestoreError, SiteNotFound

ARTIFACT_NAME = "dump.pgc.zst.age"
MANIFEST_NAME = "manifest.json"


# --- Finding the backup ----------------------------------------------------------------------------


def find_site(name: str) -> BackupSite:
    site = BackupSite.objects.filter(name=name).first()
    if site is None:
        raise SiteNotFound(f"バックアップサイト「{name}」がありません。", details={"site": name})
    return site


def find_backup(*, schema_name: str, site: BackupSite, at: datetime | None = None) -> Backup:
    """The newest COMPLETE backup of ``schema_name`` whose copy at ``site`` is COMPLETE (at or before ``at``)."""
    backups = Backup.objects.filter(
        schema_name=schema_name,
        status=BackupStatus.COMPLETE,
        snapshot_at__isnull=False,
        copies__site=site,
        copies__status=CopyStatus.COMPLETE,
    )
    if at is not None:
        backups = backups.filter(snapshot_at__lte=at)
    backup = backups.order_by("-snapshot_at", "-pk").first()
    if backup is None:
        when = f"({timezone.localtime(at):%Y-%m-%d %H:%M} 以前)" if at is not None else ""
        raise NoUsableBackup(
            f"サイト「{site.name}」に {schema_name} の完了済みバックアップ{when}がありません。",
            details={"schema": schema_name, "site": site.name, "at": at.isoformat() if at else None},
        )
    return backup


def find_backup_at_site(*, schema_name: str, site: BackupSite, at: datetime | None = None) -> Backup:
    """The newest complete copy of ``schema_name`` at ``site`` found by reading the site itself.

    For the day the catalogue is gone (the public schema lost with the primary, or restored from an older
    backup): the site's manifests are the only record. A copy counts only when its manifest exists (the
    manifest is written last). The Backup returned is **not saved**; it carries what the manifest says, and
    the restore checks the artifact against that manifest's SHA-256 before age authenticates every chunk.
    """
    store = storage.storage_for(site)
    stamps = sorted(
        {key.split("/")[1] for key in store.list(schema_name) if key.count("/") == 2 and key.endswith(MANIFEST_NAME)},
        reverse=True,
    )
    for stamp in stamps:
        manifest = archive.parse_manifest(store.get_bytes(f"{schema_name}/{stamp}/{MANIFEST_NAME}"))
        snapshot_at = datetime.fromisoformat(str(manifest["snapshot_at"]))
        if manifest.get("schema") != schema_name or (at is not None and snapshot_at > at):
            continue
        artifact = manifest.get("artifact") or {}
        return Backup(
            schema_name=schema_name,
            snapshot_at=snapshot_at,
            scheduled_for=timezone.localdate(snapshot_at),
            status=BackupStatus.COMPLETE,
            artifact_key=str(artifact.get("key") or f"{schema_name}/{stamp}/{ARTIFACT_NAME}"),
            size_bytes=artifact.get("size"),
            dump_bytes=manifest.get("dump_size"),
            sha256=str(artifact.get("sha256") or ""),
            encryption_key_ref=str(manifest.get("key_ref") or ""),
            manifest=manifest,
        )
    when = f"({timezone.localtime(at):%Y-%m-%d %H:%M} 以前)" if at is not None else ""
    raise NoUsableBackup(
        f"サイト「{site.name}」の保存先に {schema_name} の完了済みバックアップ{when}がありません。",
        details={"schema": schema_name, "site": site.name, "at": at.isoformat() if at else None, "source": "site"},
    )


# --- Fetch, verify, decrypt ------------------------------------------------------------------------


def fetch_and_verify(*, backup: Backup, site: BackupSite, workdir: Path) -> tuple[Path, dict[str, Any]]:
    """Download the artifact and manifest of ``backup`` from ``site`` and check them before any decryption.

    The SHA-256 must agree three ways: the file as downloaded, the manifest at the site, and the Backup row
    (written by the worker that made the backup). The site's manifest must also agree with the row's on the
    schema and the tables, so a manifest altered at the site (e.g. to cover a changed artifact) is refused.
    """
    if not backup.artifact_key:
        raise RestoreError("バックアップに成果物のキーが記録されていません。", details={"step": "fetch"})
    store = storage.storage_for(site)
    try:
        manifest = archive.parse_manifest(store.get_bytes(archive.manifest_key_for(backup.artifact_key)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestMismatch(
            "バックアップサイトのマニフェストを読み取れません。", details={"step": "fetch_manifest"}
        ) from exc
    site_sha256 = (manifest.get("artifact") or {}).get("sha256")
    problems: dict[str, Any] = {}
    if backup.sha256 and site_sha256 != backup.sha256:
        problems["sha256"] = {"backup_record": backup.sha256, "site_manifest": site_sha256}
    if manifest.get("schema") != backup.schema_name:
        problems["schema"] = {"backup_record": backup.schema_name, "site_manifest": manifest.get("schema")}
    recorded_tables = (backup.manifest or {}).get("tables")
    if recorded_tables and manifest.get("tables") != recorded_tables:
        problems["tables"] = archive.compare_checksums(recorded_tables, manifest.get("tables") or {})
    if problems:
        raise ManifestMismatch(details={"step": "verify_manifest", "problems": problems})

    artifact_path = workdir / ARTIFACT_NAME
    store.get_file(backup.artifact_key, artifact_path)
    expected = backup.sha256 or site_sha256
    actual = archive.sha256_file(artifact_path)
    if actual != expected:
        raise ArtifactChecksumMismatch(
            details={"step": "verify_sha256", "expected": expected, "actual": actual, "key": backup.artifact_key}
        )
    return artifact_path, manifest


def _decryption_key_ref(*, backup: Backup, site: BackupSite, manifest: dict[str, Any]) -> str:
    """The key to decrypt with: the artifact is encrypted to every site's key (manifest ``key_refs``); this
    worker uses the first of them it holds, the site's own first. None held → the site's, which fails with
    a clear "key not configured"."""
    candidates = [site.encryption_key_ref, *(manifest.get("key_refs") or []), manifest.get("key_ref")]
    candidates.append(backup.encryption_key_ref)
    held = set(keys.configured_key_refs())
    return next((str(ref) for ref in candidates if ref and ref in held), site.encryption_key_ref)


def decrypt_artifact(*, artifact: Path, key_ref: str, workdir: Path) -> Path:
    """age-decrypt and zstd-decompress the artifact into a pg_dump custom-format file (bcp.archive)."""
    dump = workdir / "dump.pgc"
    archive.decrypt_to(artifact, dump, key_ref=key_ref)
    artifact.unlink()  # at most one copy of the town on the worker's disk besides the database
    return dump
