"""The cabinet on an S3-compatible store: upload, a new version and the audited download through django-storages'
S3 backend against the local S3 server the BCP tests use (moto), with nothing of the file in the database
(docs/domain/groupware.md §8)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from storages.backends.s3 import S3Storage

from common.models import AuditEvent
from groupware import selectors
from groupware.errors import FileTooLarge
from groupware.models import FileVersion
from groupware.services import cabinet
from tests.bcp.conftest import S3_REGION, s3_client
from tests.bcp.conftest import s3_endpoint as s3_endpoint  # the session's local S3 server (fixture)
from tests.conftest import person

pytestmark = pytest.mark.django_db


@pytest.fixture
def bucket(s3_endpoint: str, settings: Any) -> Iterator[str]:
    """The groupware storage alias pointed at a fresh bucket of the local S3 server, as KYODO_GROUPWARE_S3_BUCKET
    would (config/settings/base.py)."""
    name = f"kyodo-gw-{secrets.token_hex(6)}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "groupware": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "location": "groupware",
                "file_overwrite": False,
                "default_acl": None,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": S3_REGION,
            },
        },
    }
    yield name


@pytest.fixture
def clerk(nakatosa: Any, units: dict[str, Any], post: Any, new_person: Any) -> Any:
    someone = new_person("s3_joho", nakatosa="clerk")
    post(someone, units["joho"])
    return someone


def _keys(endpoint: str, bucket: str) -> list[str]:
    listed = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_the_groupware_alias_is_the_s3_backend(bucket: str) -> None:
    assert isinstance(storages["groupware"], S3Storage)


def test_upload_version_and_download_go_through_the_bucket(bucket: str, s3_endpoint: str, clerk: Any) -> None:
    folder = cabinet.create_folder(actor=person("it_admin"), name="S3の手順書", unit_code="T110")
    first = cabinet.upload_file(
        actor=clerk, folder_id=folder.pk, upload=SimpleUploadedFile("手順.txt", "第1版".encode())
    )
    cabinet.upload_file(
        actor=clerk, folder_id=folder.pk, upload=SimpleUploadedFile("手順.txt", "第2版".encode()), file_id=first.file_id
    )
    keys = _keys(s3_endpoint, bucket)
    assert keys == sorted(f"groupware/{v.storage_key}" for v in FileVersion.objects.filter(file_id=first.file_id))
    _item, _row, handle = selectors.open_file(actor=clerk, file_id=first.file_id, version=1)
    with handle:
        assert handle.read().decode() == "第1版"
    _item, _row, latest = selectors.open_file(actor=clerk, file_id=first.file_id)
    with latest:
        assert latest.read().decode() == "第2版"
    assert AuditEvent.objects.filter(action="cabinet.download", object_id=str(first.file_id)).count() == 2


def test_a_refused_upload_leaves_nothing_in_the_bucket(bucket: str, s3_endpoint: str, clerk: Any) -> None:
    folder = cabinet.create_folder(actor=person("it_admin"), name="小さい", unit_code="T110", max_file_bytes=1024)
    with pytest.raises(FileTooLarge):
        cabinet.upload_file(actor=clerk, folder_id=folder.pk, upload=SimpleUploadedFile("big.bin", b"x" * 2048))
    assert _keys(s3_endpoint, bucket) == []
