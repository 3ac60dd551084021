"""Kyodo's database backend: django-tenants' PostgreSQL backend, safe to use with psycopg's connection pool.

The web processes take their connections from a pool (``DATABASES["default"]["OPTIONS"]["pool"]``, set in
config/settings/base.py for ``KYODO_PROCESS=web``): under uvicorn every request runs its synchronous code in a
thread of its own, so without a pool each request opened a new PostgreSQL connection (docs/performance.md).

A pooled connection has served other requests, possibly for another town, and ``SET search_path`` is session
state that outlives a request. Two guards keep one town's schema from reaching the next request:

1. **On return to the pool** the pool runs :func:`reset_session` (``RESET search_path``, and any session advisory
   lock released), so an idle pooled connection is as blank as a new one: even a statement that bypasses Django's
   cursor (``connection.connection.cursor()``) sees the public schema, never the last town's. The backend adds
   this ``reset`` to every pool configuration itself, so no settings file can forget it.
2. **On taking a connection** the wrapper forgets which search path it last set (``search_path_set_schemas``), so
   with ``TENANT_LIMIT_SET_CALLS`` the first cursor on the new connection always sends ``SET search_path`` for the
   wrapper's current tenant, whatever the wrapper believed about the connection it held before.

tests/common/test_connection_pool.py proves both, with two towns over one pooled connection.
"""

from __future__ import annotations

from typing import Any

from django_tenants.postgresql_backend import base as tenants_base


def reset_session(connection: Any) -> None:
    """The pool's ``reset``: run on every connection given back, before another request can take it."""
    connection.execute("RESET search_path; SELECT pg_advisory_unlock_all()")


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    def __init__(self, settings_dict: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        pool = settings_dict.get("OPTIONS", {}).get("pool")
        if pool:
            # The wrapper's own copy: settings.DATABASES stays plain data (it is printed, compared, serialised).
            pool = {**(pool if isinstance(pool, dict) else {}), "reset": reset_session}
            settings_dict = {**settings_dict, "OPTIONS": {**settings_dict["OPTIONS"], "pool": pool}}
        super().__init__(settings_dict, *args, **kwargs)

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        # A pooled connection's search_path is the default reset_session left, not what this wrapper set on the
        # connection it held before: the next cursor must send SET search_path again.
        self.search_path_set_schemas = None
        return super().get_new_connection(conn_params)
