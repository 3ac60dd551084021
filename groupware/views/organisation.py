"""The groupware's pages: organisation pages, 人事異動 CSV, cabinet and search.
Thin: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from common.dates import local_today
from common.errors import ApplicationError
from groupware import org, selectors
from groupware.forms import (
    FolderForm,
    TransferForm,
    UploadForm,
)
from groupware.services import cabinet, personnel
from groupware.views._base import _day, _page, _refused
from tenants import organisation
from tenants.access import person_of
from tenants.models import Role

# --- organisation -------------------------------------------------------------------------------------------


@require_GET
def organisation_view(request: HttpRequest) -> HttpResponse:
    town = org.current_town()
    day = _day(request)
    units = organisation.units_on(town, day)
    members: dict[int, list[Any]] = {unit.pk: [] for unit in units}
    for posting in organisation.postings_on(day, municipality=town).order_by("-is_manager", "person__full_name_kana"):
        members.setdefault(posting.unit_id, []).append(posting)
    depth: dict[int, int] = {}
    for unit in units:
        depth[unit.pk] = depth.get(unit.parent_id, -1) + 1 if unit.parent_id else 0
    ordered = _tree_order(units)
    return _page(
        request,
        "groupware/organisation.html",
        "organisation",
        day=day,
        rows=[(unit, depth.get(unit.pk, 0), members.get(unit.pk, [])) for unit in ordered],
    )


def _tree_order(units: list[Any]) -> list[Any]:
    children: dict[int | None, list[Any]] = {}
    known = {unit.pk for unit in units}
    for unit in sorted(units, key=lambda u: (u.sort_order, u.code)):
        children.setdefault(unit.parent_id if unit.parent_id in known else None, []).append(unit)
    ordered: list[Any] = []

    def walk(parent: int | None) -> None:
        for unit in children.get(parent, []):
            ordered.append(unit)
            walk(unit.pk)

    walk(None)
    return ordered


@require_http_methods(["GET", "POST"])
def transfers_view(request: HttpRequest) -> HttpResponse:
    """人事異動: upload the CSV → preview (nothing written) → apply in one step."""
    import base64
    import binascii

    actor = person_of(request)
    form = TransferForm(request.POST or None, request.FILES or None)
    preview = None
    payload = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "apply":
                try:
                    content = base64.b64decode(data["payload"] or "", validate=True)
                except binascii.Error as exc:
                    raise personnel.TransferFileInvalid() from exc
                plan = personnel.apply_transfer_file(actor=actor, effective_on=data["effective_on"], data=content)
                messages.success(request, f"人事異動({len(plan.lines)}件)を{data['effective_on']}付で適用しました。")
                return redirect(f"{reverse('groupware:organisation')}?date={data['effective_on'].isoformat()}")
            upload = data["file"]
            if upload is None:
                raise personnel.TransferFileInvalid("CSVファイルを選んでください。")
            if upload.size > personnel.MAX_BYTES:
                raise personnel.TransferFileInvalid("ファイルが大きすぎます(2MBまで)。", code="file_too_large")
            content = upload.read()
            preview = personnel.preview_transfers(actor=actor, effective_on=data["effective_on"], data=content)
            payload = base64.b64encode(content).decode()
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    return _page(request, "groupware/transfers.html", "organisation", form=form, preview=preview, payload=payload)


# --- cabinet ------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def cabinet_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    town = org.current_town()
    form = FolderForm(
        request.POST or None,
        units=[(u.code, u.name) for u in organisation.units_on(town, local_today())],
        roles=[(value, str(label)) for value, label in Role.choices],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cabinet.create_folder(
                actor=actor,
                name=data["name"],
                unit_code=data["unit_code"] or "",
                roles=data["roles"],
                max_file_bytes=data["max_mb"] * 1024 * 1024,
            )
        except ApplicationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "フォルダを作成しました。")
            return redirect("groupware:cabinet")
    return _page(request, "groupware/cabinet.html", "cabinet", folders=selectors.folders_for(actor=actor), form=form)


@require_http_methods(["GET", "POST"])
def folder_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = person_of(request)
    folder = selectors.folder_for(actor=actor, folder_id=pk)
    if folder is None:
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        replaces = request.POST.get("file_id", "")
        try:
            cabinet.upload_file(
                actor=actor,
                folder_id=folder.pk,
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
                file_id=int(replaces) if replaces.isdigit() else None,
            )
        except ApplicationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "ファイルを登録しました。")
            return redirect("groupware:folder", pk=folder.pk)
    return _page(
        request, "groupware/folder.html", "cabinet", folder=folder, files=selectors.files_in(folder=folder), form=form
    )


@require_GET
def file_view(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.file_for(actor=person_of(request), file_id=pk)
    if item is None:
        raise Http404
    return _page(
        request, "groupware/file.html", "cabinet", item=item, versions=list(item.versions.all()), form=UploadForm()
    )


@require_GET
def file_download_view(request: HttpRequest, pk: int) -> FileResponse:
    version = request.GET.get("version", "")
    try:
        item, _row, handle = selectors.open_file(
            actor=person_of(request), file_id=pk, version=int(version) if version.isdigit() else None
        )
    except ApplicationError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=item.name)


# --- search -------------------------------------------------------------------------------------------------


@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    term = request.GET.get("q", "").strip()[:100]
    hits = selectors.search_all(actor=person_of(request), term=term) if term else []
    return _page(request, "groupware/search.html", "search", term=term, hits=hits)
