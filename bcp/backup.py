"""Nightly backups (docs/bcp.md §2): every town schema and the public schema, dumped once, copied to every site.

One Backup row per (schema, night) — a unique constraint — makes a night's work idempotent: re-running it skips
a COMPLETE backup, finishes one whose uploads were interrupted (the artifact is reused: from the staging file, or
fetched back from a site that has a complete copy) and redoes a dump that never finished. A PostgreSQL
session-level advisory lock per (schema, night) keeps two workers from working on the same backup; a killed
worker's lock goes away with its connection, so the next run takes over.

Status rules (nothing is reported as a success that is not one):

* a copy is COMPLETE only after the artifact is in place at the site, its size checked, and its manifest written
  last;
* a Backup is COMPLETE once its artifact exists and at least one copy is COMPLETE (it can be restored); copies
  still FAILED are retried with exponential backoff by ``retry_due_uploads`` and raise alerts, warning first and
  critical after ``KYODO_BACKUP_CRITICAL_AFTER_ATTEMPTS`` attempts;
* a Backup with no complete copy is FAILED; a later successful retry completes it.

The staging file is kept until every copy is COMPLETE (retries upload it), then removed.

A worker on a backup writes a heartbeat (``Backup.heartbeat_at``) every ``KYODO_BACKUP_HEARTBEAT_SECONDS``; the
retry sweep fails a backup in progress whose heartbeat stopped, removes its partial staging file, raises an alert
and queues tonight's backup again (``recover_stalled_backups``, docs/domain/bcp-reliability.md §2).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from bcp import archive
from bcp.alerts import ALERT_BACKUP_FAILED, ALERT_UPLOAD_FAILED, raise_alert, resolve_open_alerts
from bcp.errors import BackupError, ChecksumMismatch, StorageError
from bcp.models import (
    AlertSeverity,
    Backup,
    BackupCopy,
    BackupSite,
    BackupStatus,
    CopyStatus,
)
from bcp.storage import storage_for
from common import audit
from common.wareki import to_wareki
from tenants.models import Municipality

if TYPE_CHECKING:
    from tenants.models import Person

logger = logging.getLogger(__name__)

AUDIT_LABELS = {
    "bcp.backup_complete": "BCP: バックアップ完了",
    "bcp.backup_failed": "BCP: バックアップ失敗",
    "bcp.backup_requested": "BCP: バックアップの即時実行",
    "bcp.copy_failed": "BCP: バックアップサイトへの転送失敗",
    "bcp.copy_complete": "BCP: バックアップサイトへの転送完了(再試行)",
    "bcp.retry_requested": "BCP: 転送の即時再試行",
    "bcp.alert_resolved": "BCP: 警報の解消",
    "bcp.backup_pruned": "BCP: 保持期間を過ぎたバックアップの削除",
}

# Share of the progress bar: the dump (with compression and encryption) up to 70 %, the uploads the rest.
DUMP_SHARE = 70
PROGRESS_INTERVAL_SECONDS = 1.0


# --- What is backed up, and where -------------------------------------------------------------------------


def backup_targets() -> list[str]:
    """The public schema and every tenant schema that has not withdrawn (towns and the council's own schema:
    its audit trail lives there). A suspended town's data still exists and is still backed up."""
    public = get_public_schema_name()
    schemas = (
        Municipality.objects.exclude(schema_name=public)
        .exclude(status=Municipality.Status.WITHDRAWN)
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )
    return [public, *schemas]


def active_sites() -> list[BackupSite]:
    return list(BackupSite.objects.filter(is_active=True).order_by("role", "name"))


def staging_dir() -> Path:
    # Created by the dump itself (bcp.archive.dump_schema), where a failure is reported as the backup's error.
    return Path(settings.KYODO_BACKUP_STAGING_DIR)


def staging_path(backup: Backup) -> Path:
    return staging_dir() / f"{backup.schema_name}-{backup.scheduled_for:%Y%m%d}-{backup.pk}.pgc.zst.age"


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: base × 2^(attempts−1), capped (300 s, 600 s, 1200 s … 6 h by default)."""
    base = settings.KYODO_BACKUP_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), settings.KYODO_BACKUP_RETRY_MAX_SECONDS))


def _town_label(backup: Backup) -> str:
    return backup.municipality_name or backup.schema_name


def _night_label(backup: Backup) -> str:
    # Messages shown on the dashboard use 和暦 like every other page (docs/bcp.md §7).
    return f"{to_wareki(backup.scheduled_for)}分"


def _municipality_name(schema: str) -> str:
    if schema == get_public_schema_name():
        return "共通 (public)"
    return Municipality.objects.filter(schema_name=schema).values_list("name", flat=True).first() or ""


# --- Locks and progress ---------------------------------------------------------------------------------------


def _lock_key(backup: Backup) -> int:
    digest = hashlib.sha256(f"kyodo-bcp-backup:{backup.schema_name}:{backup.scheduled_for}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def backup_lock(backup: Backup) -> Iterator[bool]:
    """A session-level advisory lock: held across the many short transactions of one backup, released by
    PostgreSQL itself when a killed worker's connection goes away."""
    key = _lock_key(backup)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@contextlib.contextmanager
