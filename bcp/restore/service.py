"""The restore itself: drill or real restore, the move into the target schema, and its evidence."""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from psycopg import sql

from bcp.models import Backup, BackupSite, DrillStatus, RestoreDrill
from bcp.restore.database import (
    _quote,
    _run_tool,
    _tool,
    compare_tables,
    conninfo,
    create_database,
    database_exists,
    live_database,
    pg_restore,
    restored_checksums,
    schema_exists,
    scratch_database,
    scratch_name,
)
from bcp.restore.errors import (
    InvalidRestoreTarget,
    RestoreError,
    RestoreIntoActiveTown,
    RestoreIntoOtherTown,
    RestoreTargetExists,
    RestoreVerificationFailed,
)
from bcp.restore.fetch import (
    _decryption_key_ref,
    decrypt_artifact,
    fetch_and_verify,
    find_backup,
    find_backup_at_site,
    find_site,
)
from common import audit
from common.errors import ApplicationError
from tenants.models import Municipality

if TYPE_CHECKING:
    from tenants.models import Person

# The logger keeps the name it had before bcp/restore.py became a package.
logger = logging.getLogger("bcp.restore")

# A schema name we are willing to create: what django-tenants accepts for a town, lower-case and unquoted.
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_RESERVED_SCHEMAS = {"public", "information_schema"}


# Progress steps of the live bar (percent).
P_FOUND, P_VERIFIED, P_DECRYPTED, P_RESTORED, P_COMPARED, P_INSTALLED = 5, 30, 45, 75, 85, 95


def validate_target(*, source_schema: str, into_schema: str, into_database: str | None, replace: bool) -> None:
    """Refuse a target that is malformed, reserved, another town's, or an existing schema without ``replace``."""
    if not _SCHEMA_NAME.match(into_schema) or into_schema in _RESERVED_SCHEMAS or into_schema.startswith("pg_"):
        raise InvalidRestoreTarget(details={"into": into_schema})
    if into_database is not None and (not re.match(r"^[a-z_][a-z0-9_]{0,62}$", into_database)):
        raise InvalidRestoreTarget(
            "復元先のデータベース名が正しくありません(英小文字・数字・_ で63文字以内)。",
            details={"into_database": into_database},
        )
    live = into_database is None or into_database == live_database()
    town = Municipality.objects.filter(schema_name=into_schema).first() if live else None
    if town is not None and into_schema != source_schema:
        raise RestoreIntoOtherTown(
            f"{into_schema} は「{town.name}」のスキーマです。"
            f"{source_schema} のバックアップを復元することはできません。",
            details={"into": into_schema, "source": source_schema},
        )
    dbname = into_database or live_database()
    exists = (database_exists(dbname) or live) and schema_exists(dbname, into_schema)
    if exists and not replace:
        owner = f"(「{town.name}」の運用中のスキーマ)" if town is not None else ""
        raise RestoreTargetExists(
            f"復元先のスキーマ {into_schema}{owner}は既に存在します。上書きする場合は --replace を指定してください。"
            f" / Schema {into_schema} already exists; use --replace to overwrite it.",
            details={"into": into_schema, "database": dbname},
        )
    if town is not None and exists and town.status == Municipality.Status.ACTIVE:
        raise RestoreIntoActiveTown(
            f"「{town.name}」は運用中です。復元で上書きする前に、管理画面で停止中にしてください"
            f"(スナップショット以後の更新は失われます)。 / {into_schema} is an active municipality: suspend it first.",
            details={"into": into_schema, "database": dbname},
        )
    if town is not None and not replace:
        # The town's schema is missing (dropped, or lost with the server): recreating it is still a restore of
        # a town that the platform serves, so it takes the same explicit --replace.
        raise RestoreTargetExists(
            f"{into_schema} は「{town.name}」のスキーマ名です。復元する場合は --replace を指定してください。"
            f" / {into_schema} is the schema of a municipality; use --replace to restore it.",
            details={"into": into_schema, "database": dbname},
        )


