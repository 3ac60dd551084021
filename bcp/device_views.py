"""The ingestion endpoint of the river cameras (docs/domain/disaster-hq.md §5).

A device is no member: it holds a device token (``Authorization: Device kcam_…``) that only it knows and whose
digest the camera row keeps. The route is therefore public for the access pipeline (tests/test_isolation.py lists
it) and answers in the API's error format: ``{"code", "message", "details"}``. Every refusal writes nothing.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bcp import cameras
from common.errors import ApplicationError
from tenants.models import Municipality


def _error(exc: ApplicationError) -> JsonResponse:
    body = {"code": exc.code, "message": exc.message, "details": exc.details}
    return JsonResponse(body, status=exc.status_code, json_dumps_params={"ensure_ascii": False})


def _level(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise cameras.ReadingInvalid(details={"level_cm": raw}) from exc


def _observed(raw: str | None) -> datetime | None:
    if not raw:
        return None
    value = parse_datetime(raw)
    if value is None or value.tzinfo is None:
        raise cameras.ReadingInvalid(details={"observed_at": raw})
    return value


@csrf_exempt
@login_not_required
@require_POST
def camera_reading_view(request: HttpRequest) -> JsonResponse:
    tenant = getattr(request, "tenant", None)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        if not isinstance(tenant, Municipality) or scheme != "Device":
            raise cameras.DeviceAuthFailed()
        done = cameras.ingest_reading(
            token=token.strip(),
            host=tenant,
            level_cm=_level(request.POST.get("level_cm")),
            image=request.FILES.get("image"),
            observed_at=_observed(request.POST.get("observed_at")),
        )
    except ApplicationError as exc:
        return _error(exc)
    reading = done.reading
    return JsonResponse(
        {"id": reading.pk, "state": reading.state, "alert": done.alert.state if done.alert else None}, status=201
    )
