"""Reads of the town's public website: only published articles ever reach the public host."""

from __future__ import annotations

from django.db.models import QuerySet

from website.models import Article, ArticleKind, ArticleStatus, Category


def published() -> QuerySet[Article]:
    return (
        Article.objects.filter(status=ArticleStatus.PUBLISHED)
        .select_related("category")
        .order_by("-published_at", "-pk")
    )


def published_article(slug: str) -> Article | None:
    return published().filter(slug=slug).first()


def latest(kind: str | None = None, *, limit: int = 10) -> list[Article]:
    articles = published().exclude(kind=ArticleKind.PAGE) if kind is None else published().filter(kind=kind)
    return list(articles[:limit])


def pages() -> list[Article]:
    return list(published().filter(kind=ArticleKind.PAGE).order_by("title"))


def categories() -> list[Category]:
    return list(Category.objects.order_by("position", "pk"))


def category_articles(category: Category) -> list[Article]:
    return list(published().filter(category=category)[:100])


def staff_articles() -> QuerySet[Article]:
    return Article.objects.select_related("category").order_by("-updated_at", "-pk")
