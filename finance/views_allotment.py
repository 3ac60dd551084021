"""予算配当 to 課 (docs/domain/finance.md §5.7): the 財政担当 allots; everyone of the module sees the 配当."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from common.dates import local_today
from common.errors import ApplicationError
from finance import rules, selectors, services
from finance.forms import AllotmentForm
from finance.services.departments import allotment_on
from finance.views import _show, staff_page
from tenants.access import person_of


@require_http_methods(["GET", "POST"])
@staff_page
def allotment_view(request: HttpRequest) -> HttpResponse:
    """課への予算配当: the list of the year's 配当 with each 課's 残額, and the 財政担当's form."""
    year = rules.fiscal_year_of(local_today())
    lines = selectors.lines_for_entry(year=year)
    done = None
    form = AllotmentForm(lines=lines)
    if request.method == "POST":
        form = AllotmentForm(request.POST, lines=lines)
        if form.is_valid():
            data = form.cleaned_data
            try:
                allotment = services.allot_to_department(
                    actor=person_of(request),
                    line=data["line"],
                    department_code=data["department_code"],
                    amount=data["amount"],
                )
            except ApplicationError as exc:
                _show(form, exc)
            else:
                done = (
                    f"{allotment.department_name} に {allotment.line.label} から "
                    f"{allotment.amount:,}円 を配当しました。"
                )
                form = AllotmentForm(lines=lines)
    context = {
        "form": form,
        "done": done,
        "enabled": allotment_on(),
        "year": year,
        "wareki": rules.wareki_year(year),
        "allotments": selectors.department_allotments(year=year),
        "departments": selectors.department_execution(year=year),
        "nav": "allotment",
    }
    return render(request, "finance/allotment.html", context, status=400 if form.errors else 200)
