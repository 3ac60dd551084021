"""A time budget for web requests, below gunicorn's worker timeout (docs/background_jobs.md).

gunicorn kills a worker that has been silent for ``KYODO_TIMEOUT`` seconds (deploy/gunicorn.conf.py): the clerk
gets a 502 and any other request of that worker is lost with it. So the web tier's PostgreSQL connections carry
a ``statement_timeout`` a few seconds shorter: a runaway statement is cancelled by the server, the transaction
rolls back, and the request answers 503 with a Japanese message. Celery workers and management commands set no
such limit — long work (imports, backups, billing runs) belongs there (common.jobs).

The budget is set in config/settings/base.py (``KYODO_WEB_STATEMENT_TIMEOUT_MS``, by default ``KYODO_TIMEOUT``
less 5 seconds) for the processes that config/wsgi.py marks with ``KYODO_PROCESS=web``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

QUERY_CANCELED = "57014"  # PostgreSQL SQLSTATE query_canceled (statement_timeout)
MESSAGE = (
    "処理に時間がかかりすぎたため中断しました。条件を絞ってやり直すか、大量の処理は一括取込などの機能をお使いください。"
)


class StatementTimeoutMiddleware:
    """A request whose statement hit the budget answers 503 in Japanese (JSON under /api/) instead of a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        cause = exception.__cause__ if isinstance(exception, OperationalError) else None
        if getattr(cause, "sqlstate", None) != QUERY_CANCELED:
            return None
        if request.path.startswith("/api/"):
            body = {"code": "request_timeout", "message": MESSAGE, "details": {}}
            return JsonResponse(body, status=503, json_dumps_params={"ensure_ascii": False})
        return render(request, "errors/timeout.html", {"message": MESSAGE}, status=503)
