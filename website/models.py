"""A town's public website (ホームページ, docs/domain/website.md): categories and articles (news, notices, pages)
with a draft → approval → publish workflow. Town schema: people are stored as id plus a name snapshot."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Category(models.Model):
    slug = models.SlugField("識別子", max_length=50, unique=True)
    name = models.CharField("名称", max_length=100)
    position = models.PositiveIntegerField("順序", default=0)

    class Meta:
        verbose_name = "分類"
        verbose_name_plural = "分類"
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class ArticleKind(models.TextChoices):
    NEWS = "news", "新着情報"
    NOTICE = "notice", "お知らせ"
    PAGE = "page", "ページ"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "下書き"
    PENDING = "pending", "承認待ち"
    PUBLISHED = "published", "公開中"
    WITHDRAWN = "withdrawn", "公開終了"


class Article(models.Model):
    kind = models.CharField("種類", max_length=10, choices=ArticleKind.choices, default=ArticleKind.NEWS)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="articles")
    slug = models.SlugField("URL名", max_length=80, unique=True)
    title = models.CharField("見出し", max_length=200)
    summary = models.CharField("概要", max_length=300, blank=True)
    body = models.TextField("本文")
    image = models.FileField("画像", upload_to="website/%Y/%m/", blank=True)
    image_type = models.CharField("画像の形式", max_length=20, blank=True)
    image_alt = models.CharField("画像の代替テキスト", max_length=200, blank=True)
    status = models.CharField("状態", max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    author_id = models.BigIntegerField("作成者ID")
    author_name = models.CharField("作成者", max_length=100)
    created_at = models.DateTimeField("作成日時", default=timezone.now)
    updated_at = models.DateTimeField("更新日時", default=timezone.now)
    submitted_at = models.DateTimeField("承認依頼日時", null=True, blank=True)
    approver_id = models.BigIntegerField("承認者ID", null=True, blank=True)
    approver_name = models.CharField("承認者", max_length=100, blank=True)
    published_at = models.DateTimeField("公開日時", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "記事"
        verbose_name_plural = "記事"
        ordering = ["-published_at", "-updated_at"]
        constraints = [
            # An image without its alternative text never reaches the database (JIS X 8341-3: 非テキストコンテンツ).
            models.CheckConstraint(condition=Q(image="") | ~Q(image_alt=""), name="website_image_needs_alt"),
            models.CheckConstraint(
                condition=~Q(status="published")
                | (Q(approver_id__isnull=False) & ~Q(approver_id=models.F("author_id"))),
                name="website_published_approved_by_another",
            ),
        ]

    def __str__(self) -> str:
        return self.title
