from common.errors import ApplicationError, Conflict, NotFound, ValidationFailed


class InvalidMyNumber(ValidationFailed):
    code = "invalid_my_number"
    message = "個人番号が正しくありません(12桁・検査用数字を確認してください)。"


class InvalidEventDate(ValidationFailed):
    code = "invalid_event_date"
    message = "異動日が正しくありません。"


class InvalidNotificationDate(ValidationFailed):
    code = "invalid_notification_date"
    message = "届出日が正しくありません。"


class ResidentNotFound(NotFound):
    code = "resident_not_found"
    message = "該当する住民が見つかりません。"


class HouseholdNotFound(NotFound):
    code = "household_not_found"
    message = "該当する世帯が見つかりません。"


class ResidentConflict(Conflict):
    code = "resident_conflict"
    message = "この住民は他の職員が先に更新しました。画面を開き直して内容を確認してから、もう一度操作してください。"


class EventNotAllowed(ApplicationError):
    code = "event_not_allowed"
    message = "この住民・世帯の状態では、この異動は処理できません。"
    status_code = 409


class EventNotFound(NotFound):
    code = "event_not_found"
    message = "該当する異動が見つかりません。"


class NewHeadRequired(ValidationFailed):
    code = "new_head_required"
    message = (
        "世帯主が世帯を離れ、他の世帯員が残るため、新しい世帯主を選んでください"
        "(住民基本台帳法 第25条 世帯主変更を同時に処理します)。"
    )


class RelationshipMissing(ValidationFailed):
    code = "relationship_required"
    message = "世帯主が変わるため、残る世帯員全員について新しい世帯主との続柄を入力してください。"


class ReasonRequired(ValidationFailed):
    code = "reason_required"
    message = "職権による処理・取消しには理由の入力が必要です。"


class FieldNotCorrectable(ValidationFailed):
    code = "field_not_correctable"
    message = "この項目は修正の対象にできません。"


class CancellationNotAllowed(ApplicationError):
    code = "cancellation_not_allowed"
    message = "この異動は取り消せません。"
    status_code = 409
