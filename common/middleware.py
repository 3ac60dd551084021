"""Request context (request id, client IP, terminal) for audit rows and logs."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from common import context
from common.health import database_state, service_unavailable_for

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    # Behind nginx the last KYODO_PROXY_COUNT hops are trusted proxies (deploy/nginx/kyodo.conf).
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        ctx = context.RequestContext(
            request_id=request_id,
            client_ip=client_ip(request),
            terminal=request.META.get("HTTP_X_KYODO_TERMINAL", "")[:100],
            channel="api" if request.path.startswith("/api/") else "web",
        )
        request.request_id = request_id  # type: ignore[attr-defined]
        token = context.activate(ctx)
        try:
            response = self.get_response(request)
        finally:
            context.deactivate(token)
        response["X-Request-ID"] = request_id
        return response


class ReadinessMiddleware:
    """``/readyz`` for a load balancer: 200 when this web process can reach the database, 503 when it cannot.

    Answered here, before the tenant middleware (which needs the database to find the town of the Host header), for
    any host. Redis is not part of readiness: without it requests still work (common.health)."""

    PATH = "/readyz"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != self.PATH:
            return self.get_response(request)
        database = database_state()
        ready = database == "ok"
        response = JsonResponse(
            {"status": "ready" if ready else "unavailable", "database": database}, status=200 if ready else 503
        )
        response["Cache-Control"] = "no-store"
        return response


class DependencyOutageMiddleware:
    """A view that needs Redis or the broker while it is away answers 503 — JSON in the API's error format under
    /api/, a Japanese page elsewhere — instead of a 500 with a traceback (common.health)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        unavailable = service_unavailable_for(exception)
        if unavailable is None:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(unavailable.as_dict(), status=503, json_dumps_params={"ensure_ascii": False})
        page = render_to_string("service_unavailable.html", {"message": unavailable.message}, request=request)
        return HttpResponse(page, status=503)
