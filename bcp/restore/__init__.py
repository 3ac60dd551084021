"""Restoring a backup: the restore drill (into a scratch database, then dropped) and the real restore.

Both follow the same path, so a passing drill proves exactly what a real restore would do (docs/bcp.md §4):

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

from bcp.restore.database import (
    SCRATCH_PREFIX,
    compare_tables,
    conninfo,
    create_database,
    database_exists,
    drop_database,
    live_database,
    pg_restore,
    restored_checksums,
    schema_exists,
    scratch_database,
    scratch_name,
)
from bcp.restore.errors import (
    ArtifactChecksumMismatch,
    InvalidRestoreTarget,
    ManifestMismatch,
    NoUsableBackup,
    RestoreError,
    RestoreIntoActiveTown,
    RestoreIntoOtherTown,
    RestoreTargetExists,
    RestoreVerificationFailed,
    SiteNotFound,
)
from bcp.restore.fetch import (
    ARTIFACT_NAME,
    MANIFEST_NAME,
    decrypt_artifact,
    fetch_and_verify,
    find_backup,
    find_backup_at_site,
    find_site,
)
from bcp.restore.service import (
    P_COMPARED,
    P_DECRYPTED,
    P_FOUND,
    P_INSTALLED,
    P_RESTORED,
    P_VERIFIED,
    record_unrunnable_drill,
    restore_backup,
    restore_latest,
    validate_target,
)

# The functions live in the submodules and call one another there: a test that replaces one of them must
# patch it where it is called (``bcp.restore.service.pg_restore``), not here.
AUDIT_LABELS = {
    "bcp.drill_passed": "BCP: 復元訓練(合格)",
    "bcp.drill_failed": "BCP: 復元訓練(不合格)",
    "bcp.restore": "BCP: バックアップからの復元",
    "bcp.restore_failed": "BCP: バックアップからの復元(失敗)",
    "bcp.restore_refused": "BCP: 復元の拒否(復元先が不適切)",
}

# Every name of the module bcp/restore.py before it became a package, private ones included, so that
# ``bcp.restore.<name>`` keeps working for its callers (commands, tasks, benchmarks, tests).
__all__ = [
    "ARTIFACT_NAME",
    "AUDIT_LABELS",
    "MANIFEST_NAME",
    "P_COMPARED",
    "P_DECRYPTED",
    "P_FOUND",
    "P_INSTALLED",
    "P_RESTORED",
    "P_VERIFIED",
    "SCRATCH_PREFIX",
    "ArtifactChecksumMismatch",
    "InvalidRestoreTarget",
    "ManifestMismatch",
    "NoUsableBackup",
    "RestoreError",
    "RestoreIntoActiveTown",
    "RestoreIntoOtherTown",
    "RestoreTargetExists",
    "RestoreVerificationFailed",
    "SiteNotFound",
    "compare_tables",
    "conninfo",
    "create_database",
    "database_exists",
    "decrypt_artifact",
    "drop_database",
    "fetch_and_verify",
    "find_backup",
    "find_backup_at_site",
    "find_site",
    "live_database",
    "pg_restore",
    "record_unrunnable_drill",
    "restore_backup",
    "restore_latest",
    "restored_checksums",
    "schema_exists",
    "scratch_database",
    "scratch_name",
    "validate_target",
]
