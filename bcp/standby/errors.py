"""Errors of the standby (bcp.standby), each with a stable code and a Japanese message."""

from __future__ import annotations

from common.errors import ApplicationError, NotFound

# --- Errors ------------------------------------------------------------------------------------------------


class StandbyError(ApplicationError):
    code = "standby_error"
    message = "待機系の処理に失敗しました。"


class InvalidStandbyName(StandbyError):
    code = "standby_invalid_name"
    message = "待機系の名称は英小文字で始まる英小文字・数字・下線(40文字まで)で指定してください。"


class StandbyNotFound(NotFound):
    code = "standby_not_found"
    message = "指定された待機系が見つかりません。"


class StandbySiteNotFound(NotFound):
    code = "standby_site_not_found"
    message = "指定されたバックアップサイトが見つかりません。"


class StandbyDsnMissing(StandbyError):
    code = "standby_dsn_missing"
    message = "待機系の接続先が設定されていません (settings.KYODO_STANDBY_DSNS に参照名がありません)。"


class WalLevelNotLogical(StandbyError):
    code = "standby_wal_level_not_logical"
    message = (
        "本番系の wal_level が logical ではありません。postgresql.conf に wal_level = logical を設定し、"
        "PostgreSQL を再起動してから再実行してください。"
    )


class StandbyUnreachable(StandbyError):
    code = "standby_unreachable"
    message = "待機系のデータベースに接続できません。"


class StandbyNotEmpty(StandbyError):
    code = "standby_not_empty"
    message = (
        "待機系のデータベースには購読がないのにデータがあります (昇格済みの旧待機系など)。"
        "新しい空のデータベースを待機系に指定してください。"
    )


class StructureCopyFailed(StandbyError):
    code = "standby_structure_copy_failed"
    message = "待機系へのテーブル構造の複写に失敗しました。"


class ReplicationCommandFailed(StandbyError):
    code = "standby_replication_command_failed"
    message = "パブリケーションまたはサブスクリプションの操作に失敗しました。"


class StandbyRoleMissing(StandbyError):
    code = "standby_role_missing"
    message = (
        "指定されたアプリの役割 (ロール) が待機系にありません。役割はレプリケーションされないため、"
        "先に作成してください。"
    )


class StandbyRoleIsAdmin(StandbyError):
    code = "standby_role_is_admin"
    message = (
        "アプリの役割には、待機系の構成と購読に使う管理者とは別の役割を指定してください "
        "(管理者を読み取り専用にすると複製が止まります)。"
    )


class NotAStandby(StandbyError):
    code = "standby_not_a_standby"
    message = (
        "接続先のデータベースにこの待機系の購読がありません。DATABASE_URL が待機系を指しているか確認してください "
        "(本番系で昇格を実行することはできません)。"
    )