# long: one procedure whose steps share one try block and its clean-up (locks, temporary files, the recorded outcome);
# split, each step would repeat the clean-up
def _install(
    *,
    scratch: str,
    dump: Path,
    source_schema: str,
    into_schema: str,
    into_database: str,
    replace: bool,
    expected: dict[str, Any],
    workdir: Path,
) -> dict[str, Any]:
    """Move the verified copy from the scratch database into ``into_schema`` of ``into_database``.

    pg_restore cannot rename a schema: a dump restores only under the name it was taken with. So the copy
    already restored (and verified) in the scratch database is renamed there (``ALTER SCHEMA … RENAME``, which
    keeps every object, sequence default and trigger, since they refer to each other by OID) and dumped
    again under the new name; that second dump is restored into the target in one transaction. With
    ``replace`` the existing schema is first renamed aside, kept until the new copy has been verified in
    place, then dropped — or renamed back if anything failed. Restoring a town over itself (same name)
    skips the second dump and restores the original one.
    """
    install_dump = dump
    if into_schema != source_schema:
        with psycopg.connect(conninfo(scratch), autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(_quote(source_schema), _quote(into_schema)))
        install_dump = workdir / "renamed.pgc"
        _run_tool(
            [
                _tool("pg_dump"),
                "--format=custom",
                f"--schema={into_schema}",
                "--no-owner",
                "--no-privileges",
                f"--file={install_dump}",
            ],
            step="pg_dump_renamed",
            message="名前を変えた復元データの書き出しに失敗しました",
            dbname=scratch,
        )
    if not database_exists(into_database):
        create_database(into_database)
    kept: str | None = None
    with psycopg.connect(conninfo(into_database), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [into_schema]).fetchone():
            if not replace:  # created since validate_target ran
                raise RestoreTargetExists(details={"into": into_schema, "database": into_database})
            kept = f"{into_schema[:36]}_pre_restore_{timezone.now():%Y%m%d%H%M%S}"
            conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(_quote(into_schema), _quote(kept)))
    try:
        pg_restore(dump=install_dump, dbname=into_database)
        differences = compare_tables(expected, restored_checksums(into_database, into_schema))
        if differences:
            raise RestoreVerificationFailed(
                "復元先に書き込んだデータがマニフェストと一致しません。元のスキーマを戻しました。",
                details={"step": "verify_target", "differences": differences},
            )
    except BaseException:
        with psycopg.connect(conninfo(into_database), autocommit=True) as conn, conn.transaction():
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(_quote(into_schema)))
            if kept is not None:
                conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(_quote(kept), _quote(into_schema)))
        raise
    if kept is not None:
        with psycopg.connect(conninfo(into_database), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(_quote(kept)))
    return {"database": into_database, "schema": into_schema, "replaced": kept is not None}


def _set_progress(drill: RestoreDrill, percent: int) -> None:
    drill.progress = percent
    RestoreDrill.objects.filter(pk=drill.pk).update(progress=percent)


@contextmanager
def _workdir() -> Iterator[Path]:
    base = getattr(settings, "KYODO_BACKUP_STAGING_DIR", None)
    if base:
        Path(base).mkdir(parents=True, exist_ok=True, mode=0o700)
    # The decrypted dump holds personal data: owner-only directory, removed whatever happens.
    with tempfile.TemporaryDirectory(prefix="kyodo-restore-", dir=base or None) as path:
        os.chmod(path, 0o700)
        yield Path(path)


