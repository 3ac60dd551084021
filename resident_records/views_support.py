"""支援措置 screens (住基法 第12条第6項 and 事務処理要領; 標準仕様書 §3.4; docs/domain/resident_register.md).

Clerks decide (apply) and extend a measure; only the 支援措置責任者 releases it or releases it temporarily —
the service (resident_records.support) is the authority for that, the screens only show its messages.
The 加害者 information is taken in but never shown. Each screen calls one service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from common.dates import local_today
from common.errors import ApplicationError
from common.wareki import to_wareki
from resident_records import selectors, support
from resident_records.forms_support import ApplySupportMeasureForm, ReleaseForm, TemporaryReleaseForm
from resident_records.models import Resident, ResidentStatus, SupportMeasure, SupportMeasureStatus, SupportScope
from resident_records.views import personal_data_page
from tenants.access import request_roles
from tenants.models import Role

SCOPE_LABELS = dict(SupportScope.choices)


def roles_only(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Writes of this module: anyone else (an auditor) gets the module's 403 page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not set(roles) & request_roles(request):
                return render(request, "resident_records/clerk_only.html", status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


@dataclass(frozen=True)
class MeasureRow:
    """A measure as the screens show it: state, period, scopes — never the 加害者 information."""

    measure: SupportMeasure
    state: str
    scopes: list[str]
    relock_at: datetime | None
    can_extend: bool
    extension_opens_on: date


def _rows(measures: Iterable[SupportMeasure], today: date) -> list[MeasureRow]:
    now = timezone.now()
    rows = []
    for measure in measures:
        active = measure.status == SupportMeasureStatus.ACTIVE
        release = (
            measure.temporary_releases.filter(released_at__lte=now, relock_at__gt=now).order_by("-relock_at").first()
            if active
            else None
        )
        if not active:
            state = "解除"
        elif release is not None:
            state = "一時解除中"
        elif measure.end_on < today:
            # lapse does not lift the block (docs/domain/resident_register.md)
            state = "期間経過(解除されるまで措置継続)"
        elif today >= support.extension_opens_on(measure.end_on):
            state = "有効(終了まで1か月以内)"
        else:
            state = "有効"
        opens = support.extension_opens_on(measure.end_on)
        rows.append(
            MeasureRow(
                measure=measure,
                state=state,
                scopes=[str(SCOPE_LABELS.get(s, s)) for s in measure.scopes],
                relock_at=release.relock_at if release else None,
                can_extend=active and today >= opens,
                extension_opens_on=opens,
            )
        )
    return rows


def _roles(request: HttpRequest) -> dict[str, bool]:
    roles = request_roles(request)
    return {"is_clerk": Role.CLERK in roles, "is_officer": Role.SUPPORT_MEASURE_OFFICER in roles}


def resident_measure_rows(resident: Resident) -> list[MeasureRow]:
    """The measures shown on the resident's page (its read is audited there, selectors.view_resident)."""
    return _rows(selectors.measures_of(resident), local_today())


