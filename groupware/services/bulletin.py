"""掲示板 (bulletin): post a notice, record that it was read, comment on it (docs/domain/groupware.md §5)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime

from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from common import audit
from common.dates import local_today
from common.errors import PermissionDenied, ValidationFailed
from common.tenancy import current_schema
from groupware import council, org, search
from groupware.errors import FileTooLarge
from groupware.models import Notice, NoticeAttachment, NoticeCategory, NoticeComment, NoticeRead, NoticeScope
from groupware.selectors import notice_audience, notice_visible_to
from groupware.services.notifications import notify
from tenants import organisation
from tenants.models import Person, Role

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MENTION = re.compile(r"@([A-Za-z0-9_.-]{1,150})")


class NoticeInvalid(ValidationFailed):
    code = "notice_invalid"
    message = "お知らせの内容に誤りがあります。"


class NoticeNotFound(ValidationFailed):
    code = "notice_not_found"
    message = "お知らせが見つかりません。"
    status_code = 404


def _addressee(actor: Person, scope: str, unit_code: str) -> tuple[str, str]:
    """The unit code and name a notice is posted to ("" for the whole town), if the actor may post there."""
    town = org.current_town()
    roles = org.roles_of(actor, town)
    if scope == NoticeScope.UNIT:
        unit = organisation.unit_by_code(town, unit_code, local_today())
        if unit is None:
            raise NoticeInvalid("掲示先の組織が見つかりません。", code="unit_unknown", details={"field": "unit_code"})
        if not org.may_address(actor, town, unit_code, local_today()) and Role.IT_ADMIN not in roles:
            raise PermissionDenied("所属していない組織には掲示できません。", code="not_in_unit")
        return unit_code, unit.name
    if scope == NoticeScope.ALL:
        if not roles - {Role.TEACHER}:
            raise PermissionDenied("全体への掲示はできません。学校・組織の掲示板を使ってください。", code="not_for_all")
        return "", ""
    raise NoticeInvalid("掲示先が正しくありません。", code="scope_invalid")


def _store_attachments(notice: Notice, files: Sequence[UploadedFile], stored: list[str]) -> None:
    """Save the uploads, noting each stored key in ``stored`` so a failed transaction can delete them."""
    storage = storages["groupware"]
    for upload in files:
        key = storage.save(f"{current_schema()}/notices/{notice.pk}/{uuid.uuid4().hex}", upload)
        stored.append(key)
        NoticeAttachment.objects.create(
            notice=notice, name=(upload.name or "file")[:200], storage_key=key, size=upload.size or 0
        )


def post_notice(
    *,
    actor: Person,
    title: str,
    body: str,
    scope: str = NoticeScope.ALL,
    unit_code: str = "",
    category_id: int | None = None,
    publish_from: datetime | None = None,
    expires_at: datetime | None = None,
    allow_comments: bool = False,
    files: Sequence[UploadedFile] = (),
) -> Notice:
    """Post a notice to the whole town (council-wide when posted on the council's host) or to a unit."""
    title, body = title.strip(), body.strip()
    if not title or len(title) > 200 or not body:
        raise NoticeInvalid("件名(200文字以内)と本文を入力してください。", details={"field": "title"})
    publish_from = publish_from or timezone.now()
    if expires_at is not None and expires_at <= publish_from:
        raise NoticeInvalid(
            "掲示終了は掲示開始より後にしてください。", code="period_invalid", details={"field": "expires_at"}
        )
    unit_code, unit_name = _addressee(actor, scope, unit_code)
    for upload in files:
        if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
            raise FileTooLarge(f"「{upload.name}」は大きすぎます(1ファイル10MBまで)。", details={"file": upload.name})
    category = NoticeCategory.objects.filter(pk=category_id).first() if category_id else None
    stored: list[str] = []
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                title=title,
                body=body,
                category=category,
                scope=scope,
                unit_code=unit_code,
                unit_name=unit_name,
                author_id=actor.pk,
                author_name=actor.full_name,
                publish_from=publish_from,
                expires_at=expires_at,
                allow_comments=allow_comments,
                search_grams=search.grams(title, body),
            )
            _store_attachments(notice, files, stored)
            audit.record(actor=actor, action="bulletin.post", obj=notice, details={"scope": scope, "unit": unit_code})
            audience = [pk for pk, _ in notice_audience(notice)]
            notify(
                recipient_ids=[pk for pk in audience if pk != actor.pk],
                kind="notice",
                text=f"お知らせ: {title}",
                url=_url(notice),
            )
    except Exception:
        for key in stored:
            storages["groupware"].delete(key)
        raise
    return notice


def _url(notice: Notice) -> str:
    prefix = "council/" if council.on_council_host() else ""
    return f"/groupware/notices/{prefix}{notice.pk}/"


def _visible(actor: Person, notice_id: int) -> Notice:
    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None or not notice_visible_to(actor, notice):
        raise NoticeNotFound()
    return notice


def record_read(*, actor: Person, notice_id: int, council_wide: bool = False) -> None:
    """The read receipt, once per person (the first opening counts). A council-wide notice's receipt is kept in
    the council's schema with the notice."""
    if council_wide:
        with council.in_council():
            _record_read(actor, notice_id)
    else:
        _record_read(actor, notice_id)


def _record_read(actor: Person, notice_id: int) -> None:
    notice = _visible(actor, notice_id)
    with transaction.atomic():
        NoticeRead.objects.get_or_create(notice=notice, person_id=actor.pk, defaults={"person_name": actor.full_name})


def add_comment(*, actor: Person, notice_id: int, body: str, council_wide: bool = False) -> NoticeComment:
    """A comment where the notice allows them; ``@username`` notifies that person (a mention)."""
    body = body.strip()
    if not body or len(body) > 1000:
        raise NoticeInvalid("コメントを1000文字以内で入力してください。", details={"field": "body"})
    with council.in_council() if council_wide else nullcontext():
        notice = _visible(actor, notice_id)
        if not notice.allow_comments:
            raise PermissionDenied("このお知らせにはコメントできません。", code="comments_closed")
        with transaction.atomic():
            comment = NoticeComment.objects.create(
                notice=notice, author_id=actor.pk, author_name=actor.full_name, body=body
            )
            audit.record(actor=actor, action="bulletin.comment", obj=comment, details={"notice": notice.pk})
            mentioned = set(
                Person.objects.filter(username__in=MENTION.findall(body), is_active=True).values_list("pk", flat=True)
            )
            notify(
                recipient_ids=(mentioned | {notice.author_id}) - {actor.pk},
                kind="mention",
                text=f"{actor.full_name}さんのコメント: {notice.title}",
                url=_url(notice),
            )
    return comment


AUDIT_LABELS = {
    "bulletin.post": "掲示板: お知らせの掲示",
    "bulletin.comment": "掲示板: コメント",
    "bulletin.attachment_download": "掲示板: 添付ファイルのダウンロード",
}
