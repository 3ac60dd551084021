"""広域交付 (戸籍法 第120条の2): a certificate of a register held by another town of the platform."""

from __future__ import annotations

from dataclasses import asdict

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from common.errors import ApplicationError
from koseki import wide_area
from koseki.forms import WideAreaIssueForm, WideAreaSearchForm
from koseki.models import CertificateKind
from koseki.views.common import clerk_only, other_towns, pdf_download, request_actor

WIDE_AREA_SESSION_KEY = "koseki.wide_area_registers"


@require_http_methods(["GET", "POST"])
@clerk_only
def wide_area_view(request: HttpRequest) -> HttpResponse:
    """広域交付 (戸籍法 第120条の2): find the register in the other town, then issue to an entitled requester.

    「戸籍を検索」 runs the audited cross-town search; what it found is kept in the session (not in the form, so
    the clerk cannot post a register number that was never found), and 「交付する」 issues one of them.
    """
    towns = [(t.schema_name, t.name) for t in other_towns()]
    issuing = request.method == "POST" and request.POST.get("step") == "issue"
    registers = _found_registers(request) if issuing else None
    if request.method == "POST" and registers is None:
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
                request.session[WIDE_AREA_SESSION_KEY] = [asdict(r) for r in registers]
                issuing = False
        if registers is None:
            return _wide_area_page(request, search, None)
    if registers is None:
        request.session.pop(WIDE_AREA_SESSION_KEY, None)
        return _wide_area_page(request, WideAreaSearchForm(towns=towns), None)
    found = {r.koseki_number: r for r in registers}
    choices = [(number, _register_label(r)) for number, r in found.items()]
    if not issuing:
        return _wide_area_page(
            request, WideAreaIssueForm(initial=request.POST.dict(), towns=towns, registers=choices), registers
        )
    form = WideAreaIssueForm(request.POST, towns=towns, registers=choices)
    if form.is_valid():
        data = form.cleaned_data
        register = found[data["koseki_number"]]
        try:
            issued = wide_area.issue_wide_area_certificate(
                actor=request_actor(request),
                holding_schema=register.holding_schema,
                koseki_number=register.koseki_number,
                requester=wide_area.RequesterIdentity(
                    family_name=data["requester_family_name"],
                    given_name=data["requester_given_name"],
                    birth_date=data["requester_birth_date"],
                ),
                requester_relation=data["requester_relation"],
                id_document=data["id_document"],
                purpose=data["purpose"],
                # The kind follows the register: 除籍全部事項証明書 for a closed one (fee 750 yen).
                kind=CertificateKind.CLOSED_FULL if register.closed else CertificateKind.FULL,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return _wide_area_page(request, form, registers, status=exc.status_code)
        request.session.pop(WIDE_AREA_SESSION_KEY, None)
        return pdf_download(issued.pdf, issued.issuance)
    return _wide_area_page(request, form, registers)


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
