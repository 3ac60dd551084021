"""Celery task of the standby: the replication lag, sampled every 60 s (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging

from celery import shared_task
from django_tenants.utils import get_public_schema_name, schema_context

from bcp import standby as standby_service
from bcp.models import Standby
from common.errors import ApplicationError

logger = logging.getLogger(__name__)


@shared_task(name="bcp.standby_tasks.sample_replication_lag")
def sample_replication_lag() -> dict[str, float | None]:
    """Measure every standby's lag (LagSample + Standby.last_lag_*), alert above the RPO target.

    Public-schema work: it runs in ``public`` whatever tenant queued it. One standby's failure does not stop
    the others; an unreachable standby is itself a sample (lag None) and a critical alert.
    """
    results: dict[str, float | None] = {}
    with schema_context(get_public_schema_name()):
        for standby in Standby.objects.order_by("name"):
            if standby_service.is_promoted(standby):
                continue  # it is the primary now; nothing replicates into it
            try:
                sample = standby_service.measure_lag(standby=standby)
                standby.refresh_from_db()
                standby_service.check_lag(standby=standby, sample=sample)
                standby_service.check_unprotected_schemas(standby=standby)
                results[standby.name] = sample.lag_seconds
            except ApplicationError as exc:
                logger.warning("standby %s: lag not measured: %s [%s]", standby.name, exc.message, exc.code)
                results[standby.name] = None
        standby_service.prune_lag_samples()
    return results
