"""The council's schema, where council-wide groupware items live (docs/domain/groupware.md §1).

Town pages read and mark council-wide notices through the selectors and services that use this context — one
place that switches schema, never a view.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django_tenants.utils import schema_context

from common.tenancy import current_schema
from tenants.models import Municipality


def council_schema() -> str | None:
    council = Municipality.objects.filter(kind=Municipality.Kind.COUNCIL).values_list("schema_name", flat=True)
    return council.first()


def on_council_host() -> bool:
    return current_schema() == council_schema()


@contextmanager
def in_council() -> Iterator[bool]:
    """Run the body in the council's schema; yields False (and stays put) when there is no council."""
    schema = council_schema()
    if schema is None:
        yield False
        return
    with schema_context(schema):
        yield True
