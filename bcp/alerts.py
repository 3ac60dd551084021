"""Alerts of the backup pipeline for IT staff (docs/bcp.md §2): one open alert per kind, schema and site."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from bcp.models import (
    AlertSeverity,
    BackupSite,
    BcpAlert,
)
from common import audit

if TYPE_CHECKING:
    from tenants.models import Person

logger = logging.getLogger(__name__)


ALERT_BACKUP_FAILED = "backup_failed"
ALERT_UPLOAD_FAILED = "upload_failed"


def raise_alert(
    *,
    kind: str,
    severity: str,
    message: str,
    schema_name: str = "",
    site: BackupSite | None = None,
    details: dict[str, Any] | None = None,
) -> BcpAlert:
    """One open alert per (kind, schema, site): a repeated failure updates it (and may escalate it) instead of
    burying IT staff under identical rows."""
    alert = (
        BcpAlert.objects.select_for_update()
        .filter(kind=kind, schema_name=schema_name, site=site, resolved_at__isnull=True)
        .order_by("-raised_at")
        .first()
    )
    if alert is None:
        return BcpAlert.objects.create(
            kind=kind, severity=severity, schema_name=schema_name, site=site, message=message, details=details or {}
        )
    if severity == AlertSeverity.CRITICAL or alert.severity != AlertSeverity.CRITICAL:
        alert.severity = severity
    alert.message = message
    alert.details = details or {}
    alert.save(update_fields=["severity", "message", "details"])
    return alert


def resolve_open_alerts(*, kind: str, schema_name: str, site: BackupSite | None = None) -> int:
    alerts = BcpAlert.objects.filter(kind=kind, schema_name=schema_name, resolved_at__isnull=True)
    if site is not None:
        alerts = alerts.filter(site=site)
    return alerts.update(resolved_at=timezone.now())


def resolve_alerts(*, actor: Person, alerts: Iterable[BcpAlert]) -> int:
    """IT staff mark alerts as dealt with (the admin action)."""
    count = 0
    with transaction.atomic():
        for alert in alerts:
            if alert.resolved_at is not None:
                continue
            alert.resolved_at = timezone.now()
            alert.save(update_fields=["resolved_at"])
            audit.record(
                actor=actor,
                action="bcp.alert_resolved",
                obj=alert,
                details={
                    "kind": alert.kind,
                    "schema": alert.schema_name,
                    "site": alert.site.name if alert.site else "",
                },
                council=True,
            )
            count += 1
    return count
