"""Shared fixtures of the BCP tests: a local S3 server (moto), a filesystem site, an S3 site, a staging dir.

The test key ``dev`` and the S3 credentials ``moto`` come from config/settings/test.py (test-only values), so
out-of-process workers started by the integration tests use the same ones.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from bcp.models import BackupSite, SiteRole, StorageKind
from bcp.sites import set_up_site
from bcp.storage import MARKER_KEY
from tests.support.processes import free_port

TEST_KEY_REF = "dev"
S3_CREDENTIALS_REF = "moto"
S3_REGION = "us-east-1"


@pytest.fixture(autouse=True)
def _backup_staging_dir(settings: Any, tmp_path: Path) -> Path:
    """Each test assembles its artifacts in its own staging directory."""
    path = tmp_path / "staging"
    settings.KYODO_BACKUP_STAGING_DIR = str(path)
    return path


@pytest.fixture
def backup_key_ref() -> str:
    return TEST_KEY_REF


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free port of this machine, for the whole session (one per xdist worker)."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    """A fresh bucket (names are unique, so tests never see each other's objects)."""
    name = f"kyodo-test-{secrets.token_hex(6)}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    return name


def make_fs_site(root: Path, name: str = "inland", *, set_up: bool = True, **fields: Any) -> BackupSite:
    root.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "label": "内陸サイト(テスト)",
        "role": SiteRole.INLAND,
        "storage_kind": StorageKind.FILESYSTEM,
        "location": str(root),
        "encryption_key_ref": TEST_KEY_REF,
        **fields,
    }
    # Set up as IT staff would: the site's marker is written, so the site can prove it is the site.
    site = BackupSite.objects.create(name=name, **values)
    return set_up_site(actor=None, site=site) if set_up else site


def make_s3_site(endpoint: str, bucket: str, name: str = "remote", *, set_up: bool = True, **fields: Any) -> BackupSite:
    values: dict[str, Any] = {
        "label": "遠隔地サイト(テスト)",
        "role": SiteRole.REMOTE,
        "storage_kind": StorageKind.S3,
        "location": bucket,
        "s3_endpoint_url": endpoint,
        "s3_region": S3_REGION,
        "prefix": "kyodo",
        "credentials_ref": S3_CREDENTIALS_REF,
        "encryption_key_ref": TEST_KEY_REF,
        **fields,
    }
    site = BackupSite.objects.create(name=name, **values)
    return set_up_site(actor=None, site=site) if set_up else site


@pytest.fixture
def fs_site(db: Any, tmp_path: Path) -> BackupSite:
    return make_fs_site(tmp_path / "inland-site")


@pytest.fixture
def s3_site(db: Any, s3_endpoint: str, s3_bucket: str) -> BackupSite:
    return make_s3_site(s3_endpoint, s3_bucket)


def unmount(site: BackupSite) -> bytes:
    """A filesystem site's disk goes away, mount point and all (its marker was on the disk); returns the marker."""
    root = Path(site.location)
    marker = (root / MARKER_KEY).read_bytes()
    (root / MARKER_KEY).unlink()
    root.rmdir()
    return marker


def mount_again(site: BackupSite, marker: bytes) -> None:
    root = Path(site.location)
    root.mkdir()
    (root / MARKER_KEY).write_bytes(marker)
