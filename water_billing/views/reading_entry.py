"""One reading typed by the clerk on a connection: a plain reading, a rollover, a meter exchange or a 認定."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from common.errors import ApplicationError, NotFound
from tenants.access import person_of
from water_billing import selectors
from water_billing.forms import ReadingForm
from water_billing.services import readings
from water_billing.services.readings import ReadingInput
from water_billing.views.common import clerk_only


@clerk_only
@require_http_methods(["GET", "POST"])
def reading_entry_view(request: HttpRequest, tap_number: str) -> HttpResponse:
    try:
        connection = selectors.connection_or_404(tap_number)
    except NotFound as exc:
        raise Http404 from exc
    form = ReadingForm(request.POST or None, periods=[p.code for p in selectors.periods()])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            period = selectors.period_or_404(data["period"])
            if data["estimated"]:
                readings.record_estimated_reading(
                    actor=person_of(request), connection=connection, period=period, read_on=data["read_on"]
                )
            else:
                readings.record_reading(
                    actor=person_of(request), connection=connection, period=period,
                    data=ReadingInput(
                        value=data["value"], read_on=data["read_on"], rollover=data["rollover"],
                        old_final=data["old_final"], new_initial=data["new_initial"],
                        new_meter_serial=data["new_meter_serial"] or "",
                    ),
                )  # fmt: skip
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("water_billing:connection", tap_number=connection.tap_number)
    return render(
        request,
        "water_billing/reading_entry.html",
        {"form": form, "tap_number": connection.tap_number, "nav": "search"},
    )
