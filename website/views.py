"""Staff pages of the town's website (module "website": 事務職員, 情報システム担当; docs/domain/website.md §2)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.errors import ApplicationError
from tenants.access import person_of
from website import selectors, services
from website.models import Article, ArticleKind, Category


@require_GET
def list_view(request: HttpRequest) -> HttpResponse:
    articles = list(selectors.staff_articles()[:200])
    return render(request, "website/staff/list.html", {"articles": articles, "me": person_of(request).pk})


@require_http_methods(["GET", "POST"])
def edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk) if pk is not None else None
    if request.method == "POST":
        category = Category.objects.filter(pk=request.POST.get("category") or 0).first()
        try:
            saved = services.save_draft(
                actor=person_of(request),
                article=article,
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
                slug=request.POST.get("slug", ""),
                kind=request.POST.get("kind", ArticleKind.NEWS),
                category=category,
                summary=request.POST.get("summary", ""),
                image=request.FILES.get("image"),
                image_alt=request.POST.get("image_alt", ""),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"「{saved.title}」を下書きとして保存しました。")
            return redirect("website:list")
    fields = ("title", "slug", "kind", "summary", "body", "image_alt")
    values = {name: request.POST.get(name, getattr(article, name, "") if article else "") for name in fields}
    values["category"] = request.POST.get("category", str(article.category_id or "") if article else "")
    return render(
        request,
        "website/staff/edit.html",
        {"article": article, "values": values, "kinds": ArticleKind.choices, "categories": selectors.categories()},
    )


def _step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    actions: dict[str, tuple[Callable[..., Article], str]] = {
        "submit": (services.submit, "承認を依頼しました。"),
        "approve": (services.approve, "承認し、公開しました。"),
        "reject": (services.reject, "差し戻しました。"),
        "withdraw": (services.withdraw, "公開を終了しました。"),
    }
    service, done = actions[step]
    try:
        service(actor=person_of(request), article=article)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"「{article.title}」: {done}")
    return redirect("website:list")


@require_POST
def submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "submit")


@require_POST
def approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "approve")


@require_POST
def reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "reject")


@require_POST
def withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "withdraw")
