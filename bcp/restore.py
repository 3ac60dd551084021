"""Restoring a backup: the restore drill (into a scratch database, then dropped) and the real restore.

Both follow the same path, so a passing drill proves exactly what a real restore would do (issue 5 §4):

1. **fetch** the artifact and its manifest from the site (only a COMPLETE copy: the manifest is written last);
2. **verify** the artifact's SHA-256 against the manifest at the site *and* against the Backup row, before
   anything is decrypted — a flipped byte is refused here and nothing is restored;
3. **decrypt** (age, authenticated: a wrong key or a tampered payload fails loudly) and **decompress** (zstd);
4. **pg_restore** into a scratch database ``kyodo_drill_<id>_<random>`` created for the purpose with the
   extensions the platform gives every town (common.tenancy.PUBLIC_EXTENSIONS); a fresh database also proves
   the dump needs nothing from outside its schema;
5. **compare** every table's row count and checksum with the manifest (``bcp.archive.table_checksums``, the
   same SQL as at backup time), listing every difference;
6. a real restore then **moves** the verified copy into the target (see :func:`_install`); the scratch
   database is always dropped, on success and on failure.

The backup is found in the catalogue (:func:`find_backup`: the newest COMPLETE Backup with a COMPLETE copy at
the site, or the newest at/before a time) or, when the catalogue itself was lost, by reading the site's own
manifests (:func:`find_backup_at_site`, ``restore_municipality --from-site``).

Evidence: one :class:`~bcp.models.RestoreDrill` per run, created RUNNING at the start (its ``progress`` feeds
the dashboard's live bar) and finished PASSED or FAILED with the reason and the differences. Measures:

* **achieved RPO** = drill start − the backup's snapshot time: the data that would have been lost had the
  primary been destroyed when the drill started and this backup (the newest usable one at that site) been
  all there was. The dashboard compares it with ``BackupSite.rpo_target_minutes``.
* **RTO** (``restore_seconds``) = from the start of the fetch until the restored copy was verified (and, for a
  real restore, installed and verified again in the target) — the time the town would wait for its data. The
  scratch clean-up afterwards is not part of it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from bcp import archive, keys, storage
from bcp.models import Backup, BackupSite, BackupStatus, CopyStatus, DrillStatus, RestoreDrill
from common import audit
from common.errors import ApplicationError
from common.tenancy import PUBLIC_EXTENSIONS
from tenants.models import Municipality

if TYPE_CHECKING:
    from tenants.models import Person

logger = logging.getLogger(__name__)

AUDIT_LABELS = {
    "bcp.drill_passed": "BCP: 復元訓練(合格)",
    "bcp.drill_failed": "BCP: 復元訓練(不合格)",
    "bcp.restore": "BCP: バックアップからの復元",
    "bcp.restore_failed": "BCP: バックアップからの復元(失敗)",
    "bcp.restore_refused": "BCP: 復元の拒否(復元先が不適切)",
}

ARTIFACT_NAME = "dump.pgc.zst.age"
MANIFEST_NAME = "manifest.json"
SCRATCH_PREFIX = "kyodo_drill_"

# A schema name we are willing to create: what django-tenants accepts for a town, lower-case and unquoted.
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_RESERVED_SCHEMAS = {"public", "information_schema"}

# Progress steps of the live bar (percent).
P_FOUND, P_VERIFIED, P_DECRYPTED, P_RESTORED, P_COMPARED, P_INSTALLED = 5, 30, 45, 75, 85, 95

# --- Errors ----------------------------------------------------------------------------------------


class RestoreError(ApplicationError):
    code = "bcp_restore_failed"
    message = "バックアップを復元できませんでした。"


class NoUsableBackup(RestoreError):
    code = "bcp_backup_not_found"
    message = "指定したサイトに、復元できる完了済みのバックアップがありません。"
    status_code = 404


class SiteNotFound(RestoreError):
    code = "bcp_site_not_found"
    message = "指定したバックアップサイトがありません。"
    status_code = 404


class ArtifactChecksumMismatch(RestoreError):
    # Checked before decryption: a damaged or altered artifact is never decrypted, let alone restored.
    code = "bcp_artifact_checksum_mismatch"
    message = "バックアップファイルの SHA-256 がマニフェストと一致しません。改ざんまたは破損のため復元を中止しました。"


class ManifestMismatch(RestoreError):
    code = "bcp_manifest_mismatch"
    message = "バックアップサイトのマニフェストがバックアップの記録と一致しません。復元を中止しました。"


class RestoreVerificationFailed(RestoreError):
    code = "bcp_restore_verification_failed"
    message = "復元したデータがマニフェスト(行数・チェックサム)と一致しません。"


class InvalidRestoreTarget(RestoreError):
    code = "bcp_invalid_restore_target"
    message = "復元先のスキーマ名が正しくありません(英小文字・数字・_ で63文字以内)。"


class RestoreTargetExists(RestoreError):
    code = "bcp_restore_target_exists"
    message = "復元先のスキーマは既に存在します。上書きする場合は --replace を指定してください。"
    status_code = 409


class RestoreIntoActiveTown(RestoreError):
    # A restore over a live town loses every write made after the snapshot, and clerks writing meanwhile would
    # race the swap: the town must be taken out of service (停止中) first, a visible, audited decision.
    code = "bcp_restore_into_active_town"
    message = "運用中の自治体のスキーマには復元できません。先に管理画面で「停止中」にしてください。"
    status_code = 409


class RestoreIntoOtherTown(RestoreError):
    # Tenant isolation: one town's backup must never land in another town's schema.
    code = "bcp_restore_into_other_town"
    message = "他の自治体のスキーマへ復元することはできません。"
    status_code = 409


# --- Finding the backup ----------------------------------------------------------------------------


def find_site(name: str) -> BackupSite:
    site = BackupSite.objects.filter(name=name).first()
    if site is None:
        raise SiteNotFound(f"バックアップサイト「{name}」がありません。", details={"site": name})
    return site


def find_backup(*, schema_name: str, site: BackupSite, at: datetime | None = None) -> Backup:
    """The newest COMPLETE backup of ``schema_name`` whose copy at ``site`` is COMPLETE (at or before ``at``)."""
    backups = Backup.objects.filter(
        schema_name=schema_name,
        status=BackupStatus.COMPLETE,
        snapshot_at__isnull=False,
        copies__site=site,
        copies__status=CopyStatus.COMPLETE,
    )
    if at is not None:
        backups = backups.filter(snapshot_at__lte=at)
    backup = backups.order_by("-snapshot_at", "-pk").first()
    if backup is None:
        when = f"({timezone.localtime(at):%Y-%m-%d %H:%M} 以前)" if at is not None else ""
        raise NoUsableBackup(
            f"サイト「{site.name}」に {schema_name} の完了済みバックアップ{when}がありません。",
            details={"schema": schema_name, "site": site.name, "at": at.isoformat() if at else None},
        )
    return backup


def find_backup_at_site(*, schema_name: str, site: BackupSite, at: datetime | None = None) -> Backup:
    """The newest complete copy of ``schema_name`` at ``site`` found by reading the site itself.

    For the day the catalogue is gone (the public schema lost with the primary, or restored from an older
    backup): the site's manifests are the only record. A copy counts only when its manifest exists (the
    manifest is written last). The Backup returned is **not saved**; it carries what the manifest says, and
    the restore checks the artifact against that manifest's SHA-256 before age authenticates every chunk.
    """
    store = storage.storage_for(site)
    stamps = sorted(
        {key.split("/")[1] for key in store.list(schema_name) if key.count("/") == 2 and key.endswith(MANIFEST_NAME)},
        reverse=True,
    )
    for stamp in stamps:
        manifest = archive.parse_manifest(store.get_bytes(f"{schema_name}/{stamp}/{MANIFEST_NAME}"))
        snapshot_at = datetime.fromisoformat(str(manifest["snapshot_at"]))
        if manifest.get("schema") != schema_name or (at is not None and snapshot_at > at):
            continue
        artifact = manifest.get("artifact") or {}
        return Backup(
            schema_name=schema_name,
            snapshot_at=snapshot_at,
            scheduled_for=timezone.localdate(snapshot_at),
            status=BackupStatus.COMPLETE,
            artifact_key=str(artifact.get("key") or f"{schema_name}/{stamp}/{ARTIFACT_NAME}"),
            size_bytes=artifact.get("size"),
            dump_bytes=manifest.get("dump_size"),
            sha256=str(artifact.get("sha256") or ""),
            encryption_key_ref=str(manifest.get("key_ref") or ""),
            manifest=manifest,
        )
    when = f"({timezone.localtime(at):%Y-%m-%d %H:%M} 以前)" if at is not None else ""
    raise NoUsableBackup(
        f"サイト「{site.name}」の保存先に {schema_name} の完了済みバックアップ{when}がありません。",
        details={"schema": schema_name, "site": site.name, "at": at.isoformat() if at else None, "source": "site"},
    )


# --- Connections and PostgreSQL tools --------------------------------------------------------------


def conninfo(dbname: str | None = None) -> str:
    return archive.conninfo(dbname)


def live_database() -> str:
    return str(connection.settings_dict["NAME"])


def _tool(name: str) -> str:
    configured = getattr(settings, "KYODO_PG_BIN", "")
    found = str(Path(configured) / name) if configured else shutil.which(name)
    if not found or not os.access(found, os.X_OK):
        raise RestoreError(
            f"{name} が見つかりません。PostgreSQL クライアントをインストールするか、KYODO_PG_BIN を設定してください。",
            details={"step": "find_tools", "tool": name},
        )
    return found


def _run_tool(args: list[str], *, step: str, message: str, dbname: str) -> None:
    try:
        result = subprocess.run(args, capture_output=True, text=True, env=archive.tool_env(dbname), check=False)
    except OSError as exc:
        raise RestoreError(f"{message}: {exc}", details={"step": step}) from exc
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-10:])
        raise RestoreError(f"{message}: {tail}", details={"step": step, "returncode": result.returncode})


def _quote(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def schema_exists(dbname: str, schema: str) -> bool:
    with psycopg.connect(conninfo(dbname), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone() is not None


def database_exists(dbname: str) -> bool:
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone() is not None


def create_database(dbname: str) -> None:
    """A new database like the live one (encoding, collation) with the extensions every town relies on."""
    with psycopg.connect(conninfo(), autocommit=True) as admin:
        row = admin.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database "
            "WHERE datname = current_database()"
        ).fetchone()
        assert row is not None
        encoding, collate, ctype = row
        try:
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}").format(
                    _quote(dbname), sql.Literal(encoding), sql.Literal(collate), sql.Literal(ctype)
                )
            )
        except psycopg.Error as exc:
            raise RestoreError(
                f"復元用のデータベース {dbname} を作成できません(CREATEDB 権限が必要です): {exc}",
                details={"step": "create_database", "database": dbname},
            ) from exc
    with psycopg.connect(conninfo(dbname), autocommit=True) as conn:
        for extension in PUBLIC_EXTENSIONS:
            available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", [extension]).fetchone()
            if available:  # a server without contrib has none, and its towns do not use it either
                conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {} SCHEMA public").format(_quote(extension)))


def drop_database(dbname: str) -> None:
    # WITH (FORCE): a connection left behind by a killed step must not keep the scratch copy alive.
    with psycopg.connect(conninfo(), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(_quote(dbname)))


def scratch_name(label: str) -> str:
    """``kyodo_drill_<label>_<random>``: the random part keeps apart runs whose drill ids coincide (several
    test databases, or a restored council database, on one server)."""
    return f"{SCRATCH_PREFIX}{label}_{secrets.token_hex(3)}"


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A throwaway database ``name``, dropped whatever happens."""
    create_database(name)
    try:
        yield name
    finally:
        try:
            drop_database(name)
        except psycopg.Error:
            logger.exception("could not drop the scratch database %s", name)


