"""The chat's refusals: stable codes for the API, Japanese messages for the pages (docs/domain/chat.md)."""

from __future__ import annotations

from common.errors import NotFound, PermissionDenied, ValidationFailed


class NotChannelMember(NotFound):
    # "Not a member" and "no such channel" are one answer: nothing leaks about channels one cannot reach (§2).
    code = "channel_not_member"
    message = "このチャンネルに参加していないため、投稿・閲覧できません。"


class MessageInvalid(ValidationFailed):
    code = "message_invalid"
    message = "メッセージの内容に誤りがあります。"


class ChannelInvalid(ValidationFailed):
    code = "channel_invalid"
    message = "チャンネルの内容に誤りがあります。"


class ChannelNotAllowed(PermissionDenied):
    code = "channel_not_allowed"
    message = "この操作を行う権限がありません。"


class AttachmentTooLarge(ValidationFailed):
    code = "file_too_large"
    message = "添付ファイルが大きすぎます。"
