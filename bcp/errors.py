"""Errors of the BCP backup engine (stable codes, Japanese messages).

B2/B3/B4 define their own exception classes in their own modules; these are the ones the backup side raises
and the restore side may catch (wrong key, tampered artifact, unreachable site).
"""

from __future__ import annotations

from common.errors import ApplicationError


class BackupError(ApplicationError):
    code = "bcp_backup_error"
    message = "バックアップを完了できませんでした。"


class NotABackupTarget(BackupError):
    code = "bcp_not_a_backup_target"
    message = "バックアップ対象ではないスキーマです。"


class KeyNotConfigured(BackupError):
    # Keys come from the environment of the workers (settings.KYODO_BACKUP_KEYS), never from the database.
    code = "bcp_key_not_configured"
    message = "暗号鍵の参照名が設定 (KYODO_BACKUP_KEYS) にありません。"


class InvalidKey(BackupError):
    code = "bcp_invalid_key"
    message = "暗号鍵の形式が正しくありません (AGE-SECRET-KEY-1… の形式で設定してください)。"


class CredentialsNotConfigured(BackupError):
    code = "bcp_credentials_not_configured"
    message = "認証情報の参照名が設定 (KYODO_BACKUP_CREDENTIALS) にありません。"


class DecryptionFailed(BackupError):
    # A wrong key and a tampered artifact are both refused; the two are told apart in the message.
    code = "bcp_decryption_failed"
    message = "バックアップを復号できませんでした。"


class WrongKey(DecryptionFailed):
    code = "bcp_wrong_key"
    message = "バックアップを復号できません: 暗号鍵が一致しません。"


class ArtifactTampered(DecryptionFailed):
    code = "bcp_artifact_tampered"
    message = "バックアップが改ざんまたは破損しているため復号できません。"


class ChecksumMismatch(BackupError):
    code = "bcp_checksum_mismatch"
    message = "バックアップの SHA-256 がマニフェストと一致しません。"


class DumpFailed(BackupError):
    code = "bcp_dump_failed"
    message = "pg_dump によるバックアップの取得に失敗しました。"


class StagingFull(BackupError):
    code = "bcp_staging_full"
    message = "作業領域の空き容量が不足しているため、バックアップを作成できませんでした(既存のバックアップは無変更)。"


class StorageError(BackupError):
    code = "bcp_storage_error"
    message = "バックアップサイトへの読み書きに失敗しました。"


class SiteUnreachable(StorageError):
    code = "bcp_site_unreachable"
    message = "バックアップサイトに接続できません。"


class ObjectMissing(StorageError):
    code = "bcp_object_missing"
    message = "バックアップサイトに対象のファイルがありません。"
    status_code = 404


class UploadVerificationFailed(StorageError):
    code = "bcp_upload_verification_failed"
    message = "転送後の確認で、バックアップサイト上のサイズが一致しませんでした。"


class InvalidSite(BackupError):
    code = "bcp_invalid_site"
    message = "バックアップサイトの設定に誤りがあります。"


class SiteNotIdentified(SiteUnreachable):
    # docs/domain/bcp-reliability.md §1: no marker, no write. An unmounted disk leaves an empty mount point on the
    # system disk; writing there would report a copy that is not at the site.
    code = "bcp_site_marker_missing"
    message = "バックアップサイトの識別マーカーがありません(ディスクが未接続か、サイトの初期設定が済んでいません)。"


class SiteMarkerForeign(SiteUnreachable):
    code = "bcp_site_marker_foreign"
    message = "バックアップサイトの識別マーカーが別のサイトまたは別の協議会のものです。"


class SiteNotMounted(SiteUnreachable):
    code = "bcp_site_not_mounted"
    message = "バックアップサイトの保存先がマウントされていません。"
