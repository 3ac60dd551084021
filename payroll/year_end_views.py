"""The 年末調整 pages (module "payroll"): the year-end runs, their results, and the declarations entered by the
給与担当. Thin: parse, call one service or selector, render (docs/domain/payroll.md §13)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from common.errors import ApplicationError, NotFound
from payroll import year_end_selectors as selectors
from payroll.services import year_end as service
from payroll.services import year_end_revision as revision_service
from payroll.year_end_forms import DeclarationForm, ReadjustmentForm, YearEndRunForm
from payroll.year_end_models import YearEndDeclaration
from tenants.access import person_of, request_roles
from tenants.models import Role


def _require_officer(request: HttpRequest) -> None:
    if Role.PAYROLL_OFFICER not in request_roles(request):
        raise PermissionDenied("年末調整の操作は給与担当だけができます。")


def _year(year: int) -> int:
    try:
        return selectors.checked_year(year)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


def year_end_list(request: HttpRequest) -> HttpResponse:
    form = YearEndRunForm(request.POST or None)
    error = ""
    if request.method == "POST":
        _require_officer(request)
        if form.is_valid():
            try:
                run = service.create_year_end_run(actor=person_of(request), year=form.cleaned_data["year"],
                                                  settle_month=form.cleaned_data["settle_month"])  # fmt: skip
            except ApplicationError as exc:
                error = exc.message
            else:
                return redirect("payroll:year_end", year=run.year)
    context = {"form": form, "runs": selectors.year_end_runs(), "error": error, "nav": "year_end"}
    return render(request, "payroll/year_end/list.html", context)


def year_end_detail(request: HttpRequest, year: int, error: str = "", status: int = 200) -> HttpResponse:
    try:
        page = selectors.view_year_end_page(
            actor=person_of(request), year=_year(year), purpose=selectors.REVIEW_PURPOSE
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    context = {"run": page.run, "results": page.results, "revisions": page.revisions, "error": error,
               "nav": "year_end"}  # fmt: skip
    return render(request, "payroll/year_end/detail.html", context, status=status)


@require_http_methods(["POST"])
def year_end_action(request: HttpRequest, year: int, action: str) -> HttpResponse:
    _require_officer(request)
    operations = {"calculate": service.calculate_year_end, "approve": service.approve_year_end,
                  "lock": service.lock_year_end}  # fmt: skip
    if action not in operations:
        raise Http404()
    run = selectors.year_end_run(year=_year(year))
    if run is None:
        raise Http404("該当する年末調整が見つかりません。")
    try:
        operations[action](actor=person_of(request), run=run)
    except ApplicationError as exc:
        return year_end_detail(request, year, error=exc.message, status=400)
    return redirect("payroll:year_end", year=year)


def declarations(request: HttpRequest, year: int) -> HttpResponse:
    rows = selectors.declaration_list(actor=person_of(request), year=_year(year))
    context = {"year": year, "rows": rows, "nav": "year_end"}
    return render(request, "payroll/year_end/declarations.html", context)


def declaration(request: HttpRequest, year: int, public_id: Any) -> HttpResponse:
    if request.method == "POST":
        _require_officer(request)
    try:
        staff, current = selectors.view_declaration(actor=person_of(request), year=_year(year), public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = DeclarationForm(request.POST or None, instance=current)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            service.record_declaration(actor=person_of(request), staff=staff, year=year, **form.values())
        except ApplicationError as exc:
            error = exc.message
        else:
            return redirect("payroll:year_end_declarations", year=year)
    context = {"year": year, "staff": staff, "form": form, "error": error, "nav": "year_end"}
    return render(request, "payroll/year_end/declaration.html", context, status=400 if error else 200)


# --- 再年末調整 (§13.11) -------------------------------------------------------------------------------------------


def _readjustment(request: HttpRequest, year: int, public_id: Any) -> selectors.ReadjustmentView:
    try:
        return selectors.view_readjustment(actor=person_of(request), year=_year(year), public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def readjust(request: HttpRequest, year: int, public_id: Any) -> HttpResponse:
    """One staff member's 再年末調整: the revised declaration, the reason and the settlement month."""
    if request.method == "POST":
        _require_officer(request)
    view = _readjustment(request, year, public_id)
    values = {k: v for k, v in view.declaration.items() if k in DeclarationForm.Meta.fields}
    start = YearEndDeclaration(staff=view.staff, year=year, **values)
    start.specific_relative_incomes = view.declaration.get("specific_relative_incomes", [])
    form = DeclarationForm(request.POST or None, instance=start)
    extra = ReadjustmentForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid() and extra.is_valid():
        try:
            revision_service.calculate_readjustment(
                actor=person_of(request), run=view.run, staff=view.staff, reason=extra.cleaned_data["reason"],
                settle_month=extra.cleaned_data["settle_month"], **form.values(),
            )  # fmt: skip
        except ApplicationError as exc:
            error = exc.message
        else:
            return redirect("payroll:year_end_readjust", year=year, public_id=view.staff.public_id)
    context = {"year": year, "view": view, "form": form, "extra": extra, "error": error, "nav": "year_end"}
    return render(request, "payroll/year_end/readjust.html", context, status=400 if error else 200)


@require_http_methods(["POST"])
def readjust_action(request: HttpRequest, year: int, public_id: Any, action: str) -> HttpResponse:
    """Approve or lock the staff member's open 再年末調整."""
    _require_officer(request)
    operations = {"approve": revision_service.approve_readjustment, "lock": revision_service.lock_readjustment}
    if action not in operations:
        raise Http404()
    view = _readjustment(request, year, public_id)
    revision = view.open_revision
    if revision is None:
        raise Http404("確認待ちの再年末調整がありません。")
    try:
        operations[action](actor=person_of(request), revision=revision)
    except ApplicationError as exc:
        context = {"year": year, "view": view, "form": None, "extra": None, "error": exc.message, "nav": "year_end"}
        return render(request, "payroll/year_end/readjust.html", context, status=400)
    return redirect("payroll:year_end_readjust", year=year, public_id=public_id)
