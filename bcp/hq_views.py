"""Pages of the disaster HQ (災害対策本部) and the river cameras, module "hq" (docs/domain/disaster-hq.md §2).

Every HQ is visible on every host of the council to members holding 事務職員, 情報システム担当 or 監査担当; the
services decide who may write (the stricken town's or the council's clerks and IT staff). Cameras and shelters
are listed per host: all on the council host, the town's own on a town host.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from bcp import cameras, hq, hq_selectors, hq_summary
from bcp.hq_chart import level_chart
from bcp.hq_models import DamageReport, HqTask, RiverCamera, Shelter, StaffNotification
from common.errors import ApplicationError
from common.rest import stream_csv
from tenants.access import person_of
from tenants.models import Municipality


def _tenant(request: HttpRequest) -> Municipality:
    tenant = getattr(request, "tenant", None)
    if not isinstance(tenant, Municipality):
        raise Http404
    return tenant


def _page(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    return render(request, template, context)


@require_GET
def index_view(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    notifications = StaffNotification.objects.filter(person=person_of(request), read_at__isnull=True)[:20]
    return _page(
        request,
        "bcp/hq/index.html",
        disasters=list(hq_selectors.disasters()[:50]),
        alerts=list(hq_selectors.open_alerts(tenant)[:50]),
        notifications=list(notifications),
    )


def _disaster(pk: int) -> Any:
    return get_object_or_404(hq_selectors.disasters(), pk=pk)


@require_GET
def board_view(request: HttpRequest, pk: int) -> HttpResponse:
    disaster = _disaster(pk)
    tenant = _tenant(request)
    can_write = disaster.is_active and hq.may_write(actor=person_of(request), host=tenant, owner=disaster.municipality)
    return _page(request, "bcp/hq/board.html", board=hq_selectors.board(disaster), can_write=can_write)


def _done(request: HttpRequest, pk: int, success: str) -> HttpResponse:
    messages.success(request, success)
    return redirect("hq:board", pk=pk)


@require_POST
def task_done_view(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    task = get_object_or_404(HqTask, pk=task_pk, disaster_id=pk)
    try:
        hq.complete_task(actor=person_of(request), host=_tenant(request), task=task)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("hq:board", pk=pk)
    return _done(request, pk, f"「{task.title}」を完了にしました。")


@require_POST
def entry_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        hq.add_entry(
            actor=person_of(request), host=_tenant(request), disaster=_disaster(pk), text=request.POST.get("text", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("hq:board", pk=pk)
    return _done(request, pk, "経過を記録しました。")


def _decimal(value: str | None) -> Decimal | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise hq.LocationInvalid() from exc


@require_POST
def damage_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        hq.report_damage(
            actor=person_of(request),
            host=_tenant(request),
            disaster=_disaster(pk),
            title=request.POST.get("title", ""),
            location=request.POST.get("location", ""),
            description=request.POST.get("description", ""),
            latitude=_decimal(request.POST.get("latitude")),
            longitude=_decimal(request.POST.get("longitude")),
            photo=request.FILES.get("photo"),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("hq:board", pk=pk)
    return _done(request, pk, "被害報告を登録しました。")


@require_GET
def damage_photo_view(request: HttpRequest, pk: int) -> FileResponse:
    report = get_object_or_404(DamageReport.objects.exclude(photo=""), pk=pk)
    return FileResponse(default_storage.open(report.photo.name), content_type=f"image/{report.photo_type}")


@require_POST
def shelter_view(request: HttpRequest, pk: int) -> HttpResponse:
    shelter = get_object_or_404(Shelter, pk=pk)
    back = request.POST.get("disaster", "")
    try:
        occupancy = int(request.POST.get("occupancy", ""))
    except ValueError:
        occupancy = -1
    try:
        hq.update_shelter(
            actor=person_of(request),
            host=_tenant(request),
            shelter=shelter,
            occupancy=occupancy,
            is_open=request.POST.get("is_open") == "1",
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"避難所「{shelter.name}」の状況を更新しました。")
    return redirect("hq:board", pk=int(back)) if back.isdigit() else redirect("hq:index")


@require_GET
def summary_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    board = hq_selectors.board(_disaster(pk))
    response = HttpResponse(hq_summary.pdf(board), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="hq-summary-{pk}.pdf"'
    return response


@require_GET
def summary_csv_view(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    board = hq_selectors.board(_disaster(pk))
    return stream_csv(f"hq-summary-{pk}.csv", hq_summary.CSV_HEADER, hq_summary.csv_rows(board), lambda row: row)


# --- Cameras -------------------------------------------------------------------------------------------------


def _camera(request: HttpRequest, pk: int) -> RiverCamera:
    return get_object_or_404(hq_selectors.cameras_for(_tenant(request)), pk=pk)


@require_GET
def cameras_view(request: HttpRequest) -> HttpResponse:
    return _page(request, "bcp/hq/cameras.html", cameras=list(hq_selectors.cameras_for(_tenant(request))))


@require_GET
def camera_view(request: HttpRequest, pk: int) -> HttpResponse:
    camera = _camera(request, pk)
    return _page(
        request,
        "bcp/hq/camera.html",
        camera=camera,
        latest=hq_selectors.latest_image(camera),
        alerts=list(camera.alerts.order_by("-raised_at")[:20]),
    )


@require_GET
def camera_chart_view(request: HttpRequest, pk: int) -> HttpResponse:
    camera = _camera(request, pk)
    return HttpResponse(level_chart(camera, hq_selectors.levels(camera)), content_type="image/svg+xml")


@require_GET
def camera_image_view(request: HttpRequest, pk: int) -> FileResponse:
    latest = hq_selectors.latest_image(_camera(request, pk))
    if latest is None:
        raise Http404
    return FileResponse(default_storage.open(latest.image.name), content_type=f"image/{latest.image_type}")


@require_POST
def camera_token_view(request: HttpRequest, pk: int) -> HttpResponse:
    camera = _camera(request, pk)
    try:
        token = cameras.rotate_token(actor=person_of(request), host=_tenant(request), camera=camera)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("hq:camera", pk=pk)
    return _page(request, "bcp/hq/camera_token.html", camera=camera, token=token)


@require_POST
def camera_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    camera = _camera(request, pk)
    try:
        cameras.set_publication(
            actor=person_of(request), host=_tenant(request), camera=camera, publish=request.POST.get("publish") == "1"
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "公開設定を変更しました。")
    return redirect("hq:camera", pk=pk)


@require_POST
def alert_ack_view(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(hq_selectors.open_alerts(_tenant(request)), pk=pk)
    try:
        cameras.acknowledge_alert(actor=person_of(request), host=_tenant(request), alert=alert)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "警報を確認済みにしました。")
    return redirect("hq:index")
