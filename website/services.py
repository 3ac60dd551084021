"""Writing the town's public website (docs/domain/website.md §2): draft → 承認待ち → 公開, never approved by its
own author; every step audited in the town's trail."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from common import audit
from common.errors import ApplicationError, PermissionDenied
from tenants.models import Person
from website.models import Article, ArticleKind, ArticleStatus, Category

AUDIT_LABELS = {
    "website.save_draft": "ホームページ: 下書きの保存",
    "website.submit": "ホームページ: 承認依頼",
    "website.approve": "ホームページ: 承認・公開",
    "website.reject": "ホームページ: 差戻し",
    "website.withdraw": "ホームページ: 公開終了",
}

MAX_IMAGE_BYTES = 3 * 1024 * 1024
IMAGE_SIGNATURES = {b"\xff\xd8\xff": ("jpeg", ".jpg"), b"\x89PNG\r\n\x1a\n": ("png", ".png")}


class WebsiteError(ApplicationError):
    code = "website_error"


class TitleRequired(WebsiteError):
    code = "website_title_required"
    message = "見出しと本文を入力してください。"


class SlugTaken(WebsiteError):
    code = "website_slug_taken"
    message = "このURL名は既に使われています。別のURL名を指定してください。"


class SlugInvalid(WebsiteError):
    code = "website_slug_invalid"
    message = "URL名は半角英小文字・数字・ハイフンで入力してください。"


class AltTextRequired(WebsiteError):
    code = "website_alt_required"
    message = "画像には内容を説明する代替テキストを入力してください(ファイル名は使えません)。"


class ImageRefused(WebsiteError):
    code = "website_image_refused"
    message = "画像はJPEGまたはPNG(3MBまで)にしてください。"


class NotEditable(WebsiteError):
    code = "website_not_editable"
    message = "下書き・差戻し・公開終了の記事だけを編集できます。"


class WrongState(WebsiteError):
    code = "website_wrong_state"
    message = "この記事は現在の状態ではこの操作ができません。"


class SelfApproval(PermissionDenied):
    code = "website_self_approval"
    message = "自分が作成した記事は承認できません。別の職員が承認してください。"


def _name(actor: Person) -> str:
    return (actor.get_full_name() or actor.username)[:100]


def _image(upload: UploadedFile) -> tuple[str, str]:
    if upload.size is None or upload.size > MAX_IMAGE_BYTES:
        raise ImageRefused(details={"size": upload.size})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for signature, found in IMAGE_SIGNATURES.items():
        if head.startswith(signature):
            return found
    raise ImageRefused(details={"content_type": upload.content_type})


def _alt(alt: str, *, image_name: str) -> str:
    alt = " ".join((alt or "").split())
    stem = image_name.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    if len(alt) < 2 or alt.lower() in {stem, "image", "画像", "写真", "photo"}:
        raise AltTextRequired()
    return alt[:200]


# long: the draft's checks (text, URL name, category, image and its alternative text) and its write, in order
def save_draft(
    *,
    actor: Person,
    article: Article | None,
    title: str,
    body: str,
    slug: str,
    kind: str = ArticleKind.NEWS,
    category: Category | None = None,
    summary: str = "",
    image: UploadedFile | None = None,
    image_alt: str = "",
) -> Article:
    title, body = " ".join((title or "").split()), (body or "").strip()
    if not title or not body:
        raise TitleRequired()
    slug = (slug or "").strip().lower()
    if not slug or slugify(slug) != slug:
        raise SlugInvalid(details={"slug": slug})
    if kind not in ArticleKind.values:
        raise WrongState(details={"kind": kind})
    image_kind = _image(image) if image is not None else None
    stored: list[str] = []
    try:
        with transaction.atomic():
            if article is None:
                article = Article(author_id=actor.pk, author_name=_name(actor))
            else:
                article = Article.objects.select_for_update().get(pk=article.pk)
                if article.status not in (ArticleStatus.DRAFT, ArticleStatus.WITHDRAWN):
                    raise NotEditable()
            if Article.objects.filter(slug=slug).exclude(pk=article.pk).exists():
                raise SlugTaken(details={"slug": slug})
            article.title, article.body, article.slug, article.kind = title[:200], body, slug, kind
            article.category, article.summary = category, (summary or "").strip()[:300]
            article.status, article.updated_at = ArticleStatus.DRAFT, timezone.now()
            if image is not None and image_kind is not None:
                article.image_alt = _alt(image_alt, image_name=image.name or "")
                article.image.save(f"article{image_kind[1]}", image, save=False)
                article.image_type = image_kind[0]
                stored.append(article.image.name)
            elif article.image:
                article.image_alt = _alt(image_alt or article.image_alt, image_name=article.image.name)
            article.save()
            audit.record(actor=actor, action="website.save_draft", obj=article, details={"slug": slug})
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return article


def _transition(*, article: Article, allowed: tuple[str, ...]) -> Article:
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.status not in allowed:
        raise WrongState(details={"status": locked.status})
    return locked


def submit(*, actor: Person, article: Article) -> Article:
    with transaction.atomic():
        locked = _transition(article=article, allowed=(ArticleStatus.DRAFT,))
        locked.status, locked.submitted_at = ArticleStatus.PENDING, timezone.now()
        locked.save(update_fields=["status", "submitted_at"])
        audit.record(actor=actor, action="website.submit", obj=locked)
    return locked


def approve(*, actor: Person, article: Article) -> Article:
    """Approve and publish. The author never approves their own article (§2)."""
    with transaction.atomic():
        locked = _transition(article=article, allowed=(ArticleStatus.PENDING,))
        if locked.author_id == actor.pk:
            raise SelfApproval()
        locked.status, locked.published_at = ArticleStatus.PUBLISHED, timezone.now()
        locked.approver_id, locked.approver_name = actor.pk, _name(actor)
        locked.save(update_fields=["status", "published_at", "approver_id", "approver_name"])
        audit.record(actor=actor, action="website.approve", obj=locked)
    return locked


def reject(*, actor: Person, article: Article, reason: str = "") -> Article:
    with transaction.atomic():
        locked = _transition(article=article, allowed=(ArticleStatus.PENDING,))
        locked.status = ArticleStatus.DRAFT
        locked.save(update_fields=["status"])
        audit.record(actor=actor, action="website.reject", obj=locked, details={"reason": reason.strip()[:200]})
    return locked


def withdraw(*, actor: Person, article: Article) -> Article:
    with transaction.atomic():
        locked = _transition(article=article, allowed=(ArticleStatus.PUBLISHED,))
        locked.status = ArticleStatus.WITHDRAWN
        locked.save(update_fields=["status"])
        audit.record(actor=actor, action="website.withdraw", obj=locked)
    return locked
