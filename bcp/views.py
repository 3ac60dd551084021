"""IT staff's BCP pages (docs/bcp.md §6–8): dashboard, disaster mode, CSIRT register, policy documents.

The access middleware lets it_admin and auditor members into this module (tenants.access). Reading is for
both; every write is for the council's IT staff on the council host (``council_it_admin_only``): the council
runs the shared platform, declares disasters for its towns and keeps the common CSIRT register. An auditor or a
town's own it_admin asking for a write page is sent back to the dashboard with the reason.

What a host sees: the council host sees every town; a town host sees only its own backups, drills, alerts,
disasters and the incidents that affected it (the policy documents are common to the council and shown to all).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bcp import csirt, drills, nights, selectors
from bcp import disaster as disaster_service
from bcp.forms import (
    POLICY_KINDS,
    ConfirmForm,
    DeclareDisasterForm,
    GrantForm,
    IncidentEventForm,
    IncidentForm,
    IncidentStatusForm,
    PolicyForm,
    StartJobForm,
)
from bcp.models import Disaster, EmergencyGrant, IncidentStatus, PolicyDocument, PolicyKind
from common.errors import ApplicationError
from common.middleware import passive
from tenants.access import person_of, request_roles
from tenants.models import Municipality, Role

AUDIT_LABELS = {
    "bcp.view_dashboard": "BCP: ダッシュボードの表示",
}

MANAGE_REFUSED = "この操作は協議会の情報システム担当が、協議会のホストで行います。"


def _tenant(request: HttpRequest) -> Municipality:
    tenant = getattr(request, "tenant", None)
    if not isinstance(tenant, Municipality):
        raise Http404
    return tenant


def can_manage(request: HttpRequest) -> bool:
    return _tenant(request).kind == Municipality.Kind.COUNCIL and Role.IT_ADMIN in request_roles(request)


def council_it_admin_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_manage(request):
            messages.error(request, MANAGE_REFUSED)
            return redirect("bcp:dashboard")
        return view(request, *args, **kwargs)

    return wrapper


def _posted(request: HttpRequest) -> Any:
    # An empty POST is still a submission (a confirmation button sends no fields): bind the form to it.
    return request.POST if request.method == "POST" else None


def _page(request: HttpRequest, template: str, nav: str, **context: Any) -> HttpResponse:
    return render(request, template, {"nav": nav, "can_manage": can_manage(request), **context})


# --- Dashboard ---------------------------------------------------------------------------------------------


@require_GET
def dashboard_view(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    data = selectors.view_dashboard(actor=person_of(request), tenant=tenant)
    disasters = disaster_service.active_disasters()
    if not data.scope.council:
        disasters = disasters.filter(municipality=tenant)
    return _page(request, "bcp/dashboard.html", "dashboard", data=data, disasters=list(disasters))


@require_GET
@passive
def progress_view(request: HttpRequest) -> JsonResponse:
    """Running backups and restores of what this host may see; polled every 2 s by bcp/static/bcp/progress.js.
    Not audited per poll (it shows no data beyond job progress); opening the dashboard is. Polling is not
    activity: it leaves the idle timeout running."""
    scope = selectors.scope_for(_tenant(request))
    return JsonResponse({"jobs": selectors.running_jobs(scope)}, json_dumps_params={"ensure_ascii": False})


PROGRESS_HINT = "ワーカーが処理を始めると「実行中のバックアップ・復元」に進捗が表示されます。"


def _start_form(request: HttpRequest) -> tuple[StartJobForm, dict[str, str]]:
    scope = selectors.scope_for(_tenant(request))
    return StartJobForm(request.POST, schemas=scope.schemas), dict(scope.schemas)


@require_POST
@council_it_admin_only
def backup_start_view(request: HttpRequest) -> HttpResponse:
    """「今すぐバックアップ」 for one town (or the public schema), from the dashboard (docs/bcp.md §7)."""
    form, labels = _start_form(request)
    if not form.is_valid():
        messages.error(request, "バックアップの対象を選択してください。")
        return redirect("bcp:dashboard")
    schema = form.cleaned_data["schema"]
    if nights.request_backup_now(actor=person_of(request), schema_names=[schema]):
        messages.success(request, f"{labels[schema]}の本日分のバックアップを開始しました。{PROGRESS_HINT}")
    else:
        messages.error(request, f"{labels[schema]}はバックアップの対象ではありません。")
    return redirect("bcp:dashboard")


@require_POST
@council_it_admin_only
def drill_start_view(request: HttpRequest) -> HttpResponse:
    """「復元訓練」 of one town from one site, from the dashboard (docs/bcp.md §7)."""
    form, labels = _start_form(request)
    if not form.is_valid() or form.cleaned_data["site"] is None:
        messages.error(request, "復元訓練の対象とバックアップサイトを選択してください。")
        return redirect("bcp:dashboard")
    schema, site = form.cleaned_data["schema"], form.cleaned_data["site"]
    try:
        drills.request_drill(actor=person_of(request), schema_name=schema, site=site)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{labels[schema]}の復元訓練({site})を開始しました。{PROGRESS_HINT}")
    return redirect("bcp:dashboard")


# --- Disaster mode -----------------------------------------------------------------------------------------


def _disasters(request: HttpRequest) -> Any:
    tenant = _tenant(request)
    disasters = Disaster.objects.select_related("municipality", "declared_by", "ended_by")
    if tenant.kind != Municipality.Kind.COUNCIL:
        disasters = disasters.filter(municipality=tenant)
    return disasters


@require_GET
def disasters_view(request: HttpRequest) -> HttpResponse:
    disasters = list(_disasters(request).order_by("-declared_at")[:100])
    return _page(request, "bcp/disasters.html", "disasters", disasters=disasters)


@require_http_methods(["GET", "POST"])
@council_it_admin_only
def disaster_declare_view(request: HttpRequest) -> HttpResponse:
    form = DeclareDisasterForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            created = disaster_service.declare_disaster(
                actor=person_of(request),
                municipality=form.cleaned_data["municipality"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{created.municipality.name}に災害モードを宣言しました。")
            return redirect("bcp:disaster", pk=created.pk)
    return _page(request, "bcp/disaster_declare.html", "disasters", form=form)


@require_GET
def disaster_view(request: HttpRequest, pk: int) -> HttpResponse:
    disaster = get_object_or_404(_disasters(request), pk=pk)
    grants = list(disaster.grants.select_related("membership__person", "granted_by").order_by("-granted_at"))
    return _page(
        request,
        "bcp/disaster.html",
        "disasters",
        disaster=disaster,
        grants=grants,
        live=set(disaster_service.live_grants().filter(disaster=disaster).values_list("pk", flat=True)),
        end_form=ConfirmForm(),
    )


@require_http_methods(["GET", "POST"])
@council_it_admin_only
def disaster_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    disaster = get_object_or_404(_disasters(request), pk=pk)
    form = ConfirmForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            disaster_service.end_disaster(actor=person_of(request), disaster=disaster)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "災害モードを解除しました。緊急応援はすべて取り消されました。")
            return redirect("bcp:disaster", pk=disaster.pk)
    return _page(request, "bcp/disaster_end.html", "disasters", disaster=disaster, form=form)


@require_http_methods(["GET", "POST"])
@council_it_admin_only
def grant_view(request: HttpRequest, pk: int) -> HttpResponse:
    disaster = get_object_or_404(_disasters(request), pk=pk)
    form = GrantForm(_posted(request), people=disaster_service.candidate_people(disaster=disaster))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant = disaster_service.grant_emergency_access(
                actor=person_of(request),
                disaster=disaster,
                person=data["person"],
                role=data["role"],
                hours=data["hours"],
                note=data["note"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"{data['person'].full_name}さんに緊急応援を付与しました(有効期限 "
                f"{timezone.localtime(grant.expires_at):%Y-%m-%d %H:%M})。",
            )
            return redirect("bcp:disaster", pk=disaster.pk)
    return _page(request, "bcp/grant.html", "disasters", disaster=disaster, form=form)


@require_http_methods(["GET", "POST"])
@council_it_admin_only
def grant_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    grant = get_object_or_404(
        EmergencyGrant.objects.select_related("disaster__municipality", "membership__person"), pk=pk
    )
    form = ConfirmForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            disaster_service.revoke_emergency_access(
                actor=person_of(request), grant=grant, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "緊急応援を取り消しました。")
            return redirect("bcp:disaster", pk=grant.disaster_id)
    return _page(request, "bcp/grant_revoke.html", "disasters", grant=grant, form=form)


# --- CSIRT register ----------------------------------------------------------------------------------------


@require_GET
def incidents_view(request: HttpRequest) -> HttpResponse:
    incidents = csirt.incidents_for(_tenant(request))
    status = request.GET.get("status", "")
    if status in IncidentStatus.values:
        incidents = incidents.filter(status=status)
    return _page(
        request,
        "bcp/incidents.html",
        "incidents",
        incidents=list(incidents[:200]),
        statuses=IncidentStatus.choices,
        status=status,
    )


@require_http_methods(["GET", "POST"])
@council_it_admin_only
def incident_new_view(request: HttpRequest) -> HttpResponse:
    form = IncidentForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = csirt.create_incident(
                actor=person_of(request),
                title=data["title"],
                severity=data["severity"],
                detected_at=data["detected_at"],
                summary=data["summary"],
                affected_towns=list(data["affected_towns"]),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"インシデント {incident.number} を登録しました。")
            return redirect("bcp:incident", pk=incident.pk)
    return _page(request, "bcp/incident_new.html", "incidents", form=form)


def _incident_page(
    request: HttpRequest, pk: int, *, event_form: IncidentEventForm | None = None, status_form: Any = None
) -> HttpResponse:
    incident = get_object_or_404(csirt.incidents_for(_tenant(request)), pk=pk)
    events = list(incident.events.select_related("actor").order_by("occurred_at", "id"))
    return _page(
        request,
        "bcp/incident.html",
        "incidents",
        incident=incident,
        events=events,
        event_kinds=csirt.EVENT_KINDS,
        actions=[e for e in events if e.kind == "action"],
        event_form=event_form or IncidentEventForm(),
        status_form=status_form or IncidentStatusForm(current=incident.status),
    )


@require_GET
def incident_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _incident_page(request, pk)


@require_POST
@council_it_admin_only
def incident_event_view(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(csirt.incidents_for(_tenant(request)), pk=pk)
    form = IncidentEventForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            csirt.add_incident_event(
                actor=person_of(request),
                incident=incident,
                kind=data["kind"],
                occurred_at=data["occurred_at"],
                description=data["description"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "経過を記録しました。")
            return redirect("bcp:incident", pk=incident.pk)
    return _incident_page(request, pk, event_form=form)


@require_POST
@council_it_admin_only
def incident_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(csirt.incidents_for(_tenant(request)), pk=pk)
    form = IncidentStatusForm(request.POST, current=incident.status)
    if form.is_valid():
        try:
            csirt.change_incident_status(
                actor=person_of(request),
                incident=incident,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "状態を変更しました。")
            return redirect("bcp:incident", pk=incident.pk)
    return _incident_page(request, pk, status_form=form)


# --- Policy documents --------------------------------------------------------------------------------------


def _kind(kind: str) -> str:
    if kind not in PolicyKind.values:
        raise Http404
    return kind


@require_GET
def policies_view(request: HttpRequest) -> HttpResponse:
    documents = list(PolicyDocument.objects.select_related("approved_by", "created_by").order_by("kind", "-version"))
    kinds = [
        {
            "kind": kind,
            "label": label,
            "current": next((d for d in documents if d.kind == kind and d.approved_at), None),
            "latest": next((d for d in documents if d.kind == kind), None),
        }
        for kind, label in PolicyKind.choices
    ]
    return _page(request, "bcp/policies.html", "policies", kinds=kinds)


@require_GET
def policy_kind_view(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    versions = list(PolicyDocument.objects.filter(kind=kind).select_related("approved_by", "created_by"))
    return _page(
        request, "bcp/policy_versions.html", "policies", kind=kind, kind_label=POLICY_KINDS[kind], versions=versions
    )


@require_http_methods(["GET", "POST"])
@council_it_admin_only
def policy_new_view(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    latest = PolicyDocument.objects.filter(kind=kind).order_by("-version").first()
    initial = {"title": latest.title, "body": latest.body} if latest else {"title": POLICY_KINDS[kind]}
    form = PolicyForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = csirt.create_policy_version(
                actor=person_of(request),
                kind=kind,
                title=data["title"],
                body=data["body"],
                change_summary=data["change_summary"],
                effective_on=data["effective_on"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"第{document.version}版を作成しました(未承認)。")
            return redirect("bcp:policy", pk=document.pk)
    return _page(
        request, "bcp/policy_new.html", "policies", kind=kind, kind_label=POLICY_KINDS[kind], form=form, latest=latest
    )


@require_GET
def policy_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(PolicyDocument.objects.select_related("approved_by", "created_by"), pk=pk)
    previous = csirt.previous_version(document)
    return _page(
        request,
        "bcp/policy.html",
        "policies",
        document=document,
        previous=previous,
        diff=csirt.policy_diff(document, previous),
        hash_ok=csirt.body_sha256(document.body) == document.sha256,
        is_latest=not PolicyDocument.objects.filter(kind=document.kind, version__gt=document.version).exists(),
    )


@require_POST
@council_it_admin_only
def policy_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(PolicyDocument, pk=pk)
    try:
        csirt.approve_policy_version(actor=person_of(request), document=document)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"第{document.version}版を承認しました。以後この版は変更できません。")
    return redirect("bcp:policy", pk=document.pk)
