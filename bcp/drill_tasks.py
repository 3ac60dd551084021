"""Celery task of the restore drills (beat entry ``bcp-restore-drills`` in config/settings/base.py)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from bcp import drills
from bcp.models import BackupSite
from common.tenancy import use_public_schema
from tenants.models import Person

logger = logging.getLogger(__name__)


@shared_task(name="bcp.drill_tasks.run_due_drills")
def run_due_drills() -> list[dict[str, Any]]:
    """Run every due drill, one town and site after another (docs/bcp.md §4: weekly per town by default).

    The BCP data lives in the public schema, whatever tenant queued the task (tenant-schemas-celery). One
    drill's failure — even an unexpected exception — is recorded and alerted, and the next drill still runs.
    Safe to retry: a drill that ran meanwhile is no longer due.
    """
    use_public_schema()
    drills.close_abandoned_drills()
    results: list[dict[str, Any]] = []
    for schema_name, site in drills.due_drills():
        results.append(_run_one(schema_name, site))
    return results


@shared_task(name="bcp.drill_tasks.run_drill")
def run_drill(*, schema_name: str, site_id: int, actor_id: int | None = None) -> dict[str, Any]:
    """One drill asked for by IT staff (bcp.drills.request_drill). Runs in the public schema."""
    use_public_schema()
    site = BackupSite.objects.get(pk=site_id)
    actor = Person.objects.filter(pk=actor_id).first() if actor_id is not None else None
    drill = drills.run_drill(schema_name=schema_name, site=site, actor=actor)
    return {"schema": schema_name, "site": site.name, "drill_id": drill.pk, "status": drill.status}


def _run_one(schema_name: str, site: BackupSite) -> dict[str, Any]:
    try:
        drill = drills.run_drill(schema_name=schema_name, site=site)
    except Exception as exc:
        logger.exception("restore drill of %s at %s could not be recorded", schema_name, site.name)
        drills.raise_unrecorded_failure(schema_name=schema_name, site=site, error=exc)
        return {"schema": schema_name, "site": site.name, "status": "error", "error": str(exc)[:500]}
    return {"schema": schema_name, "site": site.name, "drill_id": drill.pk, "status": drill.status}
