"""The 住民 page and the one-time display of the 個人番号."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from resident_records import disclosure, selectors
from resident_records.forms import (
    AsOfForm,
    PurposeForm,
)
from resident_records.models import (
    Resident,
    ResidentStatus,
)
from resident_records.views.common import (
    _is_clerk,
    _purpose,
    _resident,
    clerk_only,
    personal_data_page,
)
from tenants.access import request_roles
from tenants.models import Role


@require_http_methods(["GET"])
@personal_data_page()
def resident_view(request: HttpRequest, atena_number: str, *, purpose: str) -> HttpResponse:
    return _render_resident(request, _resident(atena_number), purpose=purpose)


def _render_resident(
    request: HttpRequest, resident: Resident, *, purpose: str, revealed_my_number: str = "", status: int = 200
) -> HttpResponse:
    from resident_records import views_support  # imports this module (the purpose's session key)

    as_of_form = AsOfForm(request.GET or None)
    as_of: date | None = None
    if as_of_form.is_valid():
        as_of = as_of_form.cleaned_data["as_of"]
    view = selectors.view_resident(
        actor=request.user,  # type: ignore[arg-type]
        resident=resident,
        purpose=purpose,
        as_of=as_of,
    )
    resident_protected, household_protected = disclosure.resident_page_banners(resident)
    return render(
        request,
        "resident_records/resident.html",
        {
            "resident": resident,
            "entry": view.entry,
            "as_of": as_of,
            "as_of_form": as_of_form,
            "household": view.household,
            "household_row": resident.household,
            "events": view.events,
            "masked_my_number": view.masked_my_number,
            "revealed_my_number": revealed_my_number,
            "purpose": purpose,
            "reveal_form": PurposeForm(initial={"purpose": purpose}),
            "is_clerk": _is_clerk(request),
            "is_officer": Role.SUPPORT_MEASURE_OFFICER in request_roles(request),
            "support_rows": views_support.resident_measure_rows(resident),
            # A 支援措置 of the town moved to hides this 除票's 転出先 (docs/domain/support_measures.md).
            "destination_hidden": disclosure.hidden_destination(
                actor=request.user,  # type: ignore[arg-type]
                resident=resident,
                purpose=purpose,
            ),
            "is_resident": resident.status == ResidentStatus.RESIDENT,
            "resident_protected": resident_protected,
            "household_protected": household_protected,
            # One URL reversed for the page; each member's link appends its 宛名番号 (no {% url %} per row).
            "resident_url": reverse("resident_records:resident", args=["0"]).removesuffix("0/"),
            "cancel_event_url": reverse("resident_records:cancel_event", args=[resident.atena_number, 0]).removesuffix(
                "0/cancel/"
            ),
        },
        status=status,
    )


@require_POST
@clerk_only
def reveal_my_number_view(request: HttpRequest, atena_number: str) -> HttpResponse:
    """個人番号 is shown once, for this response only, with its own audited purpose (番号法 第19条・第20条)."""
    resident = _resident(atena_number)
    form = PurposeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "個人番号を表示する利用目的を入力してください。")
        return redirect("resident_records:resident", atena_number=atena_number)
    purpose = form.cleaned_data["purpose"]
    number = selectors.reveal_my_number(
        actor=request.user,  # type: ignore[arg-type]
        resident=resident,
        purpose=purpose,
    )
    response = _render_resident(
        request, resident, purpose=_purpose(request) or purpose, revealed_my_number=number or "(登録なし)"
    )
    response["Cache-Control"] = "no-store"
    return response
