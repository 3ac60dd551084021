"""交付履歴 (today's issuances) and 無効."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from common.dates import local_today
from common.errors import ApplicationError
from resident_records import certificates, selectors
from resident_records.forms import (
    VoidForm,
)
from resident_records.models import (
    CertificateIssuance,
)
from resident_records.views.common import (
    _is_clerk,
    clerk_only,
    personal_data_page,
)


@require_http_methods(["GET"])
@personal_data_page()
def issuance_list_view(request: HttpRequest, *, purpose: str) -> HttpResponse:
    """今日の交付履歴 (標準仕様書 §1.3.8), with 無効 for a clerk."""
    today = local_today()
    issuances = selectors.view_issuances(actor=request.user, day=today, purpose=purpose)  # type: ignore[arg-type]
    return render(
        request,
        "resident_records/issuances.html",
        {"issuances": issuances, "today": today, "is_clerk": _is_clerk(request), "nav": "issuances"},
    )


@require_POST
@clerk_only
def void_issuance_view(request: HttpRequest, number: str) -> HttpResponse:
    issuance = get_object_or_404(CertificateIssuance, number=number)
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, "無効にする理由を入力してください。")
    else:
        try:
            certificates.void_certificate(
                actor=request.user,  # type: ignore[arg-type]
                issuance=issuance,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"発行番号 {issuance.number} を無効にしました。")
    return redirect(reverse("resident_records:issuances"))
