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
