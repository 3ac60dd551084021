"""Errors of the restore (bcp.restore), each with a stable code and a Japanese message."""

from __future__ import annotations

from common.errors import ApplicationError

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
