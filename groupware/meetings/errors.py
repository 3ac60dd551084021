"""The meetings' refusals: stable codes for the API, Japanese messages for the pages (docs/domain/meetings.md)."""

from __future__ import annotations

from common.errors import NotFound, PermissionDenied, ValidationFailed


class MeetingsUnavailable(ValidationFailed):
    code = "meetings_unavailable"
    message = "協議会が設定されていないため、会議を登録できません。"


class MeetingNotFound(NotFound):
    # A meeting the reader does not take part in is answered like one that does not exist.
    code = "meeting_not_found"
    message = "会議が見つかりません。"


class MeetingInvalid(ValidationFailed):
    code = "meeting_invalid"
    message = "会議の内容に誤りがあります。"


class NotMeetingOrganiser(PermissionDenied):
    code = "not_meeting_organiser"
    message = "この操作ができるのは会議の主催者だけです。"


class DocumentNotPdf(ValidationFailed):
    code = "document_not_pdf"
    message = "会議資料はPDFファイルだけを登録できます。"


class DocumentNotFound(NotFound):
    code = "document_not_found"
    message = "会議資料が見つかりません。"


class MinutesInvalid(ValidationFailed):
    code = "minutes_invalid"
    message = "議事録の内容に誤りがあります。"


class MinutesConfirmed(ValidationFailed):
    code = "minutes_confirmed"
    message = "確定した議事録は変更できません。訂正は新しい版として作成してください。"
    status_code = 409


class WebMeetingUnconfigured(ValidationFailed):
    code = "web_meeting_unconfigured"
    message = "Web会議のサーバーが設定されていません。協議会の情報システム担当に設定を依頼してください。"


class MeetingCancelled(ValidationFailed):
    code = "meeting_cancelled"
    message = "この会議は中止されたため、変更できません。"
    status_code = 409


class OrganiserNotRemovable(ValidationFailed):
    code = "organiser_not_removable"
    message = "主催者は参加者から外せません。"
