"""REST plumbing shared by every module: one error format, pagination, throttles, CSV streaming."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, StreamingHttpResponse
from rest_framework import exceptions, negotiation, pagination, throttling
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from common.csv_export import SafeCSVWriter
from common.errors import ApplicationError
from common.health import DEPENDENCY_ERRORS, note_degraded, service_unavailable_for

_DRF_MESSAGES: dict[type[Exception], tuple[str, str]] = {
    exceptions.NotAuthenticated: ("not_authenticated", "認証が必要です。"),
    exceptions.AuthenticationFailed: ("authentication_failed", "認証に失敗しました。"),
    exceptions.PermissionDenied: ("permission_denied", "この操作を行う権限がありません。"),
    exceptions.NotFound: ("not_found", "対象が見つかりません。"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "このメソッドは使用できません。"),
    exceptions.NotAcceptable: ("not_acceptable", "要求された形式では応答できません。"),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "このデータ形式には対応していません。"),
    exceptions.ParseError: ("parse_error", "リクエストの内容を解釈できません。"),
    exceptions.Throttled: ("throttled", "リクエストが多すぎます。しばらくしてから再度お試しください。"),
    exceptions.ValidationError: ("validation_error", "入力内容に誤りがあります。"),
}


_SPECIFIC_CODES = {"otp_required", "invalid_token"}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error has the shape {"code", "message", "details"} and a stable code."""
    # Imported here: rest_framework.views reads these settings at import time, which would import this
    # module again while it is still half-initialised.
    from rest_framework.views import exception_handler as drf_exception_handler

    unavailable = service_unavailable_for(exc)
    if unavailable is not None:
        # Redis or the broker is away: a 503 in the error format, never a 500 with a traceback (common.health).
        exc = unavailable
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    return _with_error_shape(response, exc)


def _with_error_shape(response: Response, api_exc: exceptions.APIException) -> Response:
    code, message = "error", "エラーが発生しました。"
    for klass, (known_code, known_message) in _DRF_MESSAGES.items():
        if isinstance(api_exc, klass):
            code, message = known_code, known_message
            break
    details: Any = {}
    if isinstance(api_exc, exceptions.ValidationError):
        details = api_exc.detail
    elif isinstance(api_exc, exceptions.Throttled):
        details = {"wait_seconds": getattr(api_exc, "wait", None)}  # set by DRF; missing from the stubs
    else:
        # Authentication raised with a specific code (otp_required, invalid_token) keeps it.
        if api_exc.get_codes() in _SPECIFIC_CODES:
            code = str(api_exc.get_codes())
        if isinstance(api_exc.detail, str) and api_exc.detail != str(type(api_exc).default_detail):
            message = str(api_exc.detail)
    response.data = {"code": code, "message": message, "details": details}
    return response


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    """DRF's, except that an unknown ``?format=`` is 406 Not Acceptable (DRF answers 404, as if the resource
    did not exist)."""

    def filter_renderers(self, renderers: Iterable[BaseRenderer], format: str) -> list[BaseRenderer]:
        try:
            return super().filter_renderers(renderers, format)
        except Http404 as exc:
            raise exceptions.NotAcceptable() from exc


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class _TenantKeyMixin:
    """Throttle buckets per town: the same person in two towns has two separate budgets.

    The counters live in the cache (Redis). Without it, throttling fails open: the request is served, and the
    outage is logged and counted (common.health) — refusing every API call would turn a cache outage into a
    platform outage."""

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return bool(super().allow_request(request, view))  # type: ignore[misc]
        except DEPENDENCY_ERRORS as exc:
            note_degraded("cache.throttle_skipped", exc)
            return True

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key = super().get_cache_key(request, view)  # type: ignore[misc]
        if key is None:
            return None
        tenant = getattr(request._request, "tenant", None)
        return f"{getattr(tenant, 'schema_name', 'public')}:{key}"


class TenantUserRateThrottle(_TenantKeyMixin, throttling.UserRateThrottle):
    pass


class TenantAnonRateThrottle(_TenantKeyMixin, throttling.AnonRateThrottle):
    pass


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream_csv(
    filename: str, header: list[str], rows: Iterable[Any], to_row: Callable[[Any], list[Any]]
) -> StreamingHttpResponse:
    """Stream a CSV (UTF-8 with BOM so that Excel opens Japanese text correctly) row by row, every cell
    neutralised against formula injection (common.csv_export)."""
    writer = SafeCSVWriter(_Echo())

    def generate() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow(to_row(row))

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class CSVStreamRenderer(JSONRenderer):
    """Lets DRF accept ?format=csv / Accept: text/csv; the view itself streams the CSV body."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        # Only errors reach this renderer (the view streams its CSV itself): label them as the JSON they are.
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return super().render(data, "application/json", renderer_context)
