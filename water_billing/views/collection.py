"""収納 and 滞納: the 口座振替 request file, the bank's result file, counter payments, the arrears list."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.dates import local_today
from common.errors import ApplicationError, NotFound
from common.http import pdf_attachment
from tenants.access import person_of
from water_billing import pdf, selectors
from water_billing.forms import DebitRequestForm, DebitResultForm, PaymentForm, PaymentsImportForm
from water_billing.models import Bill, NoticeKind, Surcharge
from water_billing.services import arrears, collection
from water_billing.views.common import clerk_only, is_clerk, personal_data_page, readers_only


@clerk_only
@require_http_methods(["GET", "POST"])
def debit_view(request: HttpRequest) -> HttpResponse:
    periods = [p.code for p in selectors.periods()]
    # Two forms on one page, each with its own prefix (their field ids and labels must not collide).
    action = request.POST.get("action")
    request_form = DebitRequestForm(request.POST if action == "request" else None, periods=periods, prefix="request")
    result_form = DebitResultForm(
        request.POST if action == "result" else None,
        request.FILES if action == "result" else None,
        prefix="result",
    )
    outcome = None
    problems: list[dict[str, object]] = []
    if request.method == "POST" and request_form.is_bound and request_form.is_valid():
        try:
            built = collection.build_debit_request(
                actor=person_of(request),
                period=selectors.period_or_404(request_form.cleaned_data["period"]),
                debit_on=request_form.cleaned_data["debit_on"],
            )
        except ApplicationError as exc:
            request_form.add_error(None, exc.message)
        else:
            response = HttpResponse(built.data, content_type="application/octet-stream")
            response["Content-Disposition"] = f'attachment; filename="{built.filename}"'
            return response
    if request.method == "POST" and result_form.is_bound and result_form.is_valid():
        try:
            outcome = collection.import_debit_result(
                actor=person_of(request),
                data=result_form.cleaned_data["file"].read(),
                debit_on=result_form.cleaned_data["debit_on"],
            )
        except ApplicationError as exc:
            result_form.add_error(None, exc.message)
            problems = list(exc.details.get("problems", [])) if isinstance(exc.details, dict) else []
    return render(
        request,
        "water_billing/debit.html",
        {"request_form": request_form, "result_form": result_form, "outcome": outcome, "problems": problems,
         "nav": "debit"},
    )  # fmt: skip


def _record_one(request: HttpRequest, data: dict[str, Any]) -> dict[str, object]:
    """A bill's 請求番号, or a 督促手数料・延滞金's own number (§7.3): each paid through its service."""
    number = data["bill"].strip()
    args = {
        "actor": person_of(request),
        "amount": data["amount"],
        "paid_on": data["paid_on"],
        "channel": data["channel"],
    }
    bill = Bill.objects.filter(number=number).first()
    if bill is not None:
        paid = collection.record_payment(bill=bill, **args)
        return {"number": bill.number, "amount": data["amount"], "bill": paid.bill}
    claim = Surcharge.objects.filter(number=number).first()
    if claim is None:
        raise NotFound("請求番号(または督促手数料・延滞金の番号)の請求が見つかりません。", code="bill_not_found")
    collection.record_surcharge_payment(claim=claim, **args)
    return {"number": claim.number, "amount": data["amount"]}


@clerk_only
@require_http_methods(["GET", "POST"])
def payment_view(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action")
    form = PaymentForm(request.POST if action == "one" else None, prefix="one")
    upload = PaymentsImportForm(
        request.POST if action == "file" else None, request.FILES if action == "file" else None, prefix="file"
    )
    payment = imported = None
    errors: list[dict[str, object]] = []
    if action == "one" and form.is_valid():
        try:
            payment = _record_one(request, form.cleaned_data)
        except ApplicationError as exc:
            form.add_error("bill" if exc.code == "bill_not_found" else None, exc.message)
        else:
            form = PaymentForm(prefix="one")
    if action == "file" and upload.is_valid():
        try:
            imported = collection.import_payments(
                actor=person_of(request),
                data=upload.cleaned_data["file"].read(),
                channel=upload.cleaned_data["channel"],
            )
        except ApplicationError as exc:
            upload.add_error(None, exc.message)
            errors = list(exc.details.get("errors", [])) if isinstance(exc.details, dict) else []
    return render(
        request,
        "water_billing/payment.html",
        {"form": form, "upload": upload, "payment": payment, "imported": imported, "errors": errors,
         "nav": "payment"},
    )  # fmt: skip


@readers_only
@require_GET
@personal_data_page()
def arrears_view(request: HttpRequest, *, purpose: str) -> HttpResponse:
    today = local_today()
    rows = selectors.view_arrears(actor=person_of(request), purpose=purpose, today=today)
    return render(
        request,
        "water_billing/arrears.html",
        {"rows": rows, "today": today, "nav": "arrears", "clerk": is_clerk(request)},
    )


@clerk_only
@require_POST
def arrears_step_view(request: HttpRequest, tap_number: str) -> HttpResponse:
    """Take the next step of 滞納整理 for one connection (the service refuses a step out of order)."""
    try:
        connection = selectors.connection_or_404(tap_number)
        notice = arrears.issue_notice(
            actor=person_of(request), connection=connection, kind=request.POST.get("kind", ""), today=local_today()
        )
    except NotFound as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        return render(request, "water_billing/refused.html", {"message": exc.message, "nav": "arrears"}, status=409)
    if notice.kind in {NoticeKind.DUNNING, NoticeKind.REMINDER, NoticeKind.STOP_NOTICE}:
        return redirect("water_billing:notice_pdf", public_id=notice.public_id)
    return redirect("water_billing:arrears")


@clerk_only
@require_GET
@personal_data_page(intrinsic="滞納整理(通知書の印刷)")
def notice_pdf_view(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
    try:
        notice = selectors.view_notice(actor=person_of(request), purpose=purpose, public_id=public_id)
    except NotFound as exc:
        raise Http404 from exc
    return pdf_attachment(pdf.notice_pdf(notice, town=request.tenant.name), f"notice-{notice.public_id}.pdf")  # type: ignore[attr-defined]


@clerk_only
@require_GET
@personal_data_page(intrinsic="納入通知書の作成")
def bill_pdf_view(request: HttpRequest, number: str, *, purpose: str) -> HttpResponse:
    try:
        bill = selectors.view_bill(actor=person_of(request), purpose=purpose, number=number)
    except NotFound as exc:
        raise Http404 from exc
    return pdf_attachment(pdf.bill_pdf(bill, town=request.tenant.name), f"bill-{bill.number}.pdf")  # type: ignore[attr-defined]
