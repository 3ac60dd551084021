"""収納 and 滞納: the 口座振替 request file, the bank's result file, counter payments, the arrears list."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from common.dates import local_today
from common.errors import ApplicationError
from tenants.access import person_of
from water_billing import selectors
from water_billing.forms import DebitRequestForm, DebitResultForm, PaymentForm
from water_billing.models import Bill
from water_billing.services import collection
from water_billing.views.common import clerk_only, personal_data_page, readers_only


@clerk_only
@require_http_methods(["GET", "POST"])
def debit_view(request: HttpRequest) -> HttpResponse:
    periods = [p.code for p in selectors.periods()]
    request_form = DebitRequestForm(request.POST if request.POST.get("action") == "request" else None, periods=periods)
    result_form = DebitResultForm(
        request.POST if request.POST.get("action") == "result" else None,
        request.FILES if request.POST.get("action") == "result" else None,
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


@clerk_only
@require_http_methods(["GET", "POST"])
def payment_view(request: HttpRequest) -> HttpResponse:
    form = PaymentForm(request.POST or None)
    payment = None
    if request.method == "POST" and form.is_valid():
        bill = Bill.objects.filter(number=form.cleaned_data["bill"].strip()).first()
        if bill is None:
            form.add_error("bill", "請求番号の請求が見つかりません。")
        else:
            try:
                payment = collection.record_payment(
                    actor=person_of(request), bill=bill, amount=form.cleaned_data["amount"],
                    paid_on=form.cleaned_data["paid_on"], channel=form.cleaned_data["channel"],
                )  # fmt: skip
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                form = PaymentForm()
    return render(request, "water_billing/payment.html", {"form": form, "payment": payment, "nav": "payment"})


@readers_only
@require_GET
@personal_data_page()
def arrears_view(request: HttpRequest, *, purpose: str) -> HttpResponse:
    today = local_today()
    rows = selectors.view_arrears(actor=person_of(request), purpose=purpose, today=today)
    return render(request, "water_billing/arrears.html", {"rows": rows, "today": today, "nav": "arrears"})
