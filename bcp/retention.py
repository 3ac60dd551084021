"""Retention and pruning per site (docs/bcp.md §3): grandfather-father-son over the nights of each schema.

A site keeps, for each schema, the newest complete backup of each of its last ``keep_daily`` nights, of each of
its last ``keep_weekly`` ISO weeks and of each of its last ``keep_monthly`` months; the rest is pruned (manifest
first, so a half-pruned copy no longer looks complete, then the artifact; the copy becomes PRUNED). Never pruned:

* the newest backup of the schema that passed a restore drill at that site — the one backup proven restorable;
* the newest complete backup, whatever the policy says (a policy of all zeros must not empty a site);
* any copy that is not COMPLETE (an upload in progress or waiting for its retry).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from bcp import archive
from bcp.errors import BackupError
from bcp.models import BackupCopy, BackupSite, CopyStatus, DrillStatus, RestoreDrill
from bcp.storage import storage_for
from common import audit

if TYPE_CHECKING:
    from tenants.models import Person

logger = logging.getLogger(__name__)


def copies_to_keep(site: BackupSite, copies: list[BackupCopy]) -> set[int]:
    """Ids of the copies (all COMPLETE, one schema, one site) that the site's policy keeps."""
    ordered = sorted(
        copies, key=lambda copy: (copy.backup.scheduled_for, copy.backup.snapshot_at or copy.backup.scheduled_for)
    )
    ordered.reverse()  # newest first: the first copy seen in a day/week/month is the one kept for it
    keep: set[int] = set()
    buckets = (
        (site.keep_daily, lambda copy: copy.backup.scheduled_for),
        (site.keep_weekly, lambda copy: tuple(copy.backup.scheduled_for.isocalendar())[:2]),
        (site.keep_monthly, lambda copy: (copy.backup.scheduled_for.year, copy.backup.scheduled_for.month)),
    )
    for limit, bucket_of in buckets:
        seen: list[object] = []
        for copy in ordered:
            bucket = bucket_of(copy)
            if bucket in seen:
                continue
            if len(seen) >= limit:
                break
            seen.append(bucket)
            keep.add(copy.pk)
    if ordered:
        keep.add(ordered[0].pk)
    drilled = _newest_drilled_backup(site, ordered[0].backup.schema_name) if ordered else None
    if drilled is not None:
        keep |= {copy.pk for copy in ordered if copy.backup_id == drilled}
    return keep


def _newest_drilled_backup(site: BackupSite, schema_name: str) -> int | None:
    return (
        RestoreDrill.objects.filter(site=site, schema_name=schema_name, status=DrillStatus.PASSED, backup__isnull=False)
        .order_by("-backup__scheduled_for", "-backup__snapshot_at", "-finished_at")
        .values_list("backup_id", flat=True)
        .first()
    )


def apply_retention(
    *,
    schema_name: str | None = None,
    sites: Iterable[BackupSite] | None = None,
    actor: Person | None = None,
) -> list[BackupCopy]:
    """Prune every site (or ``sites``) for every schema (or ``schema_name``); returns the copies pruned.

    A site that cannot be reached is skipped (its copies stay COMPLETE) and tried again on the next night."""
    pruned: list[BackupCopy] = []
    for site in sites if sites is not None else BackupSite.objects.filter(is_active=True).order_by("name"):
        complete = BackupCopy.objects.select_related("backup").filter(site=site, status=CopyStatus.COMPLETE)
        if schema_name is not None:
            complete = complete.filter(backup__schema_name=schema_name)
        by_schema: dict[str, list[BackupCopy]] = {}
        for copy in complete:
            by_schema.setdefault(copy.backup.schema_name, []).append(copy)
        for copies in by_schema.values():
            keep = copies_to_keep(site, copies)
            for copy in copies:
                if copy.pk not in keep and _prune(copy, site=site, actor=actor):
                    pruned.append(copy)
    return pruned


def _prune(copy: BackupCopy, *, site: BackupSite, actor: Person | None) -> bool:
    backup = copy.backup
    shared = (
        BackupCopy.objects.filter(site=site, backup__artifact_key=backup.artifact_key)
        .exclude(pk=copy.pk)
        .exclude(status=CopyStatus.PRUNED)
    )
    if not backup.artifact_key or shared.exists():
        # Never delete files another backup's copy points at (defence in depth: keys are unique per backup).
        logger.error("bcp: not pruning %s at %s: the key is shared", backup.artifact_key, site.name)
        return False
    try:
        store = storage_for(site)
        # The manifest first: from then on nobody takes what remains for a complete copy.
        store.delete(archive.manifest_key_for(backup.artifact_key))
        store.delete(backup.artifact_key)
    except BackupError as exc:
        logger.warning("bcp: could not prune %s at %s: %s", backup.artifact_key, site.name, exc)
        return False
    with transaction.atomic():
        updated = BackupCopy.objects.filter(pk=copy.pk, status=CopyStatus.COMPLETE).update(
            status=CopyStatus.PRUNED, pruned_at=timezone.now()
        )
        if updated:
            copy.refresh_from_db()
            audit.record(
                actor=actor,
                action="bcp.backup_pruned",
                obj=copy,
                details={
                    "schema": backup.schema_name,
                    "night": str(backup.scheduled_for),
                    "site": site.name,
                    "artifact_key": backup.artifact_key,
                },
                council=True,
            )
    return bool(updated)
