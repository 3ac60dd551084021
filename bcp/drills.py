"""Restore drills (docs/bcp.md §4): which are due, running one, raising the alert, and the evidence for auditors.

A drill restores the newest usable backup of one schema from one site into a scratch database, checks every
table against the manifest and drops the copy (bcp.restore does the work and records the RestoreDrill). It
is due when the last drill of that schema at that site started ``BackupSite.drill_interval_days`` ago or more
(weekly by default), counted from the last drill whatever its result: a failed drill raises an alert for IT
staff to act on, it is not retried in a loop that would hide the failure behind a later pass.

Drilled schemas: every schema the nightly job backs up — the public schema (the council's own data: people,
memberships, the backup catalogue), the council's schema and every town that has not withdrawn — each at every
active site.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from bcp.alerts import raise_alert
from bcp.backup import backup_targets
from bcp.models import AlertSeverity, BackupSite, BcpAlert, DrillStatus, RestoreDrill
from bcp.restore import (
    SCRATCH_PREFIX,
    NoUsableBackup,
    drop_database,
    find_backup,
    record_unrunnable_drill,
    restore_backup,
)
from common import audit
from common.errors import ValidationFailed
from common.filters import FilterSet
from tenants.models import Municipality, Person

if TYPE_CHECKING:
    from tenants.models import Person

logger = logging.getLogger(__name__)

# Drill outcomes are audited by bcp.restore (bcp.drill_passed / bcp.drill_failed).
AUDIT_LABELS = {"bcp.drill_requested": "BCP: 復元訓練の実行依頼"}

TOKYO = ZoneInfo("Asia/Tokyo")
ALERT_DRILL_FAILED = "drill_failed"
# A drill still RUNNING after this long lost its worker (killed, machine restarted): it is closed as FAILED so
# the dashboard does not show a progress bar forever, and its scratch database is dropped.
ABANDONED_AFTER = timedelta(hours=6)
# The daily beat run (04:00) starts a few seconds or minutes later from one week to the next; without this slack
# a drill begun at 04:00:05 last week would not be due at 04:00:02 today and would slip by a whole day.
DUE_SLACK = timedelta(hours=1)


def drilled_schemas() -> list[str]:
    """Every schema the nightly job backs up (bcp.backup.backup_targets): one rule for both."""
    return backup_targets()


def due_drills(*, now: datetime | None = None) -> list[tuple[str, BackupSite]]:
    """(schema, site) pairs whose last drill started ``drill_interval_days`` ago or more, or never ran."""
    now = now or timezone.now()
    schemas = drilled_schemas()
    last = {
        (row["schema_name"], row["site_id"]): row["last"]
        for row in RestoreDrill.objects.filter(kind="drill", schema_name__in=schemas)
        .values("schema_name", "site_id")
        .annotate(last=Max("started_at"))
    }
    due = []
    for site in BackupSite.objects.filter(is_active=True).order_by("role", "name"):
        interval = timedelta(days=site.drill_interval_days)
        for schema in schemas:
            started = last.get((schema, site.pk))
            if started is None or started <= now - interval + DUE_SLACK:
                due.append((schema, site))
    return due


def run_drill(
    *, schema_name: str, site: BackupSite, actor: Person | None = None, jobs: int | None = None
) -> RestoreDrill:
    """Drill the newest usable backup of ``schema_name`` at ``site``; a failure raises a BcpAlert.

    ``jobs``: parallel pg_restore jobs into the scratch database (default ``settings.KYODO_RESTORE_JOBS``, else
    1). On the 2-core bench machine 2 jobs restored a 300,000-resident town in 22 s instead of 29 s; one job
    leaves a core to the live database while drills run.
    """
    jobs = jobs or max(1, settings.KYODO_RESTORE_JOBS)
    try:
        backup = find_backup(schema_name=schema_name, site=site)
    except NoUsableBackup as exc:
        drill = record_unrunnable_drill(schema_name=schema_name, site=site, error=exc, actor=actor)
    else:
        drill = restore_backup(backup=backup, site=site, actor=actor, jobs=jobs)
    if drill.status == DrillStatus.FAILED:
        raise_drill_alert(drill)
    else:
        resolve_drill_alerts(drill)
    return drill


def request_drill(*, actor: Person, schema_name: str, site: BackupSite) -> None:
    """IT staff ask for a drill now (e.g. from the dashboard): audited, then queued once committed.

    The drill itself runs in a worker (bcp.drill_tasks.run_drill), minutes long; its RestoreDrill row and
    progress appear on the dashboard as soon as it starts.
    """
    if schema_name not in drilled_schemas():
        raise ValidationFailed(
            f"{schema_name} はバックアップの対象ではありません。", details={"schema_name": ["対象外のスキーマです。"]}
        )
    if not site.is_active:
        raise ValidationFailed(
            f"バックアップサイト「{site.name}」は無効です。", details={"site": ["無効なサイトです。"]}
        )
    from bcp import drill_tasks  # the task module imports this one

    with transaction.atomic():
        audit.record(
            actor=actor,
            action="bcp.drill_requested",
            obj=site,
            details={"schema": schema_name, "site": site.name},
            council=True,
        )
        site_id, actor_id = site.pk, actor.pk
        transaction.on_commit(
            lambda: drill_tasks.run_drill.delay(schema_name=schema_name, site_id=site_id, actor_id=actor_id)
        )


def raise_drill_alert(drill: RestoreDrill) -> BcpAlert:
    """One open alert per schema and site (bcp.alerts.raise_alert): a drill failing again updates it."""
    with transaction.atomic():
        return raise_alert(
            kind=ALERT_DRILL_FAILED,
            severity=AlertSeverity.CRITICAL,
            schema_name=drill.schema_name,
            site=drill.site,
            message=f"{drill.schema_name} の復元訓練({drill.site.name})が不合格でした: {drill.error}",
            details={
                "drill_id": drill.pk,
                "backup_id": drill.backup_id,
                "error_code": (drill.report or {}).get("error_code"),
                "differences": len(drill.differences or []),
            },
        )


def resolve_drill_alerts(drill: RestoreDrill) -> int:
    """A passing drill closes the open drill alert of its schema and site: the fault was dealt with."""
    return BcpAlert.objects.filter(
        kind=ALERT_DRILL_FAILED, schema_name=drill.schema_name, site=drill.site, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())


def raise_unrecorded_failure(*, schema_name: str, site: BackupSite, error: BaseException) -> BcpAlert:
    """A drill that failed before its evidence could be written (database trouble, a bug) still alerts."""
    with transaction.atomic():
        return raise_alert(
            kind=ALERT_DRILL_FAILED,
            severity=AlertSeverity.CRITICAL,
            schema_name=schema_name,
            site=site,
            message=f"{schema_name} の復元訓練({site.name})を実行できませんでした: {str(error)[:500]}",
            details={"error": type(error).__name__},
        )


def close_abandoned_drills(*, now: datetime | None = None) -> list[int]:
    """Close drills whose worker died (FAILED, with an alert) and drop the scratch database each left behind.

    Only databases recorded by this installation's own drills are dropped (``report["scratch_database"]``),
    never one found by its name alone: another database on the same server may be drilling right now.
    """
    now = now or timezone.now()
    closed = []
    for drill in RestoreDrill.objects.filter(status=DrillStatus.RUNNING, started_at__lt=now - ABANDONED_AFTER):
        updated = RestoreDrill.objects.filter(pk=drill.pk, status=DrillStatus.RUNNING).update(
            status=DrillStatus.FAILED,
            finished_at=now,
            error="復元処理が途中で停止しました(ワーカーの停止など)。結果は不合格として記録しました。",
        )
        if not updated:
            continue
        drill.refresh_from_db()
        scratch = (drill.report or {}).get("scratch_database")
        if scratch and str(scratch).startswith(SCRATCH_PREFIX):
            drop_database(str(scratch))
        raise_drill_alert(drill)
        closed.append(drill.pk)
    return closed


# --- Evidence for auditors (selectors) ---------------------------------------------------------------


def drills_visible_to(municipality: Municipality) -> QuerySet[RestoreDrill]:
    """Tenant isolation: a town host shows that town's drills only; the council host shows every drill.

    Drills live in the public schema with the schema name as text, so the filter is explicit here and the
    API cannot forget it. The council's own data (the public schema) is the council's to see.
    """
    drills = RestoreDrill.objects.select_related("site", "backup")
    if municipality.kind == Municipality.Kind.COUNCIL:
        return drills
    return drills.filter(schema_name=municipality.schema_name)


def read_drills(
    *, actor: Person | None, municipality: Municipality, filters: FilterSet, export: bool
) -> QuerySet[RestoreDrill]:
    """The drill records an auditor lists or exports (``filters`` validated, bcp.filters); the reading is audited
    with its filters."""
    rows = filters.filter_queryset(drills_visible_to(municipality)).order_by("-started_at", "-pk")
    audit.record(
        actor=actor, action="bcp.drill_export" if export else "bcp.drill_list", details=filters.audit_details()
    )
    return rows
