"""広域交付 (戸籍法 第120条の2): a certificate of a register held by another town of the platform."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from typing import Any

from django import forms
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from common.errors import ApplicationError
from common.http import pdf_preview
from koseki import wide_area
from koseki.forms import WideAreaIssueForm, WideAreaSearchForm
from koseki.models import CertificateKind, RequesterRelation
from koseki.views.common import clerk_only, other_towns, pdf_download, request_actor

WIDE_AREA_SESSION_KEY = "koseki.wide_area_registers"
# The request whose 見本 the clerk is confirming: what 「発行する」 may issue, and the cache key of the 見本 PDF.
WIDE_AREA_PREVIEW_SESSION_KEY = "koseki.wide_area_preview"
# The 見本 is rendered once, by the audited service, when the clerk asks to confirm; the <iframe> then fetches
# it from the cache (the cache keys carry the schema name). Kept no longer than a counter's confirmation takes.
PREVIEW_CACHE_SECONDS = 15 * 60
REQUEST_FIELDS = (
    "holding_schema",
    "koseki_number",
    "requester_family_name",
    "requester_given_name",
    "requester_birth_date",
    "requester_honseki",
    "requester_relation",
    "id_document",
    "purpose",
)


@require_http_methods(["GET", "POST"])
@clerk_only
def wide_area_view(request: HttpRequest) -> HttpResponse:
    """広域交付 (戸籍法 第120条の2): find the register in the other town, confirm the 見本, then issue.

    「戸籍を検索」 runs the audited cross-town search; what it found is kept in the session (not in the form, so
    the clerk cannot post a register number that was never found). 「内容を確認する」 runs every check and shows
    the 見本 (audited in both towns, nothing issued); 「発行する」 issues exactly the request confirmed.
    """
    if request.method == "GET":
        if "preview" in request.GET:
            return _preview_pdf(request, request.GET["preview"])
        _forget(request)
        return _wide_area_page(request, _search_form(), None)
    step = request.POST.get("step", "")
    registers = _found_registers(request) if step in ("preview", "issue", "edit") else None
    if registers is None:
        return _search(request)
    found = {r.koseki_number: r for r in registers}
    choices = [(number, _register_label(r)) for number, r in found.items()]
    towns = _towns()
    if step == "edit":
        form = WideAreaIssueForm(initial=request.POST.dict(), towns=towns, registers=choices)
        return _wide_area_page(request, form, registers)
    form = WideAreaIssueForm(request.POST, towns=towns, registers=choices)
    if not form.is_valid():
        return _wide_area_page(request, form, registers)
    data = form.cleaned_data
    register = found[data["koseki_number"]]
    params = _params(data)
    if step == "preview":
        return _confirm(request, form, registers, register, params)
    confirmed = request.session.get(WIDE_AREA_PREVIEW_SESSION_KEY)
    if not isinstance(confirmed, dict) or confirmed.get("params") != params:
        form.add_error(None, "発行の前に「内容を確認する」を押し、見本で内容を確認してください。")
        return _wide_area_page(request, form, registers)
    try:
        issued = wide_area.issue_wide_area_certificate(actor=request_actor(request), **_service_args(register, data))
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _wide_area_page(request, form, registers, status=exc.status_code)
    _forget(request)
    return pdf_download(issued.pdf, issued.issuance)


def _search(request: HttpRequest) -> HttpResponse:
    towns = _towns()
    search = WideAreaSearchForm(request.POST, towns=towns)
    if search.is_valid():
        try:
            registers = wide_area.find_wide_area_registers(
                actor=request_actor(request),
                holding_schema=search.cleaned_data["holding_schema"],
                honseki=search.cleaned_data["honseki"],
                head_name=search.cleaned_data["head_name"],
                purpose=search.cleaned_data["purpose"],
            )
        except ApplicationError as exc:
            search.add_error(None, exc.message)
        else:
            _forget(request)
            request.session[WIDE_AREA_SESSION_KEY] = [asdict(r) for r in registers]
            choices = [(r.koseki_number, _register_label(r)) for r in registers]
            form = WideAreaIssueForm(initial=request.POST.dict(), towns=towns, registers=choices)
            return _wide_area_page(request, form, registers)
    return _wide_area_page(request, search, None)


def _confirm(
    request: HttpRequest,
    form: WideAreaIssueForm,
    registers: list[wide_area.WideAreaRegister],
    register: wide_area.WideAreaRegister,
    params: dict[str, str],
) -> HttpResponse:
    """The 見本 step: the service refuses what issuing would refuse; otherwise the 見本 waits in the cache."""
    data = form.cleaned_data
    try:
        document = wide_area.preview_wide_area_certificate(
            actor=request_actor(request), **_service_args(register, data)
        )
    except ApplicationError as exc:
        _forget_preview(request)
        form.add_error(None, exc.message)
        return _wide_area_page(request, form, registers, status=exc.status_code)
    _forget_preview(request)
    token = secrets.token_urlsafe(16)
    cache.set(_cache_key(token), document, PREVIEW_CACHE_SECONDS)
    request.session[WIDE_AREA_PREVIEW_SESSION_KEY] = {"token": token, "params": params}
    context = {
        "form": form,
        "registers": registers,
        "nav": "wide_area",
        "confirm": True,
        "register_label": _register_label(register),
        "relation_label": RequesterRelation(data["requester_relation"]).label,
        "preview_url": f"{reverse('koseki:wide_area')}?preview={token}",
    }
    return render(request, "koseki/wide_area.html", context)


def _preview_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """The 見本 PDF of the request being confirmed, for the confirmation page's <iframe>."""
    stored = request.session.get(WIDE_AREA_PREVIEW_SESSION_KEY)
    document = cache.get(_cache_key(token)) if isinstance(stored, dict) and stored.get("token") == token else None
    if not isinstance(document, bytes):
        return HttpResponse(
            "確認中の見本がありません(表示できる時間が過ぎた可能性があります)。もう一度「内容を確認する」を押してください。",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    # Framed by the confirmation page of this site only (the page itself keeps the site's DENY).
    return pdf_preview(document, "koseki-wide-area-preview.pdf")


def _params(data: dict[str, Any]) -> dict[str, str]:
    """The confirmed request, as the session keeps it (JSON) and compares it when issuing."""
    values = {name: data[name] for name in REQUEST_FIELDS}
    values["requester_birth_date"] = data["requester_birth_date"].isoformat()
    return {name: " ".join(str(value or "").split()) for name, value in values.items()}


def _service_args(register: wide_area.WideAreaRegister, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "holding_schema": register.holding_schema,
        "koseki_number": register.koseki_number,
        "requester": wide_area.RequesterIdentity(
            family_name=data["requester_family_name"],
            given_name=data["requester_given_name"],
            birth_date=data["requester_birth_date"],
            honseki=data.get("requester_honseki") or "",
        ),
        "requester_relation": data["requester_relation"],
        "id_document": data["id_document"],
        "purpose": data["purpose"],
        # The kind follows the register: 除籍全部事項証明書 for a closed one (fee 750 yen).
        "kind": CertificateKind.CLOSED_FULL if register.closed else CertificateKind.FULL,
    }


def _cache_key(token: str) -> str:
    return f"koseki:wide_area_preview:{token}"


def _forget_preview(request: HttpRequest) -> None:
    stored = request.session.pop(WIDE_AREA_PREVIEW_SESSION_KEY, None)
    if isinstance(stored, dict) and isinstance(stored.get("token"), str):
        cache.delete(_cache_key(stored["token"]))


def _forget(request: HttpRequest) -> None:
    _forget_preview(request)
    request.session.pop(WIDE_AREA_SESSION_KEY, None)


def _towns() -> list[tuple[str, str]]:
    return [(t.schema_name, t.name) for t in other_towns()]


def _search_form() -> WideAreaSearchForm:
    return WideAreaSearchForm(towns=_towns())


def _found_registers(request: HttpRequest) -> list[wide_area.WideAreaRegister] | None:
    stored = request.session.get(WIDE_AREA_SESSION_KEY)
    if not isinstance(stored, list):
        return None
    try:
        return [wide_area.WideAreaRegister(**item) for item in stored]
    except TypeError:
        return None


def _wide_area_page(
    request: HttpRequest,
    form: forms.Form,
    registers: list[wide_area.WideAreaRegister] | None,
    *,
    status: int | None = None,
) -> HttpResponse:
    if status is None:
        status = 400 if request.method == "POST" and form.is_bound and form.errors else 200
    context = {"form": form, "registers": registers, "nav": "wide_area"}
    return render(request, "koseki/wide_area.html", context, status=status)


def _register_label(register: wide_area.WideAreaRegister) -> str:
    kind = CertificateKind.CLOSED_FULL if register.closed else CertificateKind.FULL
    return f"{register.town_name} {register.honseki} 筆頭者 {register.head_name}({CertificateKind(kind).label})"
