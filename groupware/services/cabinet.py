"""ファイル管理 (cabinet): folders with rights by unit and role, files with versions and a size limit per folder,
bytes in django-storages (never in the database), every download audited (docs/domain/groupware.md §8)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from common import audit
from common.dates import local_today
from common.errors import PermissionDenied, ValidationFailed
from common.tenancy import current_schema
from groupware import org, search
from groupware.errors import FileTooLarge
from groupware.models import CabinetFile, FileVersion, Folder
from groupware.selectors import folder_for
from tenants import organisation
from tenants.models import Person, Role


class FolderInvalid(ValidationFailed):
    code = "folder_invalid"
    message = "フォルダの内容に誤りがあります。"


def create_folder(
    *,
    actor: Person,
    name: str,
    unit_code: str = "",
    roles: Sequence[str] = (),
    parent_id: int | None = None,
    max_file_bytes: int = 20 * 1024 * 1024,
) -> Folder:
    """A folder (IT staff): its rights are a unit (and below) and/or a set of roles."""
    town = org.current_town()
    if Role.IT_ADMIN not in org.roles_of(actor, town):
        raise PermissionDenied("フォルダを作成できるのは情報システム担当だけです。", code="not_it_admin")
    name = name.strip()
    if not name or len(name) > 100:
        raise FolderInvalid("フォルダ名を100文字以内で入力してください。", details={"field": "name"})
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise FolderInvalid(f"役割が正しくありません: {', '.join(sorted(unknown))}", details={"field": "roles"})
    unit_name = ""
    if unit_code:
        unit = organisation.unit_by_code(town, unit_code, local_today())
        if unit is None:
            raise FolderInvalid("組織が見つかりません。", code="unit_unknown", details={"field": "unit_code"})
        unit_name = unit.name
    if not 1024 <= max_file_bytes <= 1024 * 1024 * 1024:
        raise FolderInvalid("1ファイルの上限は1KBから1GBの間にしてください。", details={"field": "max_file_bytes"})
    parent = Folder.objects.filter(pk=parent_id).first() if parent_id else None
    with transaction.atomic():
        folder = Folder.objects.create(
            name=name, parent=parent, unit_code=unit_code, unit_name=unit_name, roles=sorted(set(roles)),
            max_file_bytes=max_file_bytes,
        )  # fmt: skip
        audit.record(actor=actor, action="cabinet.folder_create", obj=folder, details={"unit": unit_code})
    return folder


def upload_file(
    *, actor: Person, folder_id: int, upload: UploadedFile, description: str = "", file_id: int | None = None
) -> FileVersion:
    """A new file, or (``file_id``) a new version of one; refused above the folder's size limit."""
    folder = folder_for(actor=actor, folder_id=folder_id)
    if folder is None:
        raise PermissionDenied("このフォルダにはアクセスできません。", code="folder_not_allowed", status_code=404)
    size = upload.size or 0
    if size > folder.max_file_bytes:
        raise FileTooLarge(
            f"「{upload.name}」は大きすぎます(このフォルダは1ファイル{folder.max_file_bytes // (1024 * 1024)}MBまで)。",
            details={"file": upload.name, "limit": folder.max_file_bytes},
        )
    storage = storages["groupware"]
    key = ""
    try:
        with transaction.atomic():
            if file_id is None:
                item = CabinetFile.objects.create(
                    folder=folder, name=(upload.name or "file")[:200], description=description[:500],
                    created_by_id=actor.pk, created_by_name=actor.full_name,
                    search_grams=search.grams(upload.name or "", description),
                )  # fmt: skip
                version = 1
            else:
                found = CabinetFile.objects.select_for_update().filter(pk=file_id, folder=folder).first()
                if found is None:
                    raise FolderInvalid("ファイルが見つかりません。", code="file_not_found", status_code=404)
                item = found
                version = item.current_version + 1
                item.current_version = version
                item.updated_at = timezone.now()
                if description:
                    item.description = description[:500]
                item.search_grams = search.grams(item.name, item.description)
                item.save(update_fields=["current_version", "updated_at", "description", "search_grams"])
            key = storage.save(f"{current_schema()}/cabinet/{folder.pk}/{uuid.uuid4().hex}", upload)
            row = FileVersion.objects.create(
                file=item, version=version, storage_key=key, size=size,
                uploaded_by_id=actor.pk, uploaded_by_name=actor.full_name,
            )  # fmt: skip
            audit.record(actor=actor, action="cabinet.upload", obj=item, details={"version": version, "size": size})
    except Exception:
        if key:
            storage.delete(key)
        raise
    return row


AUDIT_LABELS = {
    "cabinet.folder_create": "ファイル管理: フォルダの作成",
    "cabinet.upload": "ファイル管理: ファイルの登録",
    "cabinet.download": "ファイル管理: ファイルのダウンロード",
}