# long: one procedure whose steps share one try block and its clean-up (locks, temporary files, the recorded outcome);
# split, each step would repeat the clean-up
def restore_backup(
    *,
    backup: Backup,
    site: BackupSite,
    into_schema: str | None = None,
    into_database: str | None = None,
    replace: bool = False,
    actor: Person | None = None,
    triggered_by: str = "",
    jobs: int = 1,
) -> RestoreDrill:
    """Restore ``backup`` from ``site``: a drill (no target) or a real restore into ``into_schema``.

    Refusals of the target (malformed, another town's schema, existing without ``replace``) raise before
    anything is written. Everything after that is recorded: the returned RestoreDrill is PASSED, or FAILED
    with the error and the differences — a failure is never raised past the evidence, so a scheduled drill
    can go on with the next town. ``into_database`` without ``into_schema`` restores under the backup's own
    schema name into that database.
    """
    real = into_schema is not None or into_database is not None
    target_schema = into_schema or backup.schema_name
    target_db = into_database or live_database()
    if real:
        try:
            validate_target(
                source_schema=backup.schema_name,
                into_schema=target_schema,
                into_database=into_database,
                replace=replace,
            )
        except RestoreError as exc:
            audit.record(
                actor=actor,
                action="bcp.restore_refused",
                obj=backup if backup.pk else ("bcp.Backup", "", backup.artifact_key),
                details={"site": site.name, "into": target_schema, "database": target_db, "code": exc.code},
                council=True,
            )
            raise
    started = timezone.now()
    drill = RestoreDrill.objects.create(
        schema_name=backup.schema_name,
        site=site,
        backup=backup if backup.pk else None,  # an unsaved Backup comes from the site (find_backup_at_site)
        kind="restore" if real else "drill",
        status=DrillStatus.RUNNING,
        started_at=started,
        backup_snapshot_at=backup.snapshot_at,
        achieved_rpo_seconds=(started - backup.snapshot_at).total_seconds() if backup.snapshot_at else None,
        triggered_by=triggered_by or (actor.full_name if actor is not None else "schedule"),
        target=f"{target_db}.{target_schema}" if real else "",
        report={
            "artifact_key": backup.artifact_key,
            "sha256": backup.sha256,
            "key_ref": backup.encryption_key_ref,
            "source": "catalogue" if backup.pk else "site",
        },
    )
    # Recorded before it exists, so that a worker killed mid-drill leaves a name to clean up
    # (bcp.drills.close_abandoned_drills) and never a database nobody knows about.
    scratch = scratch_name(str(drill.pk))
    drill.report["scratch_database"] = scratch
    drill.save(update_fields=["report"])
    _set_progress(drill, P_FOUND)
    clock = time.monotonic()
    steps: dict[str, float] = {}
    differences: list[dict[str, Any]] = []
    restored: dict[str, Any] = {}
    installed: dict[str, Any] | None = None
    error: ApplicationError | None = None
    restore_seconds: float | None = None
    try:
        with _workdir() as workdir:
            mark = time.monotonic()
            artifact, manifest = fetch_and_verify(backup=backup, site=site, workdir=workdir)
            steps["fetch_and_verify"] = time.monotonic() - mark
            _set_progress(drill, P_VERIFIED)
            mark = time.monotonic()
            key_ref = _decryption_key_ref(backup=backup, site=site, manifest=manifest)
            dump = decrypt_artifact(artifact=artifact, key_ref=key_ref, workdir=workdir)
            steps["decrypt"] = time.monotonic() - mark
            _set_progress(drill, P_DECRYPTED)
            expected = (backup.manifest or {}).get("tables") or manifest.get("tables") or {}
            with scratch_database(scratch):
                mark = time.monotonic()
                pg_restore(dump=dump, dbname=scratch, jobs=jobs)
                steps["pg_restore"] = time.monotonic() - mark
                _set_progress(drill, P_RESTORED)
                mark = time.monotonic()
                restored = restored_checksums(scratch, backup.schema_name)
                differences = compare_tables(expected, restored)
                steps["compare"] = time.monotonic() - mark
                _set_progress(drill, P_COMPARED)
                if differences:
                    raise RestoreVerificationFailed(details={"step": "compare", "differences": differences})
                if real:
                    mark = time.monotonic()
                    installed = _install(
                        scratch=scratch,
                        dump=dump,
                        source_schema=backup.schema_name,
                        into_schema=target_schema,
                        into_database=target_db,
                        replace=replace,
                        expected=expected,
                        workdir=workdir,
                    )
                    steps["install"] = time.monotonic() - mark
                    _set_progress(drill, P_INSTALLED)
                restore_seconds = time.monotonic() - clock
    except ApplicationError as exc:
        error = exc
        if not differences and isinstance(exc.details, dict):
            differences = list(exc.details.get("differences") or [])
    except Exception as exc:  # anything else is still a failed drill, never a silent pass
        logger.exception("restore of %s from %s failed", backup.schema_name, site.name)
        error = RestoreError(f"復元中に予期しないエラーが発生しました: {exc}", details={"step": "unexpected"})
    return _finish(
        drill=drill,
        actor=actor,
        error=error,
        differences=differences,
        restored=restored,
        steps=steps,
        installed=installed,
        restore_seconds=restore_seconds if error is None else None,
    )


