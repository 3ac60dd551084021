"""Celery tasks of the BCP module. The drill, standby and disaster tasks live in their own modules and are
imported here so that Celery's autodiscovery (which imports ``<app>.tasks``) registers them."""

from bcp import disaster_tasks as disaster_tasks
from bcp import drill_tasks as drill_tasks
from bcp import standby_tasks as standby_tasks

# ruff: noqa: I001 — the three imports above stay first (the contract between the BCP modules).
import logging
from datetime import date
from typing import Any

from celery import shared_task
from django_tenants.utils import get_public_schema_name, schema_context


logger = logging.getLogger(__name__)


# Backups live in the public schema whatever town queued the task (tenant-schemas-celery runs a task in the
# schema of its caller), so every task below switches to public explicitly.


@shared_task(name="bcp.tasks.run_nightly_backups")
def run_nightly_backups(night: str | None = None) -> dict[str, Any]:
    """Fan out: one task per town schema and one for the public schema, each idempotent (bcp.nights.run_nightly)."""
    from bcp.nights import run_nightly

    with schema_context(get_public_schema_name()):
        run = run_nightly(
            scheduled_for=date.fromisoformat(night) if night else None,
            dispatch=lambda schema, day: backup_schema_task.delay(schema, day.isoformat()),
        )
    return {"night": run.night.isoformat(), "schemas": run.schemas}


# Another worker (or the retry sweep) may hold the backup's lock for a while: come back later rather than give
# up on the night. Twelve tries five minutes apart cover a slow sweep or a long upload by another worker.
BUSY_RETRY_SECONDS = 300
BUSY_MAX_RETRIES = 12


@shared_task(bind=True, name="bcp.tasks.backup_schema", acks_late=True, max_retries=BUSY_MAX_RETRIES)
def backup_schema_task(self: Any, schema_name: str, night: str, site_ids: list[int] | None = None) -> dict[str, Any]:
    """Back up one schema for one night (to every active site, or to ``site_ids``), then prune that schema's
    old backups at every site (bcp.nights.back_up_for_night)."""
    from bcp.nights import back_up_for_night
    from bcp.models import BackupSite, BackupStatus

    with schema_context(get_public_schema_name()):
        sites = list(BackupSite.objects.filter(pk__in=site_ids, is_active=True)) if site_ids is not None else None
        backup = back_up_for_night(schema_name=schema_name, night=date.fromisoformat(night), sites=sites)
        if backup.status in (BackupStatus.PENDING, BackupStatus.DUMPING):
            # The lock was busy: someone else is on it, or a dead worker's session has not yet been cleaned up.
            raise self.retry(countdown=BUSY_RETRY_SECONDS)
        return {"backup_id": backup.pk, "schema": schema_name, "status": backup.status, "error": backup.error}


@shared_task(name="bcp.tasks.retry_due_uploads")
def retry_due_uploads() -> list[dict[str, Any]]:
    """Backups whose worker stopped beating are failed and queued again (tonight's), then every failed copy whose
    backoff has elapsed is uploaded again."""
    from bcp import nights

    with schema_context(get_public_schema_name()):
        nights.recover_stalled_backups()
        copies = nights.retry_due_uploads()
        return [{"copy_id": copy.pk, "status": copy.status, "attempts": copy.attempts} for copy in copies]
