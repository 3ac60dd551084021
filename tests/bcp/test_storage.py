"""Backup sites: a directory and an S3-compatible store (a real local S3 server, moto), reached the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bcp.errors import BackupError, InvalidSite, ObjectMissing, SiteUnreachable, StorageError
from bcp.models import BackupSite, StorageKind
from bcp.storage import (
    MARKER_KEY,
    FilesystemStorage,
    IdentifiedStorage,
    S3Storage,
    Storage,
    storage_for,
    unchecked_storage_for,
)
from tests.bcp.conftest import make_fs_site, make_s3_site, s3_client, unmount
from tests.support.processes import free_port

pytestmark = pytest.mark.django_db


def exercise(store: Storage, tmp_path: Path) -> None:
    """The operations restores and pruning rely on, the same for every backend."""
    local = tmp_path / "artifact"
    local.write_bytes(b"x" * (3 * 1024 * 1024 + 5))
    seen: list[int] = []
    assert store.put_file(local, "nakatosa/20260401T170000Z/dump.pgc.zst.age", progress=seen.append) == len(
        local.read_bytes()
    )
    assert seen
    assert seen[-1] == local.stat().st_size
    store.put_bytes(b'{"ok": true}', "nakatosa/20260401T170000Z/manifest.json")
    store.put_bytes(b"{}", "shimanto/20260401T170000Z/manifest.json")

    assert store.exists("nakatosa/20260401T170000Z/dump.pgc.zst.age")
    assert not store.exists("nakatosa/20260402T170000Z/dump.pgc.zst.age")
    assert store.size("nakatosa/20260401T170000Z/dump.pgc.zst.age") == local.stat().st_size
    assert store.list("nakatosa") == [
        "nakatosa/20260401T170000Z/dump.pgc.zst.age",
        "nakatosa/20260401T170000Z/manifest.json",
    ]
    assert len(store.list()) == 3
    assert store.get_bytes("nakatosa/20260401T170000Z/manifest.json") == b'{"ok": true}'
    back = tmp_path / "back"
    store.get_file("nakatosa/20260401T170000Z/dump.pgc.zst.age", back)
    assert back.read_bytes() == local.read_bytes()

    store.delete("nakatosa/20260401T170000Z/dump.pgc.zst.age")
    assert not store.exists("nakatosa/20260401T170000Z/dump.pgc.zst.age")
    store.delete("nakatosa/20260401T170000Z/dump.pgc.zst.age")  # deleting twice is harmless
    with pytest.raises(ObjectMissing):
        store.get_bytes("nakatosa/20260401T170000Z/dump.pgc.zst.age")
    with pytest.raises(ObjectMissing):
        store.size("nakatosa/20260401T170000Z/dump.pgc.zst.age")
    with pytest.raises(StorageError):
        store.put_bytes(b"", "../outside")


def test_filesystem_site(fs_site: BackupSite, tmp_path: Path) -> None:
    store = storage_for(fs_site)
    assert isinstance(store, IdentifiedStorage)  # every write checks the site's marker
    assert isinstance(unchecked_storage_for(fs_site), FilesystemStorage)
    exercise(store, tmp_path)
    root = Path(fs_site.location)
    # Only final names: the temporary .part files were renamed, and emptied directories removed.
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert names == [
        MARKER_KEY,
        "nakatosa/20260401T170000Z/manifest.json",
        "shimanto/20260401T170000Z/manifest.json",
    ]


def test_filesystem_site_with_prefix(tmp_path: Path) -> None:
    site = make_fs_site(tmp_path / "disk", prefix="kyodo/backups")
    storage_for(site).put_bytes(b"{}", "public/20260401T170000Z/manifest.json")
    assert (tmp_path / "disk/kyodo/backups/public/20260401T170000Z/manifest.json").is_file()
    assert storage_for(site).list("public") == ["public/20260401T170000Z/manifest.json"]


def test_an_unmounted_filesystem_site_is_unreachable_and_nothing_is_written(tmp_path: Path) -> None:
    site = make_fs_site(tmp_path / "mnt", name="unmounted")
    unmount(site)  # the disk is not mounted: its mount point is gone
    local = tmp_path / "artifact"
    local.write_bytes(b"data")
    with pytest.raises(SiteUnreachable):
        storage_for(site).put_file(local, "nakatosa/x/dump.pgc.zst.age")
    assert not (tmp_path / "mnt").exists()  # never created on the system disk


def test_a_filesystem_site_that_cannot_be_written_is_unreachable(tmp_path: Path) -> None:
    root = tmp_path / "ro"
    site = make_fs_site(root, name="readonly")
    (root / "nakatosa").write_text("a file where a directory should be")  # mkdir fails, even as root
    local = tmp_path / "artifact"
    local.write_bytes(b"data")
    with pytest.raises(SiteUnreachable):
        storage_for(site).put_file(local, "nakatosa/x/dump.pgc.zst.age")
    assert sorted(p.name for p in root.rglob("*")) == [MARKER_KEY, "nakatosa"]


def test_a_relative_path_is_not_a_site() -> None:
    site = BackupSite(name="rel", storage_kind=StorageKind.FILESYSTEM, location="backups", encryption_key_ref="dev")
    with pytest.raises(InvalidSite):
        storage_for(site)


def test_s3_site(s3_site: BackupSite, s3_endpoint: str, tmp_path: Path) -> None:
    store = storage_for(s3_site)
    assert isinstance(store, IdentifiedStorage)
    assert isinstance(unchecked_storage_for(s3_site), S3Storage)
    exercise(store, tmp_path)
    # The site's prefix is applied to every key in the bucket.
    keys = [item["Key"] for item in s3_client(s3_endpoint).list_objects_v2(Bucket=s3_site.location)["Contents"]]
    assert sorted(keys) == [
        f"kyodo/{MARKER_KEY}",
        "kyodo/nakatosa/20260401T170000Z/manifest.json",
        "kyodo/shimanto/20260401T170000Z/manifest.json",
    ]


def test_an_s3_endpoint_that_is_down_is_unreachable(db: Any, tmp_path: Path, s3_bucket: str) -> None:
    site = make_s3_site(
        f"http://127.0.0.1:{free_port()}", s3_bucket, name="down", set_up=False
    )  # nothing listens there
    local = tmp_path / "artifact"
    local.write_bytes(b"data")
    with pytest.raises(SiteUnreachable):
        storage_for(site).put_file(local, "nakatosa/x/dump.pgc.zst.age")
    with pytest.raises(SiteUnreachable):
        storage_for(site).list("nakatosa")


def test_a_missing_bucket_is_unreachable(db: Any, s3_endpoint: str, tmp_path: Path) -> None:
    site = make_s3_site(s3_endpoint, "no-such-bucket-kyodo", name="nobucket", set_up=False)
    local = tmp_path / "artifact"
    local.write_bytes(b"data")
    with pytest.raises(SiteUnreachable):
        storage_for(site).put_file(local, "nakatosa/x/dump.pgc.zst.age")


def test_unknown_credentials_are_a_clear_error(db: Any, s3_endpoint: str, s3_bucket: str) -> None:
    site = make_s3_site(s3_endpoint, s3_bucket, name="nocreds", credentials_ref="nowhere", set_up=False)
    with pytest.raises(BackupError) as caught:
        storage_for(site)
    assert caught.value.code == "bcp_credentials_not_configured"
