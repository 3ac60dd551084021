"""ファイル管理 (rights, versions, size limit, audited downloads, storage outside the database) and the search
(Japanese n-grams, only what the searcher may see)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from common.errors import PermissionDenied
from common.models import AuditEvent
from groupware import selectors
from groupware.errors import FileTooLarge
from groupware.models import CabinetFile
from groupware.services import bulletin, cabinet
from tests.conftest import person


@pytest.fixture
def staff(nakatosa: Any, units: dict[str, Any], post: Any, new_person: Any) -> dict[str, Any]:
    people = {"joho": new_person("cb_joho", nakatosa="clerk"), "jumin": new_person("cb_jumin", nakatosa="clerk")}
    post(people["joho"], units["joho"])
    post(people["jumin"], units["jumin"])
    return people


def test_a_unit_folder_is_for_its_people_and_versions_keep_every_upload(staff: dict[str, Any]) -> None:
    folder = cabinet.create_folder(actor=person("it_admin"), name="情報係の手順書", unit_code="T110")
    assert selectors.folder_for(actor=staff["jumin"], folder_id=folder.pk) is None
    first = cabinet.upload_file(
        actor=staff["joho"],
        folder_id=folder.pk,
        upload=SimpleUploadedFile("手順書.txt", b"v1"),
        description="バックアップ手順",
    )
    second = cabinet.upload_file(
        actor=staff["joho"], folder_id=folder.pk, upload=SimpleUploadedFile("手順書.txt", b"v2"), file_id=first.file_id
    )
    assert (first.version, second.version) == (1, 2)
    assert storages["groupware"].exists(first.storage_key)
    _item, _row, handle = selectors.open_file(actor=staff["joho"], file_id=first.file_id, version=1)
    with handle:
        assert handle.read() == b"v1"
    assert AuditEvent.objects.filter(action="cabinet.download", actor_id=staff["joho"].pk).exists()
    with pytest.raises(PermissionDenied):
        cabinet.upload_file(actor=staff["jumin"], folder_id=folder.pk, upload=SimpleUploadedFile("x.txt", b"x"))


def test_a_file_over_the_folder_s_limit_is_refused_and_nothing_is_written(staff: dict[str, Any]) -> None:
    folder = cabinet.create_folder(actor=person("it_admin"), name="小さいフォルダ", max_file_bytes=1024)
    with pytest.raises(FileTooLarge) as excinfo:
        cabinet.upload_file(actor=staff["joho"], folder_id=folder.pk, upload=SimpleUploadedFile("big.bin", b"x" * 2048))
    assert excinfo.value.code == "file_too_large"
    assert not CabinetFile.objects.filter(folder=folder).exists()


def test_a_folder_limited_to_a_role(staff: dict[str, Any]) -> None:
    folder = cabinet.create_folder(actor=person("it_admin"), name="監査資料", roles=["auditor"])
    assert selectors.folder_for(actor=staff["joho"], folder_id=folder.pk) is None
    assert selectors.folder_for(actor=person("auditor"), folder_id=folder.pk) == folder


def test_search_finds_japanese_words_only_where_the_searcher_may_look(staff: dict[str, Any]) -> None:
    bulletin.post_notice(actor=staff["joho"], title="ネットワーク更新のお知らせ", body="庁内LANを更新します。")
    folder = cabinet.create_folder(actor=person("it_admin"), name="情報係", unit_code="T110")
    cabinet.upload_file(
        actor=staff["joho"], folder_id=folder.pk, upload=SimpleUploadedFile("ネットワーク構成図.pdf", b"%PDF")
    )
    mine = {hit.kind for hit in selectors.search_all(actor=staff["joho"], term="ねっとわーく")}
    theirs = {hit.kind for hit in selectors.search_all(actor=staff["jumin"], term="ネットワーク")}
    assert mine == {"お知らせ", "ファイル"}
    assert theirs == {"お知らせ"}
    assert [h.title for h in selectors.search_all(actor=staff["joho"], term="庁")] == ["ネットワーク更新のお知らせ"]
    assert selectors.search_all(actor=staff["joho"], term="存在しない言葉") == []
