"""The groupware's refusals: stable codes for the API, Japanese messages for the pages."""

from __future__ import annotations

from common.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed


class PeriodInvalid(ValidationFailed):
    code = "period_invalid"
    message = "終了日時は開始日時より後にしてください。"


class RecurrenceInvalid(ValidationFailed):
    code = "recurrence_invalid"
    message = "繰り返しの指定(RRULE)が正しくありません。"


class ParticipantUnknown(ValidationFailed):
    code = "participant_unknown"
    message = "参加者に登録されていない職員が含まれています。"


class EventNotFound(NotFound):
    code = "event_not_found"
    message = "予定が見つかりません。"


class NotOrganiser(PermissionDenied):
    code = "not_organiser"
    message = "この予定を変更できるのは登録者だけです。"


class FacilityNotFound(NotFound):
    code = "facility_not_found"
    message = "施設・設備が見つかりません。"


class BookingRuleBroken(ValidationFailed):
    code = "booking_rule"
    message = "施設の利用規則に合わない予約です。"


class BookingClash(ApplicationError):
    code = "booking_clash"
    message = "その時間帯は既に予約されています。別の時間帯を選んでください。"
    status_code = 409


class BookingNotFound(NotFound):
    code = "booking_not_found"
    message = "予約が見つかりません。"


class NotFacilityManager(PermissionDenied):
    code = "not_facility_manager"
    message = "この予約を承認できるのは施設の管理者だけです。"


class BookingNotPending(ValidationFailed):
    code = "booking_not_pending"
    message = "承認待ちの予約ではありません。"


class NotYourBooking(PermissionDenied):
    code = "not_your_booking"
    message = "この予約を取り消せるのは、予約した本人と施設の管理者だけです。"


class BookingEnded(ValidationFailed):
    code = "booking_ended"
    message = "終了した予約は取り消せません。"


class FormNotFound(NotFound):
    code = "form_not_found"
    message = "申請様式が見つかりません。"


class FormInvalid(ValidationFailed):
    code = "form_invalid"
    message = "申請様式の定義に誤りがあります。"


class RequestFieldInvalid(ValidationFailed):
    code = "request_field_invalid"
    message = "申請の入力内容に誤りがあります。"


class RouteNoApprover(ValidationFailed):
    code = "route_no_approver"
    message = "承認者のいないステップがあります。経路を確認してください。"


class RouteLocked(PermissionDenied):
    code = "route_locked"
    message = "この様式では申請経路を変更できません。"


class NotDelegated(PermissionDenied):
    code = "not_delegated"
    message = "代理の設定がありません。"


class RequestNotFound(NotFound):
    code = "request_not_found"
    message = "申請が見つかりません。"


class NotYourTurn(PermissionDenied):
    code = "not_your_turn"
    message = "この申請の現在のステップの承認者ではありません。"


class SelfApproval(PermissionDenied):
    code = "self_approval"
    message = "自分の申請は承認できません。"


class RequestStateInvalid(ValidationFailed):
    code = "request_state_invalid"
    message = "この申請はその操作ができる状態ではありません。"


class FileTooLarge(ValidationFailed):
    code = "file_too_large"
    message = "ファイルが大きすぎます。"
