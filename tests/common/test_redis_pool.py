"""Django's cache objects share one Redis connection pool per process (common/redis_pool.py).

Under ASGI every request has cache objects of its own (an asgiref Local per context); without a shared pool
each request opened a new TCP connection to Redis and sent a health-check PING before its first command.
"""

from __future__ import annotations

import threading

from django.core.cache import cache, caches

from common.redis_pool import SharedConnectionPool


def test_cache_objects_of_different_requests_reuse_one_pool_and_its_connections() -> None:
    cache.set("redis-pool-probe", "ok", 30)  # the pool now holds at least one idle connection
    pool = cache._cache._get_connection_pool(write=False)
    opened = pool._created_connections
    seen: list[tuple[object, int, object]] = []  # the cache objects themselves: ids of freed ones are reused

    def request() -> None:  # a thread of its own, as each ASGI request's synchronous code
        own = caches["default"]
        pool = own._cache._get_connection_pool(write=False)
        seen.append((own, id(pool), own.get("redis-pool-probe")))

    for _ in range(3):  # one after the other, as requests served in turn
        thread = threading.Thread(target=request)
        thread.start()
        thread.join()

    assert len({id(own) for own, _, _ in seen}) == 3, "each thread has a cache object of its own"
    assert {pool_id for _, pool_id, _ in seen} == {id(pool)}
    assert isinstance(pool, SharedConnectionPool)
    assert [value for _, _, value in seen] == ["ok"] * 3
    # Requests in turn reuse the idle connection instead of opening one each.
    assert pool._created_connections == opened
    cache.delete("redis-pool-probe")
