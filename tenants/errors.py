from common.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed


class InvalidMunicipalityCode(ValidationFailed):
    code = "invalid_municipality_code"
    message = "全国地方公共団体コードが正しくありません(6桁・検査数字を確認してください)。"


class InvalidSchemaName(ValidationFailed):
    code = "invalid_schema_name"
    message = "スキーマ名が正しくありません(英小文字で始まる英小文字・数字・_ の2〜40文字)。"


class InvalidDomain(ValidationFailed):
    code = "invalid_domain"
    message = "ホスト名が正しくありません。"


class MunicipalityConflict(ApplicationError):
    code = "municipality_conflict"
    message = "同じコード・スキーマ名・ホスト名の自治体が既に登録されています。"
    status_code = 409


class ProvisioningFailed(ApplicationError):
    code = "provisioning_failed"
    message = "自治体の作成に失敗しました。作成途中のものは削除しました。"
    status_code = 500


class MunicipalityNotFound(NotFound):
    code = "municipality_not_found"
    message = "自治体が見つかりません。"


class NoMembership(PermissionDenied):
    code = "no_membership"
    message = "この自治体での所属(利用権限)がありません。"


class InvalidSwitchTicket(PermissionDenied):
    code = "invalid_switch_ticket"
    message = "自治体切替の手続きが無効か、期限切れです。もう一度切り替えてください。"


class OtpRequired(PermissionDenied):
    code = "otp_required"
    message = "2要素認証を完了してから操作してください。"


class WithdrawalFailed(ApplicationError):
    code = "withdrawal_failed"
    message = "脱退処理を完了できませんでした。自治体のデータは変更していません。"
    status_code = 500


class MunicipalityUnavailable(ApplicationError):
    code = "municipality_unavailable"
    message = "この自治体のシステムは現在利用できません(停止中または脱退済み)。"
    status_code = 503
