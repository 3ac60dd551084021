"""One Redis connection pool per process for Django's cache (``CACHES["default"]["OPTIONS"]["pool_class"]``).

Django keeps its cache objects in an ``asgiref.Local``, which under ASGI is local to the request's context: every
request built a new ``RedisCache``, hence a new redis-py connection pool, hence a new TCP connection to Redis with
its health-check PING — about a sixth of a clerk's page in the server's profile (docs/performance.md, "Fixed cost
per request"). ``from_url`` here hands every cache object of the process the same pool for the same URL and
options, so requests reuse idle connections. redis-py's pool is thread-safe, and fork-safe: a forked worker that
inherits one starts over with new connections (``ConnectionPool._checkpid``).
"""

from __future__ import annotations

import threading
from typing import Any

import redis

_pools: dict[tuple[str, str], SharedConnectionPool] = {}
_lock = threading.Lock()


class SharedConnectionPool(redis.ConnectionPool):
    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> SharedConnectionPool:
        key = (url, repr(sorted(kwargs.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = super().from_url(url, **kwargs)
            return pool
