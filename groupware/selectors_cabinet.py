"""Reads of the groupware's cabinet: the folders a person may use, their files, audited downloads."""

from __future__ import annotations

from datetime import time

from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Q

from common import audit
from common.dates import local_today
from groupware import org
from groupware.errors import RequestNotFound
from groupware.models import (
    CabinetFile,
    FileVersion,
    Folder,
)
from groupware.people import roles_here
from tenants.models import Person

BUSY_LABEL = "予定あり"
WORK_START = time(8, 30)
WORK_END = time(17, 15)


def _folder_rule(actor: Person) -> Q:
    town = org.current_town()
    codes = org.unit_codes_of(actor, town, local_today())
    return Q(unit_code="") | Q(unit_code__in=codes)


def folders_for(*, actor: Person) -> list[Folder]:
    """The folders the actor may use: of their units (or the whole town), open to one of their roles."""
    roles = roles_here(actor, org.current_town())
    return [
        folder
        for folder in Folder.objects.filter(_folder_rule(actor)).order_by("name")
        if not folder.roles or roles & set(folder.roles)
    ]


def folder_for(*, actor: Person, folder_id: int) -> Folder | None:
    return next((f for f in folders_for(actor=actor) if f.pk == folder_id), None)


def files_in(*, folder: Folder) -> list[CabinetFile]:
    return list(folder.files.order_by("name"))


def file_for(*, actor: Person, file_id: int) -> CabinetFile | None:
    item = CabinetFile.objects.filter(pk=file_id).select_related("folder").first()
    if item is None or folder_for(actor=actor, folder_id=item.folder_id) is None:
        return None
    return item


def open_file(*, actor: Person, file_id: int, version: int | None = None) -> tuple[CabinetFile, FileVersion, File]:
    """A cabinet file (its latest version unless one is named), for those who may use its folder; audited."""
    item = file_for(actor=actor, file_id=file_id)
    row = item.versions.filter(version=version or item.current_version).first() if item is not None else None
    if item is None or row is None:
        raise RequestNotFound("ファイルが見つかりません。")
    with transaction.atomic():
        audit.record(
            actor=actor, action="cabinet.download", obj=item, details={"version": row.version, "size": row.size}
        )
    return item, row, storages["groupware"].open(row.storage_key, "rb")
