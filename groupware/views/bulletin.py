"""The groupware's pages: bulletin: notices, comments, attachments (town and council-wide).
Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.dates import local_today
from common.errors import ApplicationError
from groupware import org, selectors
from groupware.forms import (
    CommentBodyForm,
    NoticeForm,
)
from groupware.services import bulletin
from groupware.views._base import _page, _refused
from tenants import organisation
from tenants.access import person_of

# --- bulletin -----------------------------------------------------------------------------------------------


@require_GET
def notices_view(request: HttpRequest) -> HttpResponse:
    rows = selectors.notices_for(actor=person_of(request))
    category = request.GET.get("category", "")
    if category.isdigit():
        rows = [r for r in rows if not r.council_wide and r.notice.category_id == int(category)]
    return _page(
        request, "groupware/notices.html", "bulletin", rows=rows, categories=selectors.categories(), category=category
    )


@require_http_methods(["GET", "POST"])
def notice_new_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    town = org.current_town()
    units = [(u.code, u.name) for u in organisation.units_on(town, local_today())]
    form = NoticeForm(
        request.POST or None,
        request.FILES or None,
        units=units,
        categories=[(c.pk, c.name) for c in selectors.categories()],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = bulletin.post_notice(
                actor=actor,
                title=data["title"],
                body=data["body"],
                scope=data["scope"],
                unit_code=data["unit_code"] or "",
                category_id=data["category"],
                publish_from=data["publish_from"],
                expires_at=data["expires_at"],
                allow_comments=data["allow_comments"],
                files=request.FILES.getlist("attachments"),
            )
        except ApplicationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "お知らせを掲示しました。")
            return redirect("groupware:notice", pk=notice.pk)
    return _page(request, "groupware/notice_new.html", "bulletin", form=form)


def _notice(request: HttpRequest, pk: int, *, council_wide: bool) -> HttpResponse:
    actor = person_of(request)
    try:
        bulletin.record_read(actor=actor, notice_id=pk, council_wide=council_wide)
    except ApplicationError as exc:
        raise Http404 from exc
    page = selectors.notice_page(actor=actor, notice_id=pk, council_wide=council_wide)
    if page is None:
        raise Http404
    return _page(
        request,
        "groupware/notice.html",
        "bulletin",
        page=page,
        council_wide=council_wide,
        comment_form=CommentBodyForm(),
    )


@require_GET
def notice_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _notice(request, pk, council_wide=False)


@require_GET
def council_notice_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _notice(request, pk, council_wide=True)


def _comment(request: HttpRequest, pk: int, *, council_wide: bool) -> HttpResponse:
    form = CommentBodyForm(request.POST)
    target = "groupware:council_notice" if council_wide else "groupware:notice"
    if form.is_valid():
        try:
            bulletin.add_comment(
                actor=person_of(request), notice_id=pk, body=form.cleaned_data["body"], council_wide=council_wide
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "コメントを1000文字以内で入力してください。")
    return redirect(target, pk=pk)


@require_POST
def notice_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _comment(request, pk, council_wide=False)


@require_POST
def council_notice_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _comment(request, pk, council_wide=True)


def _notice_file(request: HttpRequest, pk: int, file_id: int, *, council_wide: bool) -> FileResponse:
    try:
        attachment, handle = selectors.open_notice_attachment(
            actor=person_of(request), notice_id=pk, attachment_id=file_id, council_wide=council_wide
        )
    except ApplicationError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


@require_GET
def notice_file_view(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    return _notice_file(request, pk, file_id, council_wide=False)


@require_GET
def council_notice_file_view(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    return _notice_file(request, pk, file_id, council_wide=True)
