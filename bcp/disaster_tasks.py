"""Celery tasks of disaster mode (docs/bcp.md §6)."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import get_public_schema_name, schema_context

from bcp import disaster


@shared_task(name="bcp.disaster_tasks.expire_emergency_grants")
def expire_emergency_grants() -> int:
    """Every 5 minutes (beat): write ``bcp.emergency_expired`` once per grant that ran out and end its membership.

    Access already stops at ``expires_at`` (tenants.access); this leaves the record. The grants live in the public
    schema, so the task works there whatever tenant queued it; the service writes each town's trail explicitly.
    """
    with schema_context(get_public_schema_name()):
        return len(disaster.expire_grants())
