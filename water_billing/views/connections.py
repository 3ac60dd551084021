"""給水装置: search, the connection page (readings, bills, payments, usage chart), the meter replacement list."""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from common.dates import local_today
from common.errors import NotFound
from tenants.access import person_of
from water_billing import selectors
from water_billing.charts import usage_svg
from water_billing.forms import SearchForm
from water_billing.views.common import personal_data_page, readers_only


@readers_only
@require_GET
@personal_data_page()
def search_view(request: HttpRequest, *, purpose: str) -> HttpResponse:
    form = SearchForm(request.GET if "q" in request.GET else None)
    query = form.cleaned_data["q"] if form.is_bound and form.is_valid() else ""
    found = selectors.search_connections(actor=person_of(request), purpose=purpose, query=query)
    return render(request, "water_billing/search.html", {"form": form, "found": found, "nav": "search"})


@readers_only
@require_GET
@personal_data_page()
def connection_view(request: HttpRequest, tap_number: str, *, purpose: str) -> HttpResponse:
    try:
        view = selectors.view_connection(actor=person_of(request), purpose=purpose, tap_number=tap_number)
    except NotFound as exc:
        raise Http404 from exc
    points = [(r.period.code, r.usage_m3) for r in reversed(view.readings)]
    return render(
        request,
        "water_billing/connection.html",
        {"view": view, "c": view.connection, "chart": usage_svg(points), "nav": "search"},
    )


@readers_only
@require_GET
def meters_view(request: HttpRequest) -> HttpResponse:
    """交換予定一覧: meters whose 検定満期 falls within the next year (水栓番号 and meter data only)."""
    before = local_today() + timedelta(days=365)
    meters = selectors.meters_expiring(before)[:500]
    return render(request, "water_billing/meters.html", {"meters": meters, "before": before, "nav": "meters"})
