"""The 発令 pages of the 人事担当 (docs/domain/payroll.md §3): the staff register, a staff member's 発令 history, and
one form per kind of 発令 (採用, 昇給・昇格, 異動, 休職・育児休業・復職, 退職) with a preview of its effect before it
is recorded. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from common.dates import local_today
from common.errors import ApplicationError, NotFound
from payroll import selectors
from payroll.forms import APPOINTMENT_FORMS, HireForm
from payroll.models import AppointmentKind
from payroll.services import staff as staff_services
from payroll.services.appointment_preview import preview_appointment, preview_hire
from payroll.views import _require_writer
from tenants.access import person_of


def staff_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:50]
    rows = selectors.staff_overview(query=query, on=local_today())
    return render(request, "payroll/staff_list.html", {"rows": rows, "query": query, "nav": "staff"})


def staff_detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        staff, appointments = selectors.staff_history(actor=person_of(request), number=number)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    kinds = [(kind, AppointmentKind(kind).label) for kind in APPOINTMENT_FORMS]
    return render(
        request, "payroll/staff.html", {"staff": staff, "appointments": appointments, "kinds": kinds, "nav": "staff"}
    )


def _render_form(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    status = 400 if context.get("error") else 200
    return render(request, "payroll/appoint.html", {"nav": "staff", **context}, status=status)


def staff_appoint(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    form_class = APPOINTMENT_FORMS.get(kind)
    if form_class is None:
        raise Http404("この種類の発令はありません。")
    try:
        staff = staff_services.get_staff(number=number)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = form_class(request.POST or None)
    context: dict[str, Any] = {"form": form, "staff": staff, "title": f"{AppointmentKind(kind).label}の発令"}
    if request.method == "POST":
        _require_writer(request)
        if form.is_valid():
            try:
                if "confirm" in request.POST:
                    staff_services.record_appointment(
                        actor=person_of(request),
                        staff=staff,
                        effective_on=form.effective(),
                        kind=kind,
                        note=form.cleaned_data["note"],
                        **form.changes(),
                    )
                    return redirect("payroll:staff", number=staff.number)
                context["preview"] = preview_appointment(
                    staff=staff, effective_on=form.effective(), kind=kind, changes=form.changes()
                )
            except ApplicationError as exc:
                context["error"] = exc.message
    return _render_form(request, context)


def staff_hire(request: HttpRequest) -> HttpResponse:
    form = HireForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "staff": None, "title": "採用の発令"}
    if request.method == "POST":
        _require_writer(request)
        if form.is_valid():
            data = form.cleaned_data
            person = {key: data[key] for key in ("name", "name_kana", "birth_date")}
            try:
                if "confirm" in request.POST:
                    staff = staff_services.hire_staff(
                        actor=person_of(request), number=data["number"], hired_on=data["hired_on"], **person,
                        **form.position(),
                    )  # fmt: skip
                    return redirect("payroll:staff", number=staff.number)
                context["preview"] = preview_hire(
                    number=data["number"], hired_on=data["hired_on"], position=form.position(), declared={}
                )
            except ApplicationError as exc:
                context["error"] = exc.message
    return _render_form(request, context)