def _finish(
    *,
    drill: RestoreDrill,
    actor: Person | None,
    error: ApplicationError | None,
    differences: list[dict[str, Any]],
    restored: dict[str, Any],
    steps: dict[str, float],
    installed: dict[str, Any] | None,
    restore_seconds: float | None,
) -> RestoreDrill:
    passed = error is None
    drill.status = DrillStatus.PASSED if passed else DrillStatus.FAILED
    drill.finished_at = timezone.now()
    drill.restore_seconds = restore_seconds
    drill.tables_checked = len(restored)
    drill.rows_checked = sum(int(value["rows"]) for value in restored.values())
    drill.differences = differences
    drill.progress = 100
    drill.error = "" if error is None else error.message
    drill.report = {
        **drill.report,
        "result": "passed" if passed else "failed",
        "error_code": None if error is None else error.code,
        "error_details": None if error is None else json.loads(json.dumps(error.details, default=str)),
        "steps_seconds": {name: round(seconds, 3) for name, seconds in steps.items()},
        "tables": restored,
        "installed": installed,
        "rpo_definition": "drill start − backup snapshot time",
        "rto_definition": "fetch start → restored copy verified (and installed, for a real restore)",
    }
    if drill.kind == "restore":
        action = "bcp.restore" if passed else "bcp.restore_failed"
    else:
        action = "bcp.drill_passed" if passed else "bcp.drill_failed"
    with transaction.atomic():
        drill.save()
        audit.record(
            actor=actor,
            action=action,
            obj=drill,
            details={
                "schema": drill.schema_name,
                "site": drill.site.name,
                "backup_id": drill.backup_id,
                "snapshot_at": drill.backup_snapshot_at,
                "target": drill.target,
                "restore_seconds": drill.restore_seconds,
                "achieved_rpo_seconds": drill.achieved_rpo_seconds,
                "tables": drill.tables_checked,
                "rows": drill.rows_checked,
                "differences": len(differences),
                "error_code": None if error is None else error.code,
            },
            council=True,
        )
    return drill


def record_unrunnable_drill(
    *, schema_name: str, site: BackupSite, error: ApplicationError, actor: Person | None = None
) -> RestoreDrill:
    """A drill that could not even start (no usable backup at the site) is evidence too: a FAILED drill."""
    drill = RestoreDrill.objects.create(
        schema_name=schema_name,
        site=site,
        kind="drill",
        status=DrillStatus.RUNNING,
        triggered_by=actor.full_name if actor is not None else "schedule",
        report={},
    )
    return _finish(
        drill=drill,
        actor=actor,
        error=error,
        differences=[],
        restored={},
        steps={},
        installed=None,
        restore_seconds=None,
    )


def restore_latest(
    *,
    schema_name: str,
    site_name: str,
    at: datetime | None = None,
    into_schema: str | None = None,
    into_database: str | None = None,
    replace: bool = False,
    from_site: bool = False,
    actor: Person | None = None,
    triggered_by: str = "",
) -> RestoreDrill:
    """What ``manage.py restore_municipality`` runs: find the backup (in the catalogue, or with ``from_site``
    by reading the site's manifests), then :func:`restore_backup`."""
    site = find_site(site_name)
    if from_site:
        backup = find_backup_at_site(schema_name=schema_name, site=site, at=at)
    else:
        backup = find_backup(schema_name=schema_name, site=site, at=at)
    return restore_backup(
        backup=backup,
        site=site,
        into_schema=into_schema,
        into_database=into_database,
        replace=replace,
        actor=actor,
        triggered_by=triggered_by,
    )
