"""The enterprise's books (試算表, 損益計算書, 貸借対照表, consumption tax) for any period; the tariffs."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from common.dates import local_today
from water_billing import selectors
from water_billing.forms import StatementsForm
from water_billing.views.common import readers_only


@readers_only
@require_GET
def books_view(request: HttpRequest) -> HttpResponse:
    today = local_today()
    fiscal_start = date(today.year if today.month >= 4 else today.year - 1, 4, 1)
    form = StatementsForm(request.GET if "start" in request.GET else None)
    start, end = fiscal_start, today
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    elif not form.is_bound:
        form = StatementsForm(initial={"start": start, "end": end})
    return render(
        request,
        "water_billing/books.html",
        {"form": form, "start": start, "end": end, "s": selectors.statements(start=start, end=end),
         "tax": selectors.tax_summary(start=start, end=end), "nav": "books",
         "budget": selectors.budget_execution(fiscal_year=end.year if end.month >= 4 else end.year - 1, end=end)},
    )  # fmt: skip


@readers_only
@require_GET
def tariffs_view(request: HttpRequest) -> HttpResponse:
    return render(request, "water_billing/tariffs.html", {"tariffs": selectors.tariffs(), "nav": "tariffs"})
