"""Health of the services Kyodo depends on, and how requests degrade when one of them is away.

docs/domain/bcp-reliability.md §3. Redis holds the cache, the API throttle counters and (by default) the Celery
broker. None of them may turn an API call into a 500 with a traceback:

* throttling and other best-effort cache use **fail open**: the request goes on, a warning is logged on the
  ``kyodo.degraded`` logger and a per-process counter is incremented (shown by ``/healthz``);
* anything that cannot go on without the dependency (a task that must be queued, a cached 見本 that must be
  read) answers **503** in the API's error format (:class:`ServiceUnavailable`), or a Japanese page in the browser.

``/healthz`` (liveness) reports the state of the database, the cache and the broker; ``/readyz`` (readiness, for a
load balancer) fails when the database is unreachable (:class:`common.middleware.ReadinessMiddleware`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from kombu import Connection
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from common.errors import ApplicationError

logger = logging.getLogger("kyodo.degraded")

# Exceptions that mean "a dependency is away", not "a bug": Redis (cache, throttling) and the broker.
DEPENDENCY_ERRORS: tuple[type[BaseException], ...] = (RedisError, BrokerError)

# A warning per component at most every this many seconds: a Redis outage must not flood the log, but its
# counter keeps counting every degraded request.
WARN_INTERVAL_SECONDS = 60.0

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_last_warned: dict[str, float] = {}


class ServiceUnavailable(ApplicationError):
    code = "service_unavailable"
    message = "一時的にサービスを利用できません。しばらくしてから再度お試しください。"
    status_code = 503


def note_degraded(event: str, exc: BaseException) -> None:
    """Count a request that went on without a dependency (fail open), and log it (rate-limited)."""
    now = time.monotonic()
    with _lock:
        _counts[event] += 1
        count = _counts[event]
        warn = now - _last_warned.get(event, -WARN_INTERVAL_SECONDS) >= WARN_INTERVAL_SECONDS
        if warn:
            _last_warned[event] = now
    if warn:
        logger.warning("degraded: %s (%s: %s); %d so far in this process", event, type(exc).__name__, exc, count)


def degraded_counts() -> dict[str, int]:
    with _lock:
        return dict(_counts)


def service_unavailable_for(exc: BaseException) -> ServiceUnavailable | None:
    """The 503 for an exception that means a dependency is away; None for anything else (a bug stays a 500)."""
    if not isinstance(exc, DEPENDENCY_ERRORS):
        return None
    component = "cache" if isinstance(exc, RedisError) else "broker"
    note_degraded(f"{component}.unavailable", exc)
    return ServiceUnavailable(details={"component": component})


# --- States for /healthz and /readyz ----------------------------------------------------------------------------


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        # A broken connection must not be reused by the next request of this thread.
        connection.close_if_unusable_or_obsolete()
        return "unavailable"
    return "ok"


def cache_state() -> str:
    try:
        cache.get("kyodo:health")
    except RedisError:
        return "unavailable"
    return "ok"


def broker_state() -> str:
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception:  # kombu raises the transport's own errors as well as its OperationalError
        return "unavailable"
    return "ok"


def health_report() -> dict[str, Any]:
    states = {"database": database_state(), "cache": cache_state(), "broker": broker_state()}
    report: dict[str, Any] = {"status": "ok" if all(v == "ok" for v in states.values()) else "degraded", **states}
    report["degraded_events"] = degraded_counts()
    return report
