"""Periodic work of the water office: pull the resident register's 異動 into the task list of every town."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import get_tenant_model, schema_context


@shared_task(name="water_billing.tasks.pull_resident_moves")
def pull_resident_moves() -> dict[str, int]:
    """Every town's 異動 since its cursor become 開栓/閉栓/名義変更 tasks (water_billing.services.moves)."""
    from water_billing.services.moves import pull_moves

    created = {}
    for town in get_tenant_model().objects.filter(kind="town", status="active"):
        with schema_context(town.schema_name):
            created[town.schema_name] = pull_moves(actor=None)
    return created
