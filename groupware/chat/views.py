"""The chat pages (/chat/): thin — parse, call one service or selector, render (docs/domain/chat.md).

The channel page works without JavaScript (forms, redirects); chat.js adds live delivery over the WebSocket and,
when the socket cannot connect, polls ``messages.json`` (§3)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from common.errors import ApplicationError
from groupware.chat import selectors, services
from groupware.chat.errors import ChannelInvalid
from groupware.chat.forms import ChannelForm, MessageForm, PeopleForm, RetentionForm
from groupware.chat.models import Channel, ChannelKind
from tenants.access import person_of
from tenants.models import Person


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refusal(exc: ApplicationError) -> JsonResponse:
    return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status_code)


def _channel(request: HttpRequest, pk: int) -> tuple[Person, Channel]:
    actor = person_of(request)
    channel = selectors.channel_for(actor=actor, channel_id=pk)
    if channel is None:
        raise Http404
    return actor, channel


@require_GET
def index_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    return render(
        request,
        "chat/index.html",
        {
            "channels": selectors.channels_for(actor=actor),
            "vendor": selectors.is_vendor_only(actor),
            "form": ChannelForm(),
            "kinds": dict(ChannelKind.choices),
        },
    )


@require_POST
def channel_create_view(request: HttpRequest) -> HttpResponse:
    form = ChannelForm(request.POST)
    if not form.is_valid():
        flash.error(request, "チャンネルの入力内容に誤りがあります。")
        return redirect("chat:index")
    data = form.cleaned_data
    try:
        channel = services.create_channel(
            actor=person_of(request), kind=data["kind"], name=data["name"], unit_code=data["unit_code"],
            member_ids=selectors.ids_for_usernames(data["members"]), retention_days=data["retention_days"],
        )  # fmt: skip
    except ApplicationError as exc:
        flash.error(request, exc.message)
        return redirect("chat:index")
    return redirect("chat:channel", pk=channel.pk)


@require_POST
def direct_view(request: HttpRequest) -> HttpResponse:
    form = PeopleForm(request.POST)
    try:
        ids = selectors.ids_for_usernames(form.data.get("members", ""))
        if len(ids) != 1:
            raise ChannelInvalid("相手の職員IDを1つ入力してください。", details={"field": "members"})
        channel = services.open_direct(actor=person_of(request), person_id=ids[0])
    except ApplicationError as exc:
        flash.error(request, exc.message)
        return redirect("chat:index")
    return redirect("chat:channel", pk=channel.pk)


def _channel_page(request: HttpRequest, pk: int, thread_id: int | None) -> HttpResponse:
    actor, channel = _channel(request, pk)
    rows = selectors.messages(channel=channel, thread_id=thread_id)
    if thread_id is not None and not any(row.pk == thread_id for row in rows):
        raise Http404
    services.mark_read(actor=actor, channel_id=channel.pk)
    marks = selectors.readers(channel)
    context: dict[str, Any] = {
        "channel": channel,
        "rows": [selectors.payload(row, marks) for row in rows],
        "readers": [mark.__dict__ for mark in marks],
        "members": selectors.members(channel) if channel.kind in {ChannelKind.PROJECT, ChannelKind.DIRECT} else [],
        "thread": thread_id,
        "last_id": selectors.latest_id(channel),
        "form": MessageForm(initial={"parent": thread_id}),
        "retention_form": RetentionForm(initial={"retention_days": channel.retention_days}),
        "me": actor.pk,
    }
    return render(request, "chat/channel.html", context)


@require_GET
def channel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _channel_page(request, pk, None)


@require_GET
def thread_view(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    return _channel_page(request, pk, message_id)


@require_POST
def post_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = MessageForm(request.POST)
    body = request.POST.get("body", "")
    parent = form.cleaned_data.get("parent") if form.is_valid() else None
    try:
        message = services.post_message(
            actor=person_of(request), channel_id=pk, body=body, parent_id=parent,
            files=request.FILES.getlist("files"),
        )  # fmt: skip
    except ApplicationError as exc:
        if _wants_json(request):
            return _refusal(exc)
        if exc.status_code == 404:
            raise Http404 from exc
        flash.error(request, exc.message)
        return redirect("chat:channel", pk=pk)
    if _wants_json(request):
        channel = selectors.channel_for(actor=person_of(request), channel_id=pk)
        return JsonResponse(selectors.payload(message, selectors.readers(channel) if channel else []), status=201)
    if parent:
        return redirect("chat:thread", pk=pk, message_id=message.parent_id or message.pk)
    return redirect("chat:channel", pk=pk)


@require_GET
def poll_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The polling fallback: messages after ``after`` and everyone's read marks."""
    _actor, channel = _channel(request, pk)
    after = request.GET.get("after", "0")
    thread = request.GET.get("thread", "")
    rows = selectors.messages(
        channel=channel,
        after_id=int(after) if after.isdigit() else 0,
        thread_id=int(thread) if thread.isdigit() else None,
    )
    marks = selectors.readers(channel)
    return JsonResponse(
        {"messages": [selectors.payload(row, marks) for row in rows], "readers": [m.__dict__ for m in marks]}
    )


@require_POST
def read_view(request: HttpRequest, pk: int) -> HttpResponse:
    upto = request.POST.get("upto", "")
    try:
        mark = services.mark_read(
            actor=person_of(request), channel_id=pk, upto_id=int(upto) if upto.isdigit() else None
        )
    except ApplicationError as exc:
        return _refusal(exc)
    return JsonResponse({"upto": mark})


@require_POST
def invite_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        ids = selectors.ids_for_usernames(request.POST.get("members", ""))
        added = services.invite(actor=person_of(request), channel_id=pk, person_ids=ids)
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        flash.error(request, exc.message)
    else:
        flash.success(request, f"{len(added)}人を招待しました。")
    return redirect("chat:channel", pk=pk)


@require_POST
def remove_member_view(request: HttpRequest, pk: int, person_id: int) -> HttpResponse:
    actor = person_of(request)
    try:
        services.remove_member(actor=actor, channel_id=pk, person_id=person_id)
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        flash.error(request, exc.message)
        return redirect("chat:channel", pk=pk)
    if person_id == actor.pk:
        flash.success(request, "チャンネルから退出しました。")
        return redirect("chat:index")
    flash.success(request, "メンバーから外しました。")
    return redirect("chat:channel", pk=pk)


@require_POST
def retention_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = RetentionForm(request.POST)
    days = form.cleaned_data.get("retention_days") if form.is_valid() else None
    try:
        services.set_retention(actor=person_of(request), channel_id=pk, days=days)
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        flash.error(request, exc.message)
    else:
        flash.success(request, "保存期間を設定しました。")
    return redirect("chat:channel", pk=pk)


@require_GET
def file_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        attachment, handle = services.download(actor=person_of(request), attachment_id=pk)
    except ApplicationError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    term = request.GET.get("q", "")
    hits = selectors.search_messages(actor=person_of(request), term=term) if term.strip() else []
    return render(request, "chat/search.html", {"term": term, "hits": hits})