def restored_checksums(dbname: str, schema: str) -> dict[str, dict[str, Any]]:
    """Row count and checksum of every table of ``schema`` in ``dbname``, by the backup's own SQL."""
    with psycopg.connect(conninfo(dbname), autocommit=True) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction(), conn.cursor() as cursor:
            return {table: dict(value) for table, value in archive.table_checksums(cursor, schema).items()}


def compare_tables(expected: dict[str, Any], restored: dict[str, Any]) -> list[dict[str, Any]]:
    """Every difference between the manifest's tables and the restored ones (missing, unexpected, mismatch)."""
    return archive.compare_checksums(expected, restored)


# --- Fetch, verify, decrypt ------------------------------------------------------------------------


def fetch_and_verify(*, backup: Backup, site: BackupSite, workdir: Path) -> tuple[Path, dict[str, Any]]:
    """Download the artifact and manifest of ``backup`` from ``site`` and check them before any decryption.

    The SHA-256 must agree three ways: the file as downloaded, the manifest at the site, and the Backup row
    (written by the worker that made the backup). The site's manifest must also agree with the row's on the
    schema and the tables, so a manifest altered at the site (e.g. to cover a changed artifact) is refused.
    """
    if not backup.artifact_key:
        raise RestoreError("バックアップに成果物のキーが記録されていません。", details={"step": "fetch"})
    store = storage.storage_for(site)
    try:
        manifest = archive.parse_manifest(store.get_bytes(archive.manifest_key_for(backup.artifact_key)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestMismatch(
            "バックアップサイトのマニフェストを読み取れません。", details={"step": "fetch_manifest"}
        ) from exc
    site_sha256 = (manifest.get("artifact") or {}).get("sha256")
    problems: dict[str, Any] = {}
    if backup.sha256 and site_sha256 != backup.sha256:
        problems["sha256"] = {"backup_record": backup.sha256, "site_manifest": site_sha256}
    if manifest.get("schema") != backup.schema_name:
        problems["schema"] = {"backup_record": backup.schema_name, "site_manifest": manifest.get("schema")}
    recorded_tables = (backup.manifest or {}).get("tables")
    if recorded_tables and manifest.get("tables") != recorded_tables:
        problems["tables"] = archive.compare_checksums(recorded_tables, manifest.get("tables") or {})
    if problems:
        raise ManifestMismatch(details={"step": "verify_manifest", "problems": problems})

    artifact_path = workdir / ARTIFACT_NAME
    store.get_file(backup.artifact_key, artifact_path)
    expected = backup.sha256 or site_sha256
    actual = archive.sha256_file(artifact_path)
    if actual != expected:
        raise ArtifactChecksumMismatch(
            details={"step": "verify_sha256", "expected": expected, "actual": actual, "key": backup.artifact_key}
        )
    return artifact_path, manifest


def _decryption_key_ref(*, backup: Backup, site: BackupSite, manifest: dict[str, Any]) -> str:
    """The key to decrypt with: the artifact is encrypted to every site's key (manifest ``key_refs``); this
    worker uses the first of them it holds, the site's own first. None held → the site's, which fails with
    a clear "key not configured"."""
    candidates = [site.encryption_key_ref, *(manifest.get("key_refs") or []), manifest.get("key_ref")]
    candidates.append(backup.encryption_key_ref)
    held = set(keys.configured_key_refs())
    return next((str(ref) for ref in candidates if ref and ref in held), site.encryption_key_ref)


def decrypt_artifact(*, artifact: Path, key_ref: str, workdir: Path) -> Path:
    """age-decrypt and zstd-decompress the artifact into a pg_dump custom-format file (bcp.archive)."""
    dump = workdir / "dump.pgc"
    archive.decrypt_to(artifact, dump, key_ref=key_ref)
    artifact.unlink()  # at most one copy of the town on the worker's disk besides the database
    return dump


# --- Restore ---------------------------------------------------------------------------------------


def pg_restore(*, dump: Path, dbname: str, jobs: int = 1) -> None:
    """pg_restore of a custom-format dump, stopping at the first error.

    Into a scratch database several jobs may run (a failure drops the whole database anyway); into the live
    database only one, in one transaction, so a failure leaves nothing behind.
    """
    args = [_tool("pg_restore"), "--exit-on-error", "--no-owner", "--no-privileges", f"--dbname={dbname}"]
    args += [f"--jobs={jobs}"] if jobs > 1 else ["--single-transaction"]
    use_list = _without_public_schema_entry(dump)
    if use_list is not None:
        args.append(f"--use-list={use_list}")
    _run_tool(
        [*args, str(dump)],
        step="pg_restore",
        message="pg_restore による復元に失敗しました",
        dbname=dbname,
    )


def _without_public_schema_entry(dump: Path) -> Path | None:
    """For a dump of the public schema: its table of contents without ``CREATE SCHEMA public``.

    Every database already has a public schema (holding the extensions the towns use, PUBLIC_EXTENSIONS), and
    pg_dump of ``--schema=public`` still emits its CREATE SCHEMA, which would stop the restore. Every other
    entry (tables, data, indexes, the schema's comment) is kept. Town dumps are restored as they are.
    """
    listing = subprocess.run([_tool("pg_restore"), "--list", str(dump)], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        raise RestoreError(
            f"バックアップの目録を読み取れません: {listing.stderr.strip()[-500:]}", details={"step": "pg_restore_list"}
        )
    lines = listing.stdout.splitlines(keepends=True)
    kept = [line for line in lines if not re.search(r"^\d+; \d+ \d+ SCHEMA - public ", line)]
    if len(kept) == len(lines):
        return None
    path = dump.with_name(dump.name + ".list")
    path.write_text("".join(kept), encoding="utf-8")
    return path


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
