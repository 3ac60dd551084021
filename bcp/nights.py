"""The nightly backup run and its retries (docs/bcp.md §2, docs/domain/bcp-reliability.md §2): the night's
backups of every schema, uploads retried with backoff, stalled workers recovered, and what IT staff ask for now
(a backup, a retry)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bcp.backup import (
    artifact_available,
    backup_lock,
    backup_schema,
    backup_targets,
    copy_failed,
    fail_backup,
    finish_backup,
    heartbeat,
    staging_path,
    upload_copy,
)
from bcp.errors import BackupError, NotABackupTarget
from bcp.models import (
    Backup,
    BackupCopy,
    BackupSite,
    BackupStatus,
    CopyStatus,
)
from common import audit
from common.dates import local_today

if TYPE_CHECKING:
    from tenants.models import Person

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NightRun:
    night: date
    schemas: list[str]
    backups: list[Backup]  # the backups made here (none when ``dispatch`` hands each schema to a worker)


def run_nightly(
    *,
    scheduled_for: date | None = None,
    schema_names: Iterable[str] | None = None,
    sites: list[BackupSite] | None = None,
    dispatch: Callable[[str, date], object] | None = None,
) -> NightRun:
    """The night's backups, the one orchestration every way in uses: the Celery beat task (which fans out one
    task per schema through ``dispatch``), IT staff's ``manage.py backup_municipality`` and the tests (here, one
    schema after the other).

    Backups of earlier nights left unfinished by a dead worker are abandoned first; then every target schema (or
    the chosen ``schema_names``, each of which must be a target) is backed up by ``back_up_for_night``.
    """
    night = scheduled_for or local_today()
    targets = backup_targets()
    schemas = targets if schema_names is None else list(schema_names)
    unknown = [schema for schema in schemas if schema not in targets]
    if unknown:
        raise NotABackupTarget(
            f"バックアップ対象ではないスキーマです: {', '.join(unknown)} / not a backup target",
            details={"schemas": unknown},
        )
    abandon_stale_backups(before=night)
    backups = []
    for schema in schemas:
        if dispatch is not None:
            dispatch(schema, night)
            continue
        try:
            backups.append(back_up_for_night(schema_name=schema, night=night, sites=sites))
        except Exception:
            # A bug or a lost database connection in one town must not stop the others.
            logger.exception("bcp: backup of %s for %s crashed", schema, night)
    return NightRun(night=night, schemas=schemas, backups=backups)


def back_up_for_night(*, schema_name: str, night: date, sites: list[BackupSite] | None = None) -> Backup:
    """One schema's backup for one night (to every active site, or to ``sites``), then the pruning of that
    schema's old backups at every site. A backup still PENDING or DUMPING is returned as it is: another worker
    holds its lock (the Celery task comes back later)."""
    from bcp.retention import apply_retention

    made = backup_schema(schema_name=schema_name, scheduled_for=night, sites=sites)
    if made.status in (BackupStatus.PENDING, BackupStatus.DUMPING):
        return made
    try:
        apply_retention(schema_name=schema_name)
    except Exception:
        # Pruning is retried on the next night; it must never turn a good backup into a failure.
        logger.exception("bcp: retention for %s failed", schema_name)
    return made


def due_copies(*, now: Any = None) -> list[BackupCopy]:
    """Failed copies whose backoff has elapsed, and copies left PENDING/UPLOADING by a worker that died without
    its task being redelivered (retry_copy only touches them when no worker holds the backup's lock)."""
    now = now or timezone.now()
    failed_and_due = Q(status=CopyStatus.FAILED, next_retry_at__lte=now)
    stranded = Q(status__in=[CopyStatus.PENDING, CopyStatus.UPLOADING]) & ~Q(backup__status=BackupStatus.DUMPING)
    return list(
        BackupCopy.objects.select_related("backup", "site")
        .filter(failed_and_due | stranded, site__is_active=True)
        .exclude(backup__sha256="")
        .order_by("next_retry_at", "pk")
    )


def abandon_stale_backups(*, before: date) -> list[Backup]:
    """Backups of earlier nights still PENDING or DUMPING, with no worker on them (the lock is free): their worker
    died and the task was lost. They are marked FAILED — dumping them now would label today's data with an
    earlier night — and raise an alert; tonight's backup covers the data."""
    abandoned = []
    stale = Backup.objects.filter(scheduled_for__lt=before, status__in=[BackupStatus.PENDING, BackupStatus.DUMPING])
    for backup in stale.order_by("scheduled_for", "schema_name"):
        with backup_lock(backup) as acquired:
            backup.refresh_from_db()
            if acquired and backup.status in (BackupStatus.PENDING, BackupStatus.DUMPING):
                abandoned.append(
                    fail_backup(
                        backup,
                        actor=None,
                        message="取得中に処理が停止したまま再開されませんでした(ワーカーの停止)。",
                        code="abandoned",
                    )
                )
    return abandoned


def retry_copy(*, copy: BackupCopy, actor: Person | None = None) -> BackupCopy:
    """Retry one failed copy, under the backup's lock (the nightly run may be working on it)."""
    backup = copy.backup
    with backup_lock(backup) as acquired:
        if not acquired:
            return copy
        copy.refresh_from_db()
        if copy.status in (CopyStatus.COMPLETE, CopyStatus.PRUNED):
            return copy
        with heartbeat(backup):
            return _retry_copy_locked(copy=copy, backup=backup, actor=actor)


def _retry_copy_locked(*, copy: BackupCopy, backup: Backup, actor: Person | None) -> BackupCopy:
    local = staging_path(backup)
    backup.refresh_from_db()
    if artifact_available(backup, local):
        copy = upload_copy(copy=copy, local_path=local, actor=actor)
    else:
        copy = copy_failed(
            copy,
            BackupError(
                "作業領域にも他のサイトにも成果物がないため転送できません。次回の夜間バックアップを待ちます。",
                code="bcp_artifact_missing",
            ),
            actor=actor,
        )
    finish_backup(backup=backup, actor=actor)
    return copy


def stalled_backups(*, now: Any = None) -> list[Backup]:
    """Backups being dumped whose worker has not beaten for the heartbeat timeout. (A backup whose dump finished
    has its artifact in staging; its stranded copies are finished by ``retry_due_uploads`` like any other.)"""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.KYODO_BACKUP_HEARTBEAT_TIMEOUT_SECONDS)
    silent = Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, started_at__lt=limit)
    return list(Backup.objects.filter(silent, status=BackupStatus.DUMPING).order_by("scheduled_for", "schema_name"))