@require_http_methods(["GET", "POST"])
@personal_data_page()
def resident_support_view(request: HttpRequest, atena_number: str, *, purpose: str) -> HttpResponse:
    """A resident's measures, and the decision form for a clerk."""
    resident = get_object_or_404(Resident.objects.select_related("household"), atena_number=atena_number)
    roles = _roles(request)
    members = list(
        Resident.objects.filter(household_id=resident.household_id, status=ResidentStatus.RESIDENT)
        .exclude(pk=resident.pk)
        .order_by("pk")
    )
    choices = [(str(m.pk), f"{m.full_name}({m.atena_number})") for m in members]
    today = local_today()
    initial = {"start_on": to_wareki(today), "end_on": to_wareki(support.one_year_from(today))}
    status = 200
    if request.method == "POST":
        if not roles["is_clerk"]:
            return render(request, "resident_records/clerk_only.html", status=403)
        form = ApplySupportMeasureForm(request.POST, accompanying_choices=choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                support.apply_support_measure(
                    actor=request.user,  # type: ignore[arg-type]
                    resident=resident,
                    kind=data["kind"],
                    scopes=data["scopes"],
                    start_on=data["start_on"],
                    end_on=data["end_on"],
                    accompanying=[m for m in members if str(m.pk) in data["accompanying"]],
                    perpetrator=data["perpetrator"],
                    note=data["note"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(request, "支援措置を決定しました。住民票の写し等の交付・閲覧は制限されます。")
                return redirect("resident_records:support", atena_number=resident.atena_number)
        else:
            status = 400
    else:
        form = ApplySupportMeasureForm(initial=initial, accompanying_choices=choices)
    measures = selectors.view_support_measures(
        actor=request.user,  # type: ignore[arg-type]
        resident=resident,
        purpose=purpose,
    )
    return render(
        request,
        "resident_records/support.html",
        {"resident": resident, "rows": _rows(measures, today), "form": form, **roles},
        status=status,
    )


@require_POST
@roles_only(Role.CLERK, Role.SUPPORT_MEASURE_OFFICER)
def extend_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """延長: one more year from the day after the end, from one month before the end (標準仕様書 §3.4)."""
    measure = get_object_or_404(SupportMeasure.objects.select_related("resident"), public_id=public_id)
    try:
        extension = support.extend_support_measure(actor=request.user, measure=measure)  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"支援措置を{to_wareki(extension.new_end_on)}まで延長しました。")
    return redirect("resident_records:support", atena_number=measure.resident.atena_number)


def _measure_action(
    request: HttpRequest,
    public_id: UUID,
    *,
    form_class: type[ReleaseForm] | type[TemporaryReleaseForm],
    initial: dict[str, Any],
    title: str,
    lead: str,
    submit: str,
    act: Callable[[SupportMeasure, dict[str, Any]], str],
) -> HttpResponse:
    measure = get_object_or_404(SupportMeasure.objects.select_related("resident"), public_id=public_id)
    roles = _roles(request)
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                done = act(measure, form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(request, done)
                return redirect("resident_records:support", atena_number=measure.resident.atena_number)
        else:
            status = 400
    else:
        form = form_class(initial=initial)
    return render(
        request,
        "resident_records/support_action.html",
        {
            "form": form,
            "row": _rows([measure], local_today())[0],
            "title": title,
            "lead": lead,
            "submit": submit,
            **roles,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def release_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """解除 (final) — the service refuses anyone but the 支援措置責任者."""

    def act(measure: SupportMeasure, data: dict[str, Any]) -> str:
        support.release_support_measure(actor=request.user, measure=measure, reason=data["reason"])  # type: ignore[arg-type]
        return "支援措置を解除しました。"

    return _measure_action(
        request,
        public_id,
        form_class=ReleaseForm,
        initial={},
        title="支援措置の解除",
        lead="解除すると、この方の住民票の写し等の交付・閲覧の制限がなくなります。解除は取り消せません"
        "(再び制限するには新たな決定が必要です)。期間が経過しただけでは制限は解除されません。",
        submit="解除する",
        act=act,
    )


@require_http_methods(["GET", "POST"])
def temporary_release_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """一時解除 — re-locks by itself at the time shown (support.temporarily_release)."""

    def act(measure: SupportMeasure, data: dict[str, Any]) -> str:
        release = support.temporarily_release(
            actor=request.user,  # type: ignore[arg-type]
            measure=measure,
            purpose=data["purpose"],
            minutes=data["minutes"],
        )
        relock = timezone.localtime(release.relock_at)
        return f"支援措置を一時解除しました。{to_wareki(relock.date())} {relock:%H時%M分}に自動的に再設定されます。"

    return _measure_action(
        request,
        public_id,
        form_class=TemporaryReleaseForm,
        initial={"minutes": support.release_minutes()},
        title="支援措置の一時解除",
        lead="支援対象者本人の請求など、必要な交付のあいだだけ制限を外します。指定した時間が経過すると自動的に"
        "再設定されます。一時解除は他のシステム(コンビニ交付等)には送られません。",
        submit="一時解除する",
        act=act,
    )


@require_http_methods(["GET"])
def attention_view(request: HttpRequest) -> HttpResponse:
    """Measures ending within one month or lapsed (still blocking): the 支援措置責任者's alert list."""
    today = local_today()
    rows = _rows(selectors.support_measures_needing_attention(actor=request.user, today=today), today)  # type: ignore[arg-type]
    return render(
        request,
        "resident_records/support_attention.html",
        {"rows": rows, "today": today, "nav": "support_attention", **_roles(request)},
    )
