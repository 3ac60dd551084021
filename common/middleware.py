"""Request-wide plumbing: the request context of audit rows and logs (request id, client IP, terminal), the
session's idle clock, no caching of what a signed-in person sees, and the API's error format
(docs/security.md)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from rest_framework.response import Response

from common import context
from common.errors import InvalidRequestHeader
from common.health import database_state, service_unavailable_for
from common.text import unprintable_reason

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


TERMINAL_MAX_LENGTH = 100  # AuditEvent.terminal


def terminal_name(request: HttpRequest) -> str:
    """The X-Kyodo-Terminal header (the counter terminal's name, recorded in every audit row).

    HTTP headers arrive as ISO-8859-1 in WSGI; a terminal may send its name as UTF-8 (e.g. 窓口1), so the bytes
    are read back as UTF-8. Anything that is not printable text of at most 100 characters is refused rather than
    cut or passed on into audit rows and their CSV exports (docs/security.md "Text from requests").
    """
    raw = request.META.get("HTTP_X_KYODO_TERMINAL", "")
    try:
        name = raw.encode("latin-1").decode("utf-8")
    except UnicodeError as exc:
        raise InvalidRequestHeader("端末名 (X-Kyodo-Terminal) は UTF-8 の文字列で送ってください。") from exc
    if reason := unprintable_reason(name, max_length=TERMINAL_MAX_LENGTH):
        raise InvalidRequestHeader("端末名 (X-Kyodo-Terminal) " + reason)
    return name.strip()


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        try:
            terminal = terminal_name(request)
        except InvalidRequestHeader as exc:
            response: HttpResponse = JsonResponse(
                exc.as_dict(), status=exc.status_code, json_dumps_params={"ensure_ascii": False}
            )
            response["X-Request-ID"] = request_id
            return response
        ctx = context.RequestContext(
            request_id=request_id,
            client_ip=client_ip(request),
            terminal=terminal,
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


# --- Idle timeout: background polls are not activity ----------------------------------------------------------


def passive(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view that pages poll in the background (the BCP progress bar): it does not count as activity, so a
    dashboard left open still reaches the idle timeout (KYODO_IDLE_TIMEOUT_MINUTES; docs/security.md)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.kyodo_passive = True  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


# The session records when it was last active, and is written back when that stamp is this old (or when the view
# changed it): a plain page view reads the session without writing it, and the idle window still slides to within
# one stamp interval of the last request (a session ends between IDLE - interval and IDLE after it).
SESSION_ACTIVE_AT_KEY = "_kyodo_active_at"


def session_stamp_seconds() -> int:
    return max(1, min(60, settings.SESSION_COOKIE_AGE // 30))


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, with the idle window slid by a stamp instead of a write on every request
    (``SESSION_SAVE_EVERY_REQUEST`` is off), and never slid by a ``passive`` view: a poll every 2 s would keep an
    abandoned session alive forever. After a passive view the session is saved only if the view changed it."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and not getattr(request, "kyodo_passive", False):
            self._stamp_activity(session)
        return super().process_response(request, response)

    @staticmethod
    def _stamp_activity(session: Any) -> None:
        # Only a session this request used and that holds something (a signed-in person, a login in progress).
        if not session.accessed or session.is_empty():
            return
        now = int(time.time())
        stamped = session.get(SESSION_ACTIVE_AT_KEY)
        if session.modified or not isinstance(stamped, int) or now - stamped >= session_stamp_seconds():
            session[SESSION_ACTIVE_AT_KEY] = now  # marks it modified: Django saves it, the expiry slides


# --- Caching: nothing a signed-in person sees is stored by browsers or proxies -------------------------------


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every API response and on every page served to a signed-in person, unless
    the view chose its own caching (the town stylesheet). Personal data must not stay in a shared terminal's
    browser cache or in a proxy (docs/security.md "Caching")."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            patch_cache_control(response, no_store=True, private=True)
        return response


# --- The API answers in its own error format, whatever produced the error -------------------------------------

_API_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "リクエストの内容を解釈できません。"),
    401: ("not_authenticated", "認証が必要です。"),
    403: ("permission_denied", "この操作を行う権限がありません。"),
    404: ("not_found", "対象が見つかりません。"),
    405: ("method_not_allowed", "このメソッドは使用できません。"),
    413: ("request_too_large", "リクエストが大きすぎます。"),
    500: ("server_error", "サーバーでエラーが発生しました。時間をおいて再度お試しください。"),
}


class ApiErrorFormatMiddleware:
    """Every error under /api/ is ``{"code", "message", "details"}`` (common.rest.exception_handler's format).

    DRF views already answer so (their HTML pages, the API docs, keep their Japanese error page); this covers
    what happens outside them: an unknown path (with DEBUG on,
    Django's technical 404 page bypasses ``handler404``), the CSRF failure page, an unhandled exception's 500
    page. A client never has to parse HTML (docs/security.md "API errors")."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not request.path.startswith("/api/")
            or response.status_code < 400
            or response.get("Content-Type", "").startswith("application/json")
            # DRF rendered it: JSON, or the Japanese error page of the browsable docs (common/rest.py).
            or isinstance(response, Response)
        ):
            return response
        code, message = _API_ERRORS.get(response.status_code, ("error", "エラーが発生しました。"))
        replaced = JsonResponse(
            {"code": code, "message": message, "details": {}},
            status=response.status_code,
            json_dumps_params={"ensure_ascii": False},
        )
        for header in ("Allow", "Retry-After", "X-Request-ID", "Vary"):
            if response.has_header(header):
                replaced[header] = response[header]
        return replaced


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
