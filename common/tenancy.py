"""Typed access to django-tenants' connection state (its database wrapper is untyped)."""

from __future__ import annotations

from django.db import connection


def current_schema() -> str:
    """The schema the current connection works in (set per request or task by django-tenants)."""
    return str(getattr(connection, "schema_name", "public"))


def use_public_schema() -> None:
    connection.set_schema_to_public()  # type: ignore[attr-defined]


# Extensions the platform installs once per database in the public schema; town schemas use them (e.g. the
# trigram indexes of resident search), so a town's dump restores only where they exist.
PUBLIC_EXTENSIONS = ("pg_trgm",)
