"""The platform without Redis (docs/domain/bcp-reliability.md §3): a real redis-server of the test's own is killed
between API calls.

What users see is asserted: API calls keep answering (throttling fails open, logged and counted), what cannot go on
without Redis answers 503 in the API's error format — never a 500 or a traceback — /healthz tells the cache and the
broker are away, and /readyz fails only when the database is unreachable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from common import health, middleware
from tests.conftest import HOSTS
from tests.support.processes import ThrowawayRedis, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_server(tmp_path: Path, settings: Any, monkeypatch: Any) -> Iterator[ThrowawayRedis]:
    """The cache, the throttles and the broker all on a redis-server of this test's own."""
    server = ThrowawayRedis(tmp_path / "redis")
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    params = {**settings.CACHES["default"]}
    # Throttle classes bind their cache at import; point them at ours (as tests/test_api.py does).
    monkeypatch.setattr(SimpleRateThrottle, "cache", RedisCache(params.pop("LOCATION"), params))
    settings.CELERY_BROKER_URL = server.url
    # The warning is rate-limited per process (health.WARN_INTERVAL_SECONDS): an outage noted by an earlier test
    # in this worker (tests/bcp/test_disaster.py kills a Redis too) must not silence this test's warning.
    monkeypatch.setattr(health, "_last_warned", {})
    try:
        yield server
    finally:
        server.kill()


def json_body(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json")
    return dict(json.loads(response.content))


def test_api_calls_keep_answering_when_redis_dies_and_the_outage_is_logged_and_counted(
    redis_server: ThrowawayRedis, client_for: Any, caplog: Any
) -> None:
    client = client_for("auditor", "nakatosa")
    assert client.get("/api/v1/me/").status_code == 200
    before = health.degraded_counts().get("cache.throttle_skipped", 0)

    redis_server.kill()
    with caplog.at_level(logging.WARNING, logger="kyodo.degraded"):
        responses = [client.get("/api/v1/me/") for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert json_body(responses[0])["username"] == "auditor"
    assert health.degraded_counts()["cache.throttle_skipped"] == before + 3
    assert any("cache.throttle_skipped" in record.getMessage() for record in caplog.records)


def test_an_api_list_with_csv_keeps_answering_without_redis(redis_server: ThrowawayRedis, client_for: Any) -> None:
    client = client_for("auditor", "nakatosa")
    redis_server.kill()
    response = client.get("/api/v1/audit-events/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


class _NeedsTheCache(APIView):
    """An API view that cannot answer without the cache (a 見本 kept in it, a one-time ticket)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"value": cache.get("kyodo-test-value")})


def test_an_api_view_that_needs_redis_answers_503_in_the_error_format(redis_server: ThrowawayRedis) -> None:
    view = _NeedsTheCache.as_view()
    assert view(APIRequestFactory().get("/api/v1/x/")).status_code == 200
    redis_server.kill()

    response = view(APIRequestFactory().get("/api/v1/x/"))
    response.render()

    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["code"] == "service_unavailable"
    assert body["message"] == "一時的にサービスを利用できません。しばらくしてから再度お試しください。"
    assert body["details"] == {"component": "cache"}


def _page_that_needs_the_cache(request: HttpRequest) -> HttpResponse:
    return HttpResponse(cache.get("kyodo-test-value") or "")


@pytest.mark.parametrize(
    ("path", "content_type", "expected"),
    [
        ("/api/v1/anything/", "application/json", '"code": "service_unavailable"'),
        ("/koseki/anything/", "text/html", "一時的にサービスを利用できません"),
    ],
)
def test_any_view_that_needs_redis_answers_503_not_a_traceback(
    redis_server: ThrowawayRedis, path: str, content_type: str, expected: str
) -> None:
    redis_server.kill()
    request = RequestFactory().get(path)
    outage = middleware.DependencyOutageMiddleware(_page_that_needs_the_cache)
    try:
        _page_that_needs_the_cache(request)
    except Exception as exc:  # what Django hands to process_exception
        response = outage.process_exception(request, exc)
    else:
        pytest.fail("the cache answered although Redis is dead")
    assert response is not None
    assert response.status_code == 503
    assert response["Content-Type"].startswith(content_type)
    assert expected in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_a_bug_is_still_a_500(redis_server: ThrowawayRedis) -> None:
    outage = middleware.DependencyOutageMiddleware(_page_that_needs_the_cache)
    assert outage.process_exception(RequestFactory().get("/api/v1/x/"), ValueError("a bug")) is None


def test_healthz_reports_the_cache_and_the_broker(redis_server: ThrowawayRedis) -> None:
    client = Client(HTTP_HOST=HOSTS["nakatosa"])
    up = json_body(client.get("/healthz"))
    assert up["status"] == "ok"
    assert up["database"] == "ok"
    assert up["cache"] == "ok"
    assert up["broker"] == "ok"

    redis_server.kill()
    response = client.get("/healthz")

    assert response.status_code == 200  # liveness: this process answers
    down = json_body(response)
    assert down["status"] == "degraded"
    assert down["database"] == "ok"
    assert down["cache"] == "unavailable"
    assert down["broker"] == "unavailable"
    assert "degraded_events" in down


@override_settings(ALLOWED_HOSTS=["*"])
def test_readyz_is_ready_while_the_database_answers_even_without_redis(redis_server: ThrowawayRedis) -> None:
    redis_server.kill()
    for host in (HOSTS["nakatosa"], "10.0.0.5"):  # a load balancer probes by address as well
        response = Client(HTTP_HOST=host).get("/readyz")
        assert response.status_code == 200
        assert json_body(response) == {"status": "ready", "database": "ok"}


def test_readyz_fails_when_the_database_is_unreachable(monkeypatch: Any) -> None:
    # A real connection attempt to a port nothing listens on: what a stopped PostgreSQL answers.
    unreachable = connections.create_connection("default")
    unreachable.settings_dict = {**unreachable.settings_dict, "HOST": "127.0.0.1", "PORT": str(free_port())}
    monkeypatch.setattr(health, "connection", unreachable)
    try:
        response = Client(HTTP_HOST=HOSTS["nakatosa"]).get("/readyz")
    finally:
        unreachable.close()
    assert response.status_code == 503
    assert json_body(response) == {"status": "unavailable", "database": "unavailable"}
