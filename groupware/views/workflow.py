"""The groupware's pages: workflow: requests, forms, delegations.
Thin: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.dates import local_today
from common.errors import ApplicationError
from groupware import selectors
from groupware.errors import NotDelegated
from groupware.forms import (
    CommentForm,
    DelegationForm,
    FormDefinitionForm,
    RequestForm,
)
from groupware.models import RequestStatus
from groupware.people import staff_choices
from groupware.services import workflow
from groupware.views._base import _page, _refused
from tenants.access import person_of

# --- workflow -----------------------------------------------------------------------------------------------

REQUESTS_PER_PAGE = 50


@require_GET
def requests_view(request: HttpRequest) -> HttpResponse:
    """The two lists, each paged on its own (``page`` for 自分の申請, ``apage`` for 承認待ち); the links keep the
    other list's page and the status filter (docs/domain/groupware.md §4.8)."""
    actor = person_of(request)
    status = request.GET.get("status", "")
    awaiting = Paginator(selectors.requests_awaiting_query(actor=actor), REQUESTS_PER_PAGE)
    mine = Paginator(selectors.my_requests_query(actor=actor, status=status), REQUESTS_PER_PAGE)
    return _page(
        request,
        "groupware/requests.html",
        "workflow",
        forms=selectors.active_forms(),
        awaiting=awaiting.get_page(request.GET.get("apage")),
        mine=mine.get_page(request.GET.get("page")),
        status=status if status in RequestStatus.values else "",
        statuses=RequestStatus.choices,
        keep_for_mine=_query_without(request, "page"),
        keep_for_awaiting=_query_without(request, "apage"),
    )


def _query_without(request: HttpRequest, name: str) -> str:
    params = request.GET.copy()
    params.pop(name, None)
    return params.urlencode()


@require_http_methods(["GET", "POST"])
def request_new_view(request: HttpRequest, form_id: int) -> HttpResponse:
    actor = person_of(request)
    definition = next((f for f in selectors.active_forms() if f.pk == form_id), None)
    if definition is None:
        raise Http404
    principals = selectors.principals_for(actor=actor, kind="apply")
    form = RequestForm(request.POST or None, request.FILES or None, definition=definition, people=principals or None)
    if request.method == "POST" and form.is_valid():
        applicant_id = form.cleaned_data.get("applicant")
        applicant = next((p for p in _people(principals) if p.pk == applicant_id), None) if applicant_id else None
        try:
            created = workflow.submit_request(
                actor=actor,
                form_id=definition.pk,
                title=form.cleaned_data["title"],
                data=form.values(),
                applicant=applicant,
                files=request.FILES.getlist("files"),
            )
        except ApplicationError as exc:
            _refused(form, exc, prefix="f_")
        else:
            messages.success(request, f"申請 {created.number} を提出しました。")
            return redirect("groupware:request", pk=created.pk)
    return _page(request, "groupware/request_new.html", "workflow", form=form, definition=definition)


def _people(rows: list[tuple[int, str]]) -> list[Any]:
    from tenants.models import Person

    return list(Person.objects.filter(pk__in=[pk for pk, _ in rows]))


@require_GET
def request_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = person_of(request)
    found = selectors.request_for(actor=actor, request_id=pk)
    if found is None:
        raise Http404
    steps = list(found.steps.all())
    active = next((s for s in steps if s.order == found.current_step and s.state == "active"), None)
    return _page(
        request,
        "groupware/request.html",
        "workflow",
        req=found,
        steps=steps,
        can_decide=selectors.requests_awaiting_query(actor=actor).filter(pk=found.pk).exists(),
        is_owner=actor.pk in {found.applicant_id, found.submitted_by_id},
        can_confirm=any(actor.pk in s.approver_ids for s in steps if s.kind == "circulate" and s.state == "done"),
        active=active,
        comment_form=CommentForm(),
    )


@require_POST
def request_action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = person_of(request)
    comment = request.POST.get("comment", "")[:500]
    operations = {
        "approve": lambda: workflow.approve_request(actor=actor, request_id=pk, comment=comment),
        "return": lambda: workflow.return_request(actor=actor, request_id=pk, comment=comment),
        "resubmit": lambda: workflow.resubmit_request(actor=actor, request_id=pk),
        "withdraw": lambda: workflow.withdraw_request(actor=actor, request_id=pk),
        "confirm": lambda: workflow.confirm_circulation(actor=actor, request_id=pk),
    }
    if action not in operations:
        raise Http404
    try:
        operations[action]()
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "処理しました。")
    return redirect("groupware:request", pk=pk)


@require_GET
def request_file_view(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    try:
        attachment, handle = selectors.open_attachment(actor=person_of(request), request_id=pk, attachment_id=file_id)
    except ApplicationError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


@require_http_methods(["GET", "POST"])
def form_define_view(request: HttpRequest) -> HttpResponse:
    form = FormDefinitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            defined = workflow.define_form(
                actor=person_of(request),
                code=data["code"],
                name=data["name"],
                description=data["description"],
                fields=form.field_list(),
                steps=[workflow.StepSpec(kind, ids, manager) for kind, ids, manager in form.step_list()],
                allows_attachments=data["allows_attachments"],
                route_editable=data["route_editable"],
                creates=data["creates"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"申請様式「{defined.name}」を登録しました。")
            return redirect("groupware:requests")
    return _page(request, "groupware/form_define.html", "workflow", form=form, people=staff_choices())


@require_http_methods(["GET", "POST"])
def delegations_view(request: HttpRequest) -> HttpResponse:
    actor = person_of(request)
    form = DelegationForm(request.POST or None, initial={"valid_from": local_today()}, people=staff_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        proxy = next(iter(_people([(data["proxy"], "")])), None)
        try:
            if proxy is None:
                raise NotDelegated("代理者が見つかりません。")
            workflow.delegate(
                actor=actor,
                kind=data["kind"],
                principal=actor,
                proxy=proxy,
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "代理を設定しました。")
            return redirect("groupware:delegations")
    return _page(
        request, "groupware/delegations.html", "workflow", form=form, delegations=selectors.delegations_of(actor=actor)
    )
