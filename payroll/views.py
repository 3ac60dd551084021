"""The 人事給与 pages: runs for the 給与担当 (module "payroll") and every staff member's own payslips (module
"payslips"). Thin: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from common.errors import ApplicationError, NotFound
from payroll import selectors
from payroll.pdf import payslip_pdf, withholding_statement_pdf
from payroll.services import runs
from tenants.access import person_of, request_roles
from tenants.models import Role


def run_list(request: HttpRequest) -> HttpResponse:
    return render(request, "payroll/runs.html", {"runs": selectors.list_runs()[:60], "nav": "runs"})


def _run(public_id: Any) -> Any:
    try:
        return selectors.get_run(public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def run_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    run = _run(public_id)
    changed = run.payslips.exclude(changes=[]).order_by("staff_number")[:200]
    return render(request, "payroll/run.html", {"run": run, "changed": changed, "nav": "runs"})


@require_http_methods(["POST"])
def run_action(request: HttpRequest, public_id: Any, action: str) -> HttpResponse:
    if Role.PAYROLL_OFFICER not in request_roles(request):
        raise PermissionDenied("給与計算の操作は給与担当だけができます。")
    if action not in ("calculate", "approve", "lock"):
        raise Http404()
    run = _run(public_id)
    actor = person_of(request)
    try:
        if action == "calculate":
            runs.start_calculation(actor=actor, run=run)
        elif action == "approve":
            runs.approve_run(actor=actor, run=run)
        else:
            runs.lock_run(actor=actor, run=run)
    except ApplicationError as exc:
        return render(request, "payroll/run.html", {"run": run, "changed": [], "error": exc.message}, status=400)
    return redirect("payroll:run", public_id=run.public_id)


def my_payslips(request: HttpRequest) -> HttpResponse:
    mine = selectors.my_payslips(actor=person_of(request))
    return render(request, "payroll/my_payslips.html", {"mine": mine})


def my_payslip(request: HttpRequest, public_id: Any) -> HttpResponse:
    try:
        view = selectors.view_payslip(actor=person_of(request), public_id=public_id, purpose=selectors.OWN_PURPOSE)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "payroll/payslip.html", {"view": view})


def my_payslip_pdf(request: HttpRequest, public_id: Any) -> HttpResponse:
    try:
        view = selectors.view_payslip(actor=person_of(request), public_id=public_id, purpose=selectors.OWN_PURPOSE)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    data = payslip_pdf(view, town=_town_name(request))
    return HttpResponse(data, content_type="application/pdf")


def my_withholding_statement_pdf(request: HttpRequest, year: int) -> HttpResponse:
    try:
        statement = selectors.my_withholding_statement(actor=person_of(request), year=year)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return HttpResponse(withholding_statement_pdf(statement, town=_town_name(request)), content_type="application/pdf")


def _town_name(request: HttpRequest) -> str:
    return str(getattr(getattr(request, "tenant", None), "name", ""))
