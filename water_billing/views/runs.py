"""調定 runs: start one (a background job), watch its progress, check its summary against the bills, confirm or
cancel it. Run pages show counts and amounts, never a customer's details."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common import jobs
from common.errors import ApplicationError, NotFound
from common.middleware import passive
from common.models import Job
from tenants.access import person_of
from water_billing import selectors
from water_billing.forms import RunForm
from water_billing.models import BillingRun
from water_billing.services import runs
from water_billing.views.common import clerk_only, is_clerk, readers_only


def _run(public_id: UUID) -> BillingRun:
    try:
        return selectors.run_or_404(public_id)
    except NotFound as exc:
        raise Http404 from exc


@readers_only
@require_http_methods(["GET", "POST"])
def runs_view(request: HttpRequest) -> HttpResponse:
    form = RunForm(
        request.POST or None,
        periods=[p.code for p in selectors.periods()],
        districts=selectors.districts(),
    )
    if request.method == "POST":
        if not is_clerk(request):
            return render(request, "water_billing/clerk_only.html", status=403)
        if form.is_valid():
            try:
                run = runs.start_run(
                    actor=person_of(request),
                    period=selectors.period_or_404(form.cleaned_data["period"]),
                    district=form.cleaned_data["district"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("water_billing:run", public_id=run.public_id)
    return render(
        request, "water_billing/runs.html", {"form": form, "runs": selectors.runs()[:50], "nav": "runs",
                                             "clerk": is_clerk(request)}
    )  # fmt: skip


@readers_only
@require_GET
def run_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    run = _run(public_id)
    job = Job.objects.filter(public_id=run.job_id).first() if run.job_id else None
    status = jobs.status(job, errors_limit=50) if job else None
    totals = runs.bill_totals(run)
    checked = (run.bill_count, run.total) == (totals["n"], totals["t"])
    return render(
        request,
        "water_billing/run.html",
        {"run": run, "status": status, "totals": totals, "checked": checked, "nav": "runs", "clerk": is_clerk(request)},
    )


@readers_only
@require_GET
@passive
def run_status_view(request: HttpRequest, public_id: UUID) -> JsonResponse:
    run = _run(public_id)
    job = Job.objects.filter(public_id=run.job_id).first() if run.job_id else None
    body = jobs.status(job, errors_limit=0) if job else {"finished": True, "state": run.state}
    body["run_state"] = run.state
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@clerk_only
@require_POST
def run_confirm_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    run = _run(public_id)
    try:
        runs.confirm_run(actor=person_of(request), run=run)
    except ApplicationError as exc:
        return render(request, "water_billing/refused.html", {"message": exc.message, "nav": "runs"}, status=409)
    return redirect("water_billing:run", public_id=run.public_id)


@clerk_only
@require_POST
def run_cancel_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    run = _run(public_id)
    try:
        runs.cancel_run(actor=person_of(request), run=run, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        return render(request, "water_billing/refused.html", {"message": exc.message, "nav": "runs"}, status=409)
    return redirect("water_billing:run", public_id=run.public_id)
