"""資本的収支 (4条; docs/domain/water_billing.md §5.2): the year's capital income and expenditure against the 4条
budget with the 補填財源 of the shortfall, and the clerk's entries, budget lines and funding notes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from common.dates import local_today
from common.errors import ApplicationError
from tenants.access import person_of
from water_billing import selectors_capital
from water_billing.forms import CapitalBudgetForm, CapitalEntryForm, CapitalFundingForm
from water_billing.models import BudgetArticle, CapitalItem
from water_billing.services import budgets, capital
from water_billing.views.common import is_clerk, readers_only


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else capital.fiscal_year_of(local_today())


def _save(action: str, form: forms.Form, actor: Any, year: int) -> None:
    data = form.cleaned_data
    if action == "entry":
        capital.record_capital_entry(actor=actor, **data)
    elif action == "funding":
        capital.record_funding(actor=actor, fiscal_year=year, **data)
    else:
        budgets.record_budget_line(
            actor=actor, fiscal_year=year, article=BudgetArticle.CAPITAL, account_code=data["item"],
            name=CapitalItem(data["item"]).label, amount=data["amount"],
        )  # fmt: skip


@readers_only
@require_http_methods(["GET", "POST"])
def capital_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and not is_clerk(request):  # auditors read; only the 水道料金担当 records
        return render(request, "water_billing/clerk_only.html", status=403)
    year = _year(request)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    bound = {name: request.POST if action == name else None for name in ("entry", "funding", "budget")}
    entry = CapitalEntryForm(bound["entry"], prefix="entry", initial={"posted_on": local_today()})
    funding = CapitalFundingForm(bound["funding"], prefix="funding")
    budget = CapitalBudgetForm(bound["budget"], prefix="budget")
    form = {"entry": entry, "funding": funding, "budget": budget}.get(action)
    if form is not None and form.is_valid():
        try:
            _save(action, form, person_of(request), year)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(f"{request.path}?year={year}")
    return render(
        request,
        "water_billing/capital.html",
        {"year": year, "s": selectors_capital.capital_statement(fiscal_year=year),
         "entries": selectors_capital.capital_entries(fiscal_year=year), "entry_form": entry,
         "funding_form": funding, "budget_form": budget, "clerk": is_clerk(request), "nav": "books"},
        status=400 if form is not None and form.errors else 200,
    )  # fmt: skip
