"""The one error base for Kyodo: a stable machine code, a Japanese message, optional details.

Services raise these; the API exception handler turns them into {"code", "message", "details"} and
the browser views show the message as a form or page error.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    code: str = "application_error"
    message: str = "処理を完了できませんでした。"
    status_code: int = 400

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | list[Any] | None = None,
        status_code: int | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.code = code or type(self).code
        self.details = details if details is not None else {}
        if status_code is not None:
            self.status_code = status_code
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationFailed(ApplicationError):
    code = "validation_error"
    message = "入力内容に誤りがあります。"


class NotFound(ApplicationError):
    # "Not found" and "not yours" are answered alike so nothing leaks about other towns' data.
    code = "not_found"
    message = "対象が見つかりません。"
    status_code = 404


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    message = "この操作を行う権限がありません。"
    status_code = 403


class Conflict(ApplicationError):
    code = "conflict"
    message = "他の職員が先に更新しました。画面を開き直してから、もう一度操作してください。"
    status_code = 409


class PurposeRequired(ApplicationError):
    code = "purpose_required"
    message = "個人情報を表示するには利用目的の入力が必要です。"


class InvalidPurpose(ValidationFailed):
    code = "invalid_purpose"
    message = "利用目的は200文字以内の、制御文字を含まない文字で入力してください。"


class InvalidRequestHeader(ValidationFailed):
    code = "invalid_request_header"
    message = "リクエストヘッダーの値が正しくありません。"
