from common.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed


class InvalidMyNumber(ValidationFailed):
    code = "invalid_my_number"
    message = "個人番号が正しくありません(12桁・検査用数字を確認してください)。"


class MyNumberNotAllowed(PermissionDenied):
    """住基法 第12条第1項: the 住民票の写し with the 個人番号 only for the person or a member of the same household
    (docs/domain/support_measures.md)."""

    code = "my_number_not_allowed_for_requester"
    message = (
        "個人番号を記載した住民票の写しは、本人又は本人と同一の世帯に属する方の請求に限り交付できます"
        "(住民基本台帳法第12条第1項)。代理人・第三者等の請求では「個人番号」の記載を外してください。"
    )


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
