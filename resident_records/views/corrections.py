"""異動の取消し and 誤記修正 / 職権修正 of one resident."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from resident_records import selectors, services
from resident_records.forms import (
    CORRECTION_FIELDS,
    CancelEventForm,
    CorrectionForm,
)
from resident_records.models import ChangeEvent, EventKind
from resident_records.services import Versioned
from resident_records.views.common import (
    EventPage,
    _resident,
    clerk_only,
    event_view,
    personal_data_page,
)


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="異動の取消しの処理")
def cancel_event_view(request: HttpRequest, atena_number: str, event_id: int, *, purpose: str) -> HttpResponse:
    """異動の取消し (標準仕様書 §1.2.2): a CANCELLATION event; the service refuses all but the latest event."""
    resident = _resident(atena_number)
    event = get_object_or_404(selectors.events_for(resident).exclude(kind=EventKind.CANCELLATION), pk=event_id)
    form = CancelEventForm(request.POST or None)

    def call() -> ChangeEvent:
        return services.cancel_event(
            actor=request.user,  # type: ignore[arg-type]
            event_id=event.pk,
            reason=form.cleaned_data["reason"],
        )

    def show() -> HttpResponse:
        selectors.view_residents(
            actor=request.user,  # type: ignore[arg-type]
            residents=[resident],
            purpose=purpose,
            details={"event": event.pk},
        )
        return render(
            request, "resident_records/cancel_event.html", {"form": form, "resident": resident, "event": event}
        )

    return event_view(request, form, label="異動の取消し", call=call, page=show, resident_id=lambda: resident.pk)


CORRECTIONS = {
    # kind -> (service, label, lead)
    "clerical": (
        services.correct_clerical_error,
        "誤記修正",
        "記載の誤り(処理誤り)を正します。誤った記録は履歴に残ります(標準仕様書 §1.2.2)。",
    ),
    "ex_officio": (
        services.record_ex_officio_correction,
        "職権修正",
        "戸籍の届出の通知などにより、町が職権で記載を修正します(住民基本台帳法 第8条、施行令 第12条第3項)。",
    ),
}


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="記載の修正の処理")
def correction_view(request: HttpRequest, atena_number: str, kind: str, *, purpose: str) -> HttpResponse:
    """誤記修正 / 職権修正 of one resident: the items changed on the form, effective from 修正の適用日."""
    if kind not in CORRECTIONS:
        raise Http404("修正の種類が正しくありません。")
    service, label, lead = CORRECTIONS[kind]
    resident = _resident(atena_number)
    latest = services.latest_record(resident)  # the record corrected, whose date the service defaults to
    current = {name: getattr(resident, name) for name in CORRECTION_FIELDS}
    initial = {"target_id": resident.pk, "version": resident.version, **current,
               "effective_on": latest.effective_on if latest is not None else None}  # fmt: skip
    form = (
        CorrectionForm(request.POST, initial=initial) if request.method == "POST" else CorrectionForm(initial=initial)
    )

    def call() -> ChangeEvent:
        data = form.cleaned_data
        return service(
            actor=request.user,  # type: ignore[arg-type]
            resident=Versioned(resident.pk, data["version"]),
            changes=form.changes(),
            reason=data["reason"],
            effective_on=data["effective_on"],
        )

    page = EventPage(
        resident.household,
        purpose,
        also=[resident],
        title=f"{label} — {resident.full_name}",
        lead=lead + "現在の記載を表示しています。誤っている項目だけを書き換えてください。",
        submit=f"{label}を処理する",
    )
    return event_view(request, form, label=label, call=call, page=page, resident_id=lambda: resident.pk)
