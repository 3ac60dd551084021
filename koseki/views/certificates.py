"""証明書の交付 (確認 with the 見本, then 発行) and the day's 交付履歴."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from common.dates import local_today
from common.errors import ApplicationError
from common.http import pdf_preview
from koseki import certificates, selectors
from koseki.forms import CertificateForm
from koseki.models import CertificateKind, Koseki, Member, RequesterRelation
from koseki.views.common import (
    clerk_only,
    current_purpose,
    koseki_or_404,
    pdf_download,
    personal_data_page,
    request_actor,
)

PREVIEW_SESSION_KEY = "koseki.certificate_preview"
# The 見本 is framed by this site's confirmation page (see resident_records.views.certificate_preview_view).


def _certificate_form(request: HttpRequest, koseki: Koseki, members: Sequence[Member]) -> CertificateForm:
    data = request.POST if request.method == "POST" else None
    return CertificateForm(
        data, members=members, closed=koseki.is_closed, initial={"purpose": current_purpose(request)}
    )


def _chosen(members: Sequence[Member], ids: Iterable[Any]) -> list[Member]:
    wanted = {str(i) for i in ids}
    return [m for m in members if str(m.pk) in wanted]


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="戸籍証明書の交付")
def certificate_view(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
    """Two steps: 確認 with the 見本 (PDF marked 見本, nothing recorded), then 発行, which returns the PDF."""
    koseki = koseki_or_404(public_id)
    members = list(Member.objects.filter(koseki=koseki).order_by("position"))
    form = _certificate_form(request, koseki, members)
    context: dict[str, Any] = {"form": form, "koseki": koseki}
    if request.method != "POST" or request.POST.get("step") == "edit" or not form.is_valid():
        # The form lists the register's members: a read of the register.
        selectors.view_register_form(actor=request_actor(request), koseki=koseki, purpose=purpose, page="証明書の交付")
        status = 400 if request.method == "POST" and request.POST.get("step") != "edit" else 200
        return render(request, "koseki/certificate.html", context, status=status)
    data = form.cleaned_data
    kind = data["kind"]
    # 全部事項 covers everyone; a 個人事項証明書 (and optionally a 附票の写し) only the chosen persons.
    chosen = _chosen(members, data["members"]) if kind in (CertificateKind.INDIVIDUAL, CertificateKind.FUHYO) else []
    if request.POST.get("step") != "issue":
        # The 見本 is fetched by the <iframe> with GET: what to print stays in the session, not in the URL.
        request.session[PREVIEW_SESSION_KEY] = {
            **request.session.get(PREVIEW_SESSION_KEY, {}),
            str(koseki.pk): {"kind": kind, "members": [m.pk for m in chosen], "purpose": data["purpose"]},
        }
        context.update(
            confirm=True,
            chosen=chosen,
            kind_label=CertificateKind(kind).label,
            relation_label=RequesterRelation(data["requester_relation"]).label,
            preview_url=reverse("koseki:certificate_preview", args=[koseki.public_id]),
        )
        return render(request, "koseki/certificate.html", context)
    try:
        issued = certificates.issue_certificate(
            actor=request_actor(request),
            koseki=koseki,
            kind=kind,
            members=chosen or None,
            requester_name=data["requester_name"],
            requester_relation=data["requester_relation"],
            id_document=data["id_document"],
            purpose=data["purpose"],
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return render(request, "koseki/certificate.html", context, status=exc.status_code)
    _forget_preview(request, koseki.pk)
    return pdf_download(issued.pdf, issued.issuance)


def _forget_preview(request: HttpRequest, koseki_id: int) -> None:
    stored = dict(request.session.get(PREVIEW_SESSION_KEY, {}))
    if stored.pop(str(koseki_id), None) is not None:
        request.session[PREVIEW_SESSION_KEY] = stored


@require_http_methods(["GET"])
@clerk_only
@xframe_options_sameorigin
@personal_data_page(intrinsic="戸籍証明書の交付")
def certificate_preview_view(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
    """The 見本 PDF of the certificate being confirmed (no 発行番号, no code, no 交付履歴 row)."""
    koseki = koseki_or_404(public_id)
    stored = request.session.get(PREVIEW_SESSION_KEY, {}).get(str(koseki.pk))
    if not isinstance(stored, dict):
        raise Http404("確認中の証明書がありません。")
    chosen = list(Member.objects.filter(koseki=koseki, pk__in=stored.get("members", [])).order_by("position"))
    try:
        document = certificates.preview_certificate(
            actor=request_actor(request),
            koseki=koseki,
            kind=str(stored.get("kind", "")),
            members=chosen or None,
            purpose=str(stored.get("purpose", "")),
        )
    except ApplicationError as exc:
        _forget_preview(request, koseki.pk)
        return HttpResponse(exc.message, status=exc.status_code, content_type="text/plain; charset=utf-8")
    return pdf_preview(document, "koseki-preview.pdf")


@require_http_methods(["GET"])
@personal_data_page()
def issuance_list_view(request: HttpRequest, *, purpose: str) -> HttpResponse:
    """今日の交付履歴 with the fees per kind: the counter's daily cash report (窓口の現金日計)."""
    today = local_today()
    summary = certificates.daily_issuances(day=today)
    issuances = selectors.view_issuances(actor=request_actor(request), day=today, purpose=purpose)
    return render(
        request,
        "koseki/issuances.html",
        {
            "today": today,
            "issuances": issuances,
            "summary": summary,
            "nav": "issuances",
        },
    )
