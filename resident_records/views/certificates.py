"""証明書: the request, its confirmation with the 見本, the issuance and its completion page."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from common.errors import ApplicationError
from common.http import pdf_attachment, pdf_preview
from common.tenancy import current_schema
from resident_records import certificates, selectors
from resident_records.forms import (
    CertificateForm,
)
from resident_records.models import (
    CertificateIssuance,
    CertificateKind,
    Resident,
    ResidentStatus,
)
from resident_records.views.common import (
    PREVIEW_FIELDS,
    PREVIEW_SESSION_KEY,
    _purpose,
    _resident,
    clerk_only,
    personal_data_page,
)


def _certificate_form(request: HttpRequest, resident: Resident, *, purpose: str) -> CertificateForm:
    """The request form; the members it offers are shown to the clerk (an audited read)."""
    shown = selectors.view_household(
        actor=request.user,  # type: ignore[arg-type]
        household=resident.household,
        purpose=purpose,
        also=[resident],
    )
    members = list(shown.residents)
    if resident not in members:
        members.insert(0, resident)  # a 除票 is requested for the person alone
    choices = [(str(m.pk), f"{m.full_name}({m.atena_number})") for m in members]
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {"members": [str(resident.pk)], "purpose": _purpose(request)}
    if resident.status != ResidentStatus.RESIDENT:
        initial.update(kind=CertificateKind.REMOVED_COPY, whole_household=False)
    return CertificateForm(data, member_choices=choices, initial=initial)


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="証明書の交付")
def certificate_view(request: HttpRequest, atena_number: str, *, purpose: str) -> HttpResponse:
    """Two steps: 確認 (what will be printed), then 発行, which returns the PDF to print."""
    resident = _resident(atena_number)
    form = _certificate_form(request, resident, purpose=purpose)
    context: dict[str, Any] = {"form": form, "resident": resident}
    if request.method != "POST" or not form.is_valid() or request.POST.get("step") == "edit":
        return render(request, "resident_records/certificate.html", context)
    chosen = list(Resident.objects.filter(pk__in=form.cleaned_data["members"]).order_by("pk"))
    if request.POST.get("step") != "issue":
        return _confirm(request, resident, form, chosen, context)
    return _issue(request, resident, form, chosen, context)


def _confirm(
    request: HttpRequest, resident: Resident, form: CertificateForm, chosen: list[Resident], context: dict[str, Any]
) -> HttpResponse:
    """確認: the same checks as issuance, then the confirmation screen framing the 見本."""
    data = form.cleaned_data
    _forget_preview(request, resident.pk)
    try:
        # The same checks as issuance (支援措置 included): a blocked person's entry is not even shown.
        covered = certificates.ensure_issuable(
            actor=request.user,  # type: ignore[arg-type]
            kind=data["kind"],
            purpose=data["purpose"],
            household=resident.household if data["whole_household"] else None,
            residents=() if data["whole_household"] else chosen,
            options=certificates.CertificateOptions(my_number=data["my_number"]),
            requester_kind=data["requester_kind"],
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return render(request, "resident_records/certificate.html", context, status=exc.status_code)
    # The 見本 is fetched by the <iframe> with GET: its parameters stay in the session, not in the URL.
    request.session[PREVIEW_SESSION_KEY] = {
        **request.session.get(PREVIEW_SESSION_KEY, {}),
        str(resident.pk): {key: data[key] for key in PREVIEW_FIELDS},
    }
    context.update(
        confirm=True,
        # One key per confirmation screen: submitting it twice issues one certificate.
        idempotency_key=uuid.uuid4(),
        covered=covered,
        kind_label=CertificateKind(data["kind"]).label,
        preview_url=reverse("resident_records:certificate_preview", args=[resident.atena_number]),
    )
    return render(request, "resident_records/certificate.html", context)


def _issue(
    request: HttpRequest, resident: Resident, form: CertificateForm, chosen: list[Resident], context: dict[str, Any]
) -> HttpResponse:
    """発行: the certificate is issued once per confirmation screen; the PDF waits on the completion page."""
    data = form.cleaned_data
    try:
        issuance, document = certificates.issue_certificate(
            actor=request.user,  # type: ignore[arg-type]
            kind=data["kind"],
            purpose=data["purpose"],
            requested_by=data["requested_by"],
            requester_kind=data["requester_kind"],
            household=resident.household if data["whole_household"] else None,
            residents=() if data["whole_household"] else chosen,
            options=certificates.CertificateOptions(
                head_and_relationship=data["head_and_relationship"],
                domicile=data["domicile"],
                resident_code=data["resident_code"],
                my_number=data["my_number"],
                fee=data["fee"],
            ),
            idempotency_key=_idempotency_key(request),
        )
    except certificates.CertificateAlreadyIssued as again:
        # A second submit of the same confirmation screen: the certificate issued by the first is shown.
        messages.warning(request, again.message)
        return redirect("resident_records:issued", issuance_number=again.issuance.number)
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return render(request, "resident_records/certificate.html", context, status=exc.status_code)
    _forget_preview(request, resident.pk)
    # The paper is printed from the completion page; the PDF waits there briefly (it is not stored: only its
    # digest is, in the 交付履歴).
    cache.set(_issued_pdf_key(request, issuance.number), document, ISSUED_PDF_SECONDS)
    return redirect("resident_records:issued", issuance_number=issuance.number)


ISSUED_PDF_SECONDS = 600


def _idempotency_key(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get("idempotency_key", ""))
    except ValueError:
        return None


def issued_pdf_key(*, schema: str, user_id: int | None, issuance_number: str) -> str:
    """Where the PDF just issued waits for the clerk who issued it (this town, this clerk, this 発行番号)."""
    return f"resident_records:issued_pdf:{schema}:{user_id}:{issuance_number}"


def _issued_pdf_key(request: HttpRequest, issuance_number: str) -> str:
    return issued_pdf_key(schema=current_schema(), user_id=request.user.pk, issuance_number=issuance_number)


@require_http_methods(["GET"])
@clerk_only
@personal_data_page(intrinsic="証明書の交付")
def issued_view(request: HttpRequest, issuance_number: str, *, purpose: str) -> HttpResponse:
    """The completion page of an issuance: its 発行番号, the persons it names and the PDF to print."""
    issuance = selectors.view_issuance(
        actor=request.user,  # type: ignore[arg-type]
        issuance=get_object_or_404(CertificateIssuance, number=issuance_number),
        purpose=purpose,
    )
    return render(
        request,
        "resident_records/issued.html",
        {"issuance": issuance, "pdf_ready": cache.get(_issued_pdf_key(request, issuance_number)) is not None},
    )


@require_http_methods(["GET"])
@clerk_only
@personal_data_page(intrinsic="証明書の交付")
def issued_pdf_view(request: HttpRequest, issuance_number: str, *, purpose: str) -> HttpResponse:
    issuance = get_object_or_404(CertificateIssuance, number=issuance_number)
    document = cache.get(_issued_pdf_key(request, issuance_number))
    if document is None:
        raise Http404("印刷用のPDFは交付の直後だけ取得できます。再交付は新たに発行してください。")
    selectors.view_issuance(actor=request.user, issuance=issuance, purpose=purpose)  # type: ignore[arg-type]
    return pdf_attachment(document, f"certificate-{issuance.year}-{issuance.serial:06d}.pdf")


def _forget_preview(request: HttpRequest, resident_id: int) -> None:
    stored = dict(request.session.get(PREVIEW_SESSION_KEY, {}))
    if stored.pop(str(resident_id), None) is not None:
        request.session[PREVIEW_SESSION_KEY] = stored


# The 見本 is framed by the confirmation page of this site: X-Frame-Options SAMEORIGIN (the site default is
# DENY) and, for this response only, CSP frame-ancestors 'self' and object-src 'self' (Chromium shows a PDF
# with its plugin viewer, which object-src 'none' would block). See CONTENT_SECURITY_POLICY in settings.
@require_http_methods(["GET"])
@clerk_only
@xframe_options_sameorigin
@personal_data_page(intrinsic="証明書の交付")
def certificate_preview_view(request: HttpRequest, atena_number: str, *, purpose: str) -> HttpResponse:
    """The 見本 PDF of the certificate being confirmed (no 発行番号, no code, no 交付履歴 row)."""
    resident = _resident(atena_number)
    stored = request.session.get(PREVIEW_SESSION_KEY, {}).get(str(resident.pk))
    if not isinstance(stored, dict):
        raise Http404("確認中の証明書がありません。")
    chosen = list(Resident.objects.filter(pk__in=stored.get("members", [])).order_by("pk"))
    try:
        document = certificates.preview_certificate(
            actor=request.user,  # type: ignore[arg-type]
            kind=str(stored.get("kind", "")),
            purpose=str(stored.get("purpose", "")),
            household=resident.household if stored.get("whole_household") else None,
            residents=() if stored.get("whole_household") else chosen,
            options=certificates.CertificateOptions(
                head_and_relationship=bool(stored.get("head_and_relationship")),
                domicile=bool(stored.get("domicile")),
                resident_code=bool(stored.get("resident_code")),
                my_number=bool(stored.get("my_number")),
            ),
            requester_kind=str(stored.get("requester_kind", "")),
        )
    except ApplicationError as exc:
        _forget_preview(request, resident.pk)
        return HttpResponse(exc.message, status=exc.status_code, content_type="text/plain; charset=utf-8")
    return pdf_preview(document, "certificate-preview.pdf")
