"""Per-request figures for ``manage.py bench http``: server time and SQL statements, as response headers.

Off unless ``KYODO_BENCH_HEADERS`` is set (the http bench sets it for the gunicorn it starts): the headers tell a
client how busy the server was, which a production server does not advertise.

- ``Server-Timing: app;dur=<ms>`` — wall time inside Django, from the first middleware to the response;
- ``X-Kyodo-SQL: <n>`` — statements Django's cursors sent to PostgreSQL for this request (django-tenants issues
  its ``SET search_path`` on the raw cursor before Django wraps it, so those are not counted).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse


class BenchHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.enabled = bool(getattr(settings, "KYODO_BENCH_HEADERS", False))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.enabled:
            return self.get_response(request)
        statements = 0

        def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal statements
            statements += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        response["X-Kyodo-SQL"] = str(statements)
        return response
