"""The town's public website (docs/domain/website.md §1): published content only, no login, no session.

Every page carries the disaster notices in force at its top (common.public_site, registered by bcp)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.contrib.syndication.views import Feed
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_GET
from django_tenants.utils import tenant_context

from common.public_site import notices_in_force, public_images
from tenants.models import Municipality
from website import selectors
from website.models import ArticleKind, Category


def _town(request: HttpRequest) -> Municipality:
    tenant = getattr(request, "tenant", None)
    if not isinstance(tenant, Municipality):
        raise Http404
    return tenant


def _render(request: HttpRequest, template: str, status: int = 200, **context: Any) -> HttpResponse:
    town = _town(request)
    return render(
        request,
        template,
        {"town": town, "notices": notices_in_force(town), "site_pages": selectors.pages(), **context},
        status=status,
    )


@login_not_required
@require_GET
def home_view(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        "website/public/home.html",
        news=selectors.latest(ArticleKind.NEWS),
        notices_list=selectors.latest(ArticleKind.NOTICE),
        categories=selectors.categories(),
        images=public_images(_town(request)),
    )


@login_not_required
@require_GET
def category_view(request: HttpRequest, slug: str) -> HttpResponse:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        return not_found(request)
    return _render(
        request, "website/public/category.html", category=category, articles=selectors.category_articles(category)
    )


@login_not_required
@require_GET
def article_view(request: HttpRequest, slug: str) -> HttpResponse:
    article = selectors.published_article(slug)
    if article is None:
        # A draft, an article waiting for approval or withdrawn is as absent as one that never existed.
        return not_found(request)
    return _render(request, "website/public/article.html", article=article)


@login_not_required
@require_GET
def article_image_view(request: HttpRequest, slug: str) -> FileResponse | HttpResponse:
    article = selectors.published_article(slug)
    if article is None or not article.image:
        return not_found(request)
    return FileResponse(default_storage.open(article.image.name), content_type=f"image/{article.image_type}")


@login_not_required
@require_GET
def camera_image_view(request: HttpRequest, key: str) -> FileResponse | HttpResponse:
    image = next((i for i in public_images(_town(request)) if i.key == key), None)
    if image is None:
        return not_found(request)
    return FileResponse(default_storage.open(image.storage_name), content_type=image.content_type)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The public site's 404 (``handler404`` of website.public_urls).

    Under ASGI Django renders an error page in a thread of its own (``response_for_exception`` through
    ``sync_to_async(thread_sensitive=False)``), whose database connection was never set to the town's schema by
    the tenant middleware: the page is rendered in the town's schema explicitly."""
    with tenant_context(_town(request)):
        return _render(request, "website/public/not_found.html", status=404)


class AtomFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self._town = _town(request)
        return super().__call__(request, *args, **kwargs)

    def title(self) -> str:
        return f"{self._town.name} 新着情報"

    def link(self) -> str:
        return "/"

    def subtitle(self) -> str:
        return f"{self._town.name}の新着情報とお知らせ"

    def items(self) -> list[Any]:
        return selectors.latest(limit=30)

    def item_title(self, item: Any) -> str:
        return str(item.title)

    def item_description(self, item: Any) -> str:
        return str(item.summary or item.body[:200])

    def item_link(self, item: Any) -> str:
        return f"/articles/{item.slug}/"

    def item_pubdate(self, item: Any) -> Any:
        return item.published_at


feed_view = login_not_required(require_GET(AtomFeed()))
