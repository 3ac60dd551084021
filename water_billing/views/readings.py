"""検針: the route list (printable and CSV for the handheld terminals) and the readings CSV import. The
検針員 may use these pages and nothing else of the module."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from common.csv_export import SafeCSVWriter
from common.errors import ApplicationError, NotFound
from tenants.access import person_of
from water_billing import selectors
from water_billing.forms import ReadingsForm
from water_billing.services import readings
from water_billing.views.common import readers_allowed

HEADER = ["水栓番号", "地区", "順路", "設置場所", "メーター番号", "前回指針", "検針日", "指針"]


class _Echo:
    def write(self, value: str) -> str:
        return value


@readers_allowed
@require_http_methods(["GET", "POST"])
def readings_view(request: HttpRequest) -> HttpResponse:
    periods = [p.code for p in selectors.periods()]
    form = ReadingsForm(request.POST or None, request.FILES or None, periods=periods)
    result = None
    errors: list[dict[str, object]] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = readings.import_readings(
                actor=person_of(request),
                period=selectors.period_or_404(form.cleaned_data["period"]),
                data=form.cleaned_data["file"].read(),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            errors = list(exc.details.get("errors", [])) if isinstance(exc.details, dict) else []
    return render(
        request,
        "water_billing/readings.html",
        {
            "form": form,
            "result": result,
            "errors": errors,
            "periods": periods,
            "nav": "readings",
            "final_requests": selectors.final_reading_requests(),
        },
    )


@readers_allowed
@require_GET
def route_view(request: HttpRequest, code: str) -> HttpResponseBase:
    """The route list: 水栓番号, 地区, 順路, meter and previous reading (no names: the reader needs none)."""
    try:
        period = selectors.period_or_404(code)
    except NotFound:
        return render(request, "water_billing/refused.html", {"message": "料金期が見つかりません。"}, status=404)
    district = request.GET.get("district", "")[:50]
    rows = readings.route_rows(period=period, district=district)
    previous = selectors.previous_values([c.pk for c in rows], period)
    if request.GET.get("format") == "csv":
        writer = SafeCSVWriter(_Echo())

        def lines() -> Iterator[str]:
            yield "\ufeff"
            yield writer.writerow(
                ["水栓番号", "地区", "順路", "設置場所", "メーター番号", "前回指針", "検針日", "指針"]
            )
            for c in rows:
                yield writer.writerow([c.tap_number, c.district, c.route_order, c.address, c.meter_serial,
                                       previous.get(c.pk, 0), "", ""])  # fmt: skip

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="route-{period.code}.csv"'
        return response
    return render(
        request,
        "water_billing/route.html",
        {"period": period, "rows": [(c, previous.get(c.pk, 0)) for c in rows], "district": district,
         "nav": "readings"},
    )  # fmt: skip