def heartbeat(backup: Backup) -> Iterator[None]:
    """Beat while this worker holds the backup: a thread writes ``heartbeat_at`` every few seconds, on its own
    database connection (so a long pg_dump or upload in this thread does not delay it). A worker that dies stops
    beating, and ``recover_stalled_backups`` takes over."""
    interval = max(float(settings.KYODO_BACKUP_HEARTBEAT_SECONDS), 0.1)
    Backup.objects.filter(pk=backup.pk).update(heartbeat_at=timezone.now(), worker=worker_name())
    stopped = threading.Event()

    def beat() -> None:
        try:
            while not stopped.wait(interval):
                try:
                    with transaction.atomic():
                        # SKIP LOCKED: while this worker's own thread holds the row for a moment, skip one beat
                        # rather than wait for it.
                        mine = Backup.objects.select_for_update(skip_locked=True).filter(pk=backup.pk)
                        if mine.exists():
                            mine.update(heartbeat_at=timezone.now())
                except Exception:
                    # The next beat tries again; a database that stays away fails the backup itself anyway.
                    logger.warning("bcp: heartbeat of %s not written", backup, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"bcp-heartbeat-{backup.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopped.set()
        thread.join(timeout=interval + 10)


def _progress_writer(backup: Backup, low: int, high: int) -> Callable[[float], None]:
    """A callback for a fraction 0–1 that moves the backup's progress between ``low`` and ``high``, at most once
    a second (the dashboard polls it; a row update per 1 MiB block would only add load)."""
    last = 0.0

    def update(fraction: float) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < PROGRESS_INTERVAL_SECONDS:
            return
        last = now
        value = int(low + (high - low) * max(0.0, min(fraction, 1.0)))
        Backup.objects.filter(pk=backup.pk, progress__lt=value).update(progress=value)

    return update


# --- Alerts ---------------------------------------------------------------------------------------------------


# --- One backup ------------------------------------------------------------------------------------------------


def backup_schema(
    *,
    schema_name: str,
    scheduled_for: date,
    sites: Iterable[BackupSite] | None = None,
    actor: Person | None = None,
) -> Backup:
    """Back up one schema for one night to every site (or to ``sites``); safe to call again at any point.

    Never raises for a failure of the dump or of a site: the outcome is in the returned row (status, error) and
    in its copies, alerts and the council audit trail, so one town's failure cannot stop the others.
    """
    targets = list(sites) if sites is not None else active_sites()
    backup, _ = Backup.objects.get_or_create(
        schema_name=schema_name,
        scheduled_for=scheduled_for,
        defaults={"municipality_name": _municipality_name(schema_name)},
    )
    if _done(backup, targets):
        return backup
    with backup_lock(backup) as acquired:
        backup.refresh_from_db()
        if not acquired or _done(backup, targets):
            # Another worker holds this night's backup of the schema, or finished it meanwhile.
            return backup
        with heartbeat(backup):
            return _backup_locked(backup, targets=targets, actor=actor)


def _backup_locked(backup: Backup, *, targets: list[BackupSite], actor: Person | None) -> Backup:
    if not targets:
        return fail_backup(backup, actor=actor, message="有効なバックアップサイトがありません。", code="no_active_site")
    local = staging_path(backup)
    if not artifact_available(backup, local):
        if backup.status == BackupStatus.COMPLETE:
            _ensure_copies(backup, targets)
            # Never dump a complete backup again (its copies hold that snapshot); a site that still lacks
            # its copy waits for the artifact to be reachable again.
            missing = BackupError("作業領域にも他のサイトにも成果物がありません。", code="bcp_artifact_missing")
            for copy in backup.copies.select_related("site").filter(site__in=targets, status=CopyStatus.PENDING):
                copy_failed(copy, missing, actor=actor)
            return finish_backup(backup=backup, actor=actor)
        backup = _dump(backup, local=local, sites=targets, actor=actor)
        if backup.status == BackupStatus.FAILED:
            return backup
    _ensure_copies(backup, targets)
    pending = list(
        backup.copies.select_related("site")
        .filter(site__in=targets)
        .exclude(status__in=[CopyStatus.COMPLETE, CopyStatus.PRUNED])
        .order_by("site__role", "site__name")
    )
    for index, copy in enumerate(pending):
        share = (100 - DUMP_SHARE) / max(len(pending), 1)
        progress = _progress_writer(backup, int(DUMP_SHARE + index * share), int(DUMP_SHARE + (index + 1) * share))
        upload_copy(copy=copy, local_path=local, progress=progress, actor=actor)
    return finish_backup(backup=backup, actor=actor)


def _done(backup: Backup, sites: list[BackupSite]) -> bool:
    """COMPLETE, with a complete (or since pruned) copy at each of ``sites``: nothing left to do."""
    if backup.status != BackupStatus.COMPLETE:
        return False
    finished = set(
        backup.copies.filter(status__in=[CopyStatus.COMPLETE, CopyStatus.PRUNED]).values_list("site_id", flat=True)
    )
    return {site.pk for site in sites} <= finished


def artifact_available(backup: Backup, local: Path) -> bool:
    """Whether an earlier run already produced this backup's artifact, and it is (again) in the staging file.

    Copies that are already COMPLETE hold that artifact: a new dump would be another snapshot under another
    key, so the artifact is fetched back from such a site rather than dumped again."""
    if not backup.sha256 or not backup.artifact_key:
        return False
    if local.is_file() and local.stat().st_size == backup.size_bytes and archive.sha256_file(local) == backup.sha256:
        return True
    for copy in backup.copies.select_related("site").filter(status=CopyStatus.COMPLETE):
        partial = local.with_name(f".{local.name}.fetch")
        try:
            storage_for(copy.site).get_file(backup.artifact_key, partial)
            archive.verify_sha256(partial, backup.sha256)
            partial.replace(local)
            return True
        except (StorageError, ChecksumMismatch, OSError) as exc:
            logger.warning("bcp: could not fetch %s back from %s: %s", backup.artifact_key, copy.site.name, exc)
            partial.unlink(missing_ok=True)
    return False


# long: one procedure whose steps share one try block and its clean-up (locks, temporary files, the recorded outcome);
# split, each step would repeat the clean-up
def _dump(backup: Backup, *, local: Path, sites: list[BackupSite], actor: Person | None) -> Backup:
    if backup.copies.filter(status=CopyStatus.COMPLETE).exists():
        # Complete copies hold the earlier artifact, which could not be fetched back: dumping again would put
        # a second, different snapshot under this night. Retry later instead.
        return fail_backup(
            backup,
            actor=actor,
            message="既存の複製を作業領域に取得できなかったため、バックアップを再開できませんでした。",
            code="artifact_unavailable",
        )
    _remove_leftovers(backup, sites)
    key_refs = sorted({site.encryption_key_ref for site in sites})
    Backup.objects.filter(pk=backup.pk).update(
        status=BackupStatus.DUMPING,
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
        finished_at=None,
        progress=0,
        error="",
        sha256="",
        artifact_key="",
        size_bytes=None,
        dump_bytes=None,
        manifest={},
        encryption_key_ref=key_refs[0],
    )
    backup.refresh_from_db()
    try:
        result = archive.dump_schema(
            schema=backup.schema_name,
            target=local,
            key_refs=key_refs,
            progress=_progress_writer(backup, 0, DUMP_SHARE),
        )
    except BackupError as exc:
        return fail_backup(backup, actor=actor, message=exc.message, code=exc.code, details=exc.details)
    except Exception as exc:
        logger.exception("bcp: backup of %s failed", backup.schema_name)
        return fail_backup(
            backup, actor=actor, message=f"バックアップの取得中にエラーが発生しました: {exc}", code="error"
        )
    artifact_key = archive.artifact_key_for(backup.schema_name, result.snapshot_at)
    if Backup.objects.filter(artifact_key=artifact_key).exclude(pk=backup.pk).exists():
        artifact_key = archive.artifact_key_for(backup.schema_name, result.snapshot_at, suffix=str(backup.pk))
    manifest = archive.build_manifest(result, artifact_key=artifact_key)
    with transaction.atomic():
        Backup.objects.filter(pk=backup.pk).update(
            status=BackupStatus.UPLOADING,
            snapshot_at=result.snapshot_at,
            artifact_key=artifact_key,
            sha256=result.sha256,
            size_bytes=result.size_bytes,
            dump_bytes=result.dump_bytes,
            manifest=manifest,
            progress=DUMP_SHARE,
            details={**backup.details, "dump_seconds": round(result.seconds, 3), "key_refs": key_refs},
        )
        # A fresh artifact: every copy, whatever an earlier attempt left, must be uploaded again.
        backup.copies.exclude(status=CopyStatus.PRUNED).update(
            status=CopyStatus.PENDING, next_retry_at=None, uploaded_at=None, last_error=""
        )
    backup.refresh_from_db()
    return backup


def _remove_leftovers(backup: Backup, sites: list[BackupSite]) -> None:
    """An earlier attempt that never completed a copy may have left an artifact without a manifest (S3 puts the
    artifact under its final key). Nothing refers to it; remove it so it cannot be mistaken for a backup."""
    if not backup.artifact_key:
        return
    for site in sites:
        try:
            store = storage_for(site)
            for key in (archive.manifest_key_for(backup.artifact_key), backup.artifact_key):
                store.delete(key)
        except (StorageError, BackupError) as exc:
            logger.info("bcp: leftover of %s at %s not removed: %s", backup.artifact_key, site.name, exc)


def _ensure_copies(backup: Backup, sites: list[BackupSite]) -> None:
    for site in sites:
        BackupCopy.objects.get_or_create(backup=backup, site=site)


def fail_backup(
    backup: Backup, *, actor: Person | None, message: str, code: str, details: dict[str, Any] | Any = None
) -> Backup:
    with transaction.atomic():
        Backup.objects.filter(pk=backup.pk).update(
            status=BackupStatus.FAILED,
            finished_at=timezone.now(),
            progress=0,
            error=message,
            details={**backup.details, "error_code": code},
        )
        backup.refresh_from_db()
        raise_alert(
            kind=ALERT_BACKUP_FAILED,
            severity=AlertSeverity.CRITICAL,
            schema_name=backup.schema_name,
            message=f"{_town_label(backup)} ({_night_label(backup)}) のバックアップに失敗しました: {message}",
            details={"backup_id": backup.pk, "code": code},
        )
        audit.record(
            actor=actor,
            action="bcp.backup_failed",
            obj=backup,
            details={"schema": backup.schema_name, "night": str(backup.scheduled_for), "code": code, "error": message},
            council=True,
        )
    return backup


# --- One copy -------------------------------------------------------------------------------------------------


# long: one procedure whose steps share one try block and its clean-up (locks, temporary files, the recorded outcome);
# split, each step would repeat the clean-up
def upload_copy(
    *,
    copy: BackupCopy,
    local_path: Path | None = None,
    progress: Callable[[float], None] | None = None,
    actor: Person | None = None,
) -> BackupCopy:
    """Upload a backup's artifact and then its manifest to one site and verify the size there.

    A failure marks the copy FAILED with the time of its next retry and raises (or escalates) an alert; it is
    never raised to the caller, so the other sites are still tried."""
    backup = copy.backup
    site = copy.site
    local = local_path or staging_path(backup)
    BackupCopy.objects.filter(pk=copy.pk).update(status=CopyStatus.UPLOADING, attempts=F("attempts") + 1)
    copy.refresh_from_db()
    started = time.monotonic()
    try:
        if not local.is_file():
            raise BackupError("作業領域にバックアップの成果物がありません。", code="bcp_artifact_missing")
        key_refs = backup.manifest.get("key_refs") or [backup.encryption_key_ref]
        if site.encryption_key_ref not in key_refs:
            # A copy the site's own key cannot open is no backup for that site (its key changed after the dump).
            raise BackupError(
                f"このバックアップはサイトの暗号鍵「{site.encryption_key_ref}」向けに暗号化されていません"
                f"(暗号鍵: {', '.join(key_refs)})。次回の夜間バックアップで作成されます。",
                code="bcp_key_mismatch",
            )
        store = storage_for(site)
        size = backup.size_bytes or 0
        store.put_file(local, backup.artifact_key, progress=(lambda done: progress(done / size)) if progress else None)
        at_site = store.size(backup.artifact_key)
        if at_site != backup.size_bytes:
            raise BackupError(
                f"転送後のサイズが一致しません (サイト {at_site} バイト、成果物 {backup.size_bytes} バイト)。",
                code="bcp_upload_verification_failed",
            )
        # The manifest last: its presence is what marks a complete copy for anyone reading the site.
        store.put_bytes(archive.manifest_bytes(backup.manifest), archive.manifest_key_for(backup.artifact_key))
    except Exception as exc:
        return copy_failed(copy, exc, actor=actor)
    with transaction.atomic():
        BackupCopy.objects.filter(pk=copy.pk).update(
            status=CopyStatus.COMPLETE,
            uploaded_at=timezone.now(),
            upload_seconds=round(time.monotonic() - started, 3),
            next_retry_at=None,
            last_error="",
        )
        copy.refresh_from_db()
        if (
            resolve_open_alerts(kind=ALERT_UPLOAD_FAILED, schema_name=backup.schema_name, site=site)
            or copy.attempts > 1
        ):
            audit.record(
                actor=actor,
                action="bcp.copy_complete",
                obj=copy,
                details={"schema": backup.schema_name, "site": site.name, "attempts": copy.attempts},
                council=True,
            )
    return copy


def copy_failed(copy: BackupCopy, exc: Exception, *, actor: Person | None) -> BackupCopy:
    message = exc.message if isinstance(exc, BackupError) else f"{type(exc).__name__}: {exc}"
    if not isinstance(exc, BackupError):
        logger.exception("bcp: upload of %s to %s failed", copy.backup, copy.site.name)
    backup, site = copy.backup, copy.site
    critical_after = settings.KYODO_BACKUP_CRITICAL_AFTER_ATTEMPTS
    with transaction.atomic():
        BackupCopy.objects.filter(pk=copy.pk).update(
            status=CopyStatus.FAILED, last_error=message, next_retry_at=timezone.now() + retry_delay(copy.attempts)
        )
        copy.refresh_from_db()
        severity = AlertSeverity.CRITICAL if copy.attempts >= critical_after else AlertSeverity.WARNING
        raise_alert(
            kind=ALERT_UPLOAD_FAILED,
            severity=severity,
            schema_name=backup.schema_name,
            site=site,
            message=(
                f"{site} へ {_town_label(backup)} ({_night_label(backup)}) の"
                f"バックアップを転送できません ({copy.attempts} 回目): {message}"
            ),
            details={
                "copy_id": copy.pk,
                "attempts": copy.attempts,
                "next_retry_at": copy.next_retry_at.isoformat() if copy.next_retry_at else None,
                "code": getattr(exc, "code", "error"),
            },
        )
        audit.record(
            actor=actor,
            action="bcp.copy_failed",
            obj=copy,
            details={"schema": backup.schema_name, "site": site.name, "attempts": copy.attempts, "error": message},
            council=True,
        )
    return copy


def finish_backup(*, backup: Backup, actor: Person | None = None) -> Backup:
    """Settle a backup's status from its copies (see the module docstring); audits only a change of status."""
    backup.refresh_from_db()
    copies = list(backup.copies.exclude(status=CopyStatus.PRUNED).select_related("site"))
    complete = [copy.site.name for copy in copies if copy.status == CopyStatus.COMPLETE]
    waiting = [copy.site.name for copy in copies if copy.status != CopyStatus.COMPLETE]
    if not waiting and copies:
        staging_path(backup).unlink(missing_ok=True)
    if not complete:
        if backup.status != BackupStatus.FAILED:
            return fail_backup(
                backup,
                actor=actor,
                message=f"どのバックアップサイトにも転送できませんでした ({', '.join(waiting)})。再試行します。",
                code="no_site_reached",
            )
        return backup
    error = f"転送待ちのサイト: {', '.join(waiting)}(自動で再試行します)" if waiting else ""
    with transaction.atomic():
        was_complete = backup.status == BackupStatus.COMPLETE
        Backup.objects.filter(pk=backup.pk).update(
            status=BackupStatus.COMPLETE,
            progress=100,
            finished_at=backup.finished_at if was_complete else timezone.now(),
            error=error,
        )
        backup.refresh_from_db()
        if not was_complete:
            resolve_open_alerts(kind=ALERT_BACKUP_FAILED, schema_name=backup.schema_name)
            audit.record(
                actor=actor,
                action="bcp.backup_complete",
                obj=backup,
                details={
                    "schema": backup.schema_name,
                    "night": str(backup.scheduled_for),
                    "snapshot_at": backup.snapshot_at.isoformat() if backup.snapshot_at else None,
                    "sha256": backup.sha256,
                    "size": backup.size_bytes,
                    "sites": complete,
                    "waiting_sites": waiting,
                },
                council=True,
            )
    return backup


# --- Nights and retries ---------------------------------------------------------------------------------------