def recover_stalled_backups(*, now: Any = None) -> list[Backup]:
    """A backup whose worker stopped beating mid-dump (its process or host died) is marked FAILED with the reason,
    its partial staging file removed, a critical alert raised on the dashboard, and tonight's backup queued again
    (docs/domain/bcp-reliability.md §2). An earlier night's is not dumped again: that would label today's data
    with that night; tonight's backup covers it."""
    from bcp.tasks import backup_schema_task

    now = now or timezone.now()
    recovered = []
    for backup in stalled_backups(now=now):
        last_beat = backup.heartbeat_at or backup.started_at
        silent_minutes = int((now - last_beat).total_seconds() // 60) if last_beat else 0
        with backup_lock(backup) as acquired:
            backup.refresh_from_db()
            if backup.status != BackupStatus.DUMPING:
                continue  # its worker finished after all
            if acquired:
                # Only with the lock: a worker that is merely slow to beat may still be writing the file. Without
                # it, the worker's session is still open; the queued retry waits for it (BUSY_RETRY_SECONDS).
                _remove_partial_staging(backup)
            requeue = backup.scheduled_for == local_today()
            message = (
                f"取得中にワーカー ({backup.worker or '不明'}) からの応答が {silent_minutes} 分間ありません"
                "(ワーカーの停止)。" + ("再実行を登録しました。" if requeue else "次回の夜間バックアップで取得します。")
            )
            with transaction.atomic():
                recovered.append(fail_backup(backup, actor=None, message=message, code="worker_lost"))
                if requeue:
                    transaction.on_commit(
                        partial(backup_schema_task.delay, backup.schema_name, backup.scheduled_for.isoformat())
                    )
    return recovered


def _remove_partial_staging(backup: Backup) -> None:
    local = staging_path(backup)
    # bcp.archive.dump_schema writes ".<name>.part" and renames it only when the whole dump succeeded.
    for leftover in (local.with_name(f".{local.name}.part"), local):
        leftover.unlink(missing_ok=True)


def retry_due_uploads(*, now: Any = None) -> list[BackupCopy]:
    return [retry_copy(copy=copy) for copy in due_copies(now=now)]


def request_retry(*, actor: Person, copies: Iterable[BackupCopy]) -> list[int]:
    """IT staff ask for failed copies to be retried now (the admin action); the retry task picks them up."""
    ids = []
    with transaction.atomic():
        for copy in copies:
            if copy.status != CopyStatus.FAILED:
                continue
            BackupCopy.objects.filter(pk=copy.pk).update(next_retry_at=timezone.now())
            audit.record(
                actor=actor,
                action="bcp.retry_requested",
                obj=copy,
                details={"schema": copy.backup.schema_name, "site": copy.site.name},
                council=True,
            )
            ids.append(copy.pk)
        if ids:
            from bcp.tasks import retry_due_uploads as retry_task

            transaction.on_commit(lambda: retry_task.delay())
    return ids


def request_backup_now(
    *, actor: Person, schema_names: Iterable[str] | None = None, sites: Iterable[BackupSite] | None = None
) -> list[str]:
    """IT staff start today's backup now (the admin action 「今すぐバックアップ」), queued after commit.

    Today's backup of a schema that is already COMPLETE is not made again; a chosen site that lacks its copy
    (a site added today) gets the existing artifact."""
    from bcp.tasks import backup_schema_task

    known = backup_targets()
    schemas = [schema for schema in (schema_names or known) if schema in known]
    site_ids = sorted(site.pk for site in sites) if sites is not None else None
    night = local_today()
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="bcp.backup_requested",
            obj=("bcp.Backup", "", "即時バックアップ"),
            details={"schemas": schemas, "night": str(night), "site_ids": site_ids},
            council=True,
        )
        for schema in schemas:
            transaction.on_commit(partial(backup_schema_task.delay, schema, night.isoformat(), site_ids))
    return schemas
