"""The public certificate verification page (no login): GET /verify/ and /verify/<code>/ on each town host."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from common import context, verification


@login_not_required
@require_GET
def verify_form_view(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("code", "")
    if raw:
        code = verification.normalize_code(raw)
        if code is not None:
            return redirect("verify:result", code=code)
        return render(
            request,
            "resident_records/verify.html",
            {"error": "確認コードは、証明書に印字された16文字(英字と数字)です。", "code": raw[:40]},
            status=400,
        )
    return render(request, "resident_records/verify.html", {})


@login_not_required
@require_GET
def verify_result_view(request: HttpRequest, code: str) -> HttpResponse:
    """Always 200 for an answer, found or not: "not found" is a valid answer to a public question.

    A string that cannot be a code is answered at once, with no look-up, no audit row and no rate count;
    well-formed codes (the only ones worth guessing) are rate-limited per client and audited.
    """
    normalized = verification.normalize_code(code)
    if normalized is None:
        return render(request, "resident_records/verify.html", {"checked": True, "result": None, "code": code[:40]})
    if verification.rate_limited(context.current().client_ip or request.META.get("REMOTE_ADDR")):
        return render(
            request,
            "resident_records/verify.html",
            {"error": "短時間に多くの確認が行われました。1分ほど待ってから、もう一度お試しください。"},
            status=429,
        )
    result = verification.verify_certificate(code=normalized)
    return render(request, "resident_records/verify.html", {"checked": True, "result": result, "code": code[:40]})
