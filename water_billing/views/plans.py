"""分納 plans (docs/domain/water_billing.md §7.4): the list, a new plan for a customer's arrears, one plan with its
instalments and the payments made under it, and ending a broken plan."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.dates import local_today
from common.errors import ApplicationError, NotFound
from tenants.access import person_of
from water_billing import selectors
from water_billing.forms import PlanForm, PlanPaymentForm
from water_billing.services import plans
from water_billing.views.common import clerk_only, is_clerk, personal_data_page, readers_only

PURPOSE = "分納の管理(滞納整理)"


@readers_only
@require_GET
@personal_data_page(intrinsic=PURPOSE)
def plans_view(request: HttpRequest, *, purpose: str) -> HttpResponse:
    rows = selectors.view_plans(actor=person_of(request), purpose=purpose, today=local_today())
    return render(request, "water_billing/plans.html", {"rows": rows, "nav": "plans", "clerk": is_clerk(request)})


@clerk_only
@require_http_methods(["GET", "POST"])
def plan_new_view(request: HttpRequest) -> HttpResponse:
    initial = {"tap_number": request.GET.get("tap_number", ""), "agreed_on": local_today()}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan = plans.record_plan(
                actor=person_of(request),
                connection=selectors.connection_or_404(form.cleaned_data["tap_number"].strip()),
                agreed_on=form.cleaned_data["agreed_on"],
                installments=form.cleaned_data["instalments"],
            )
        except ApplicationError as exc:
            form.add_error("tap_number" if isinstance(exc, NotFound) else None, exc.message)
        else:
            return redirect("water_billing:plan", public_id=plan.public_id)
    return render(request, "water_billing/plan_new.html", {"form": form, "nav": "plans"})


@readers_only
@require_GET
@personal_data_page(intrinsic=PURPOSE)
def plan_view(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
    return _plan_page(request, public_id, purpose, PlanPaymentForm(initial={"paid_on": local_today()}))


def _plan_page(request: HttpRequest, public_id: UUID, purpose: str, form: PlanPaymentForm) -> HttpResponse:
    try:
        row, payments = selectors.view_plan(
            actor=person_of(request), purpose=purpose, public_id=public_id, today=local_today()
        )
    except NotFound as exc:
        raise Http404 from exc
    return render(
        request,
        "water_billing/plan.html",
        {"row": row, "payments": payments, "form": form, "nav": "plans", "clerk": is_clerk(request)},
        status=400 if form.errors else 200,
    )


@clerk_only
@require_POST
def plan_pay_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    try:
        plan = selectors.plan_or_404(public_id)
    except NotFound as exc:
        raise Http404 from exc
    form = PlanPaymentForm(request.POST)
    if form.is_valid():
        try:
            plans.record_plan_payment(actor=person_of(request), plan=plan, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("water_billing:plan", public_id=plan.public_id)
    return _plan_page(request, public_id, PURPOSE, form)


@clerk_only
@require_POST
def plan_end_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    try:
        plans.end_broken_plan(actor=person_of(request), plan=selectors.plan_or_404(public_id), today=local_today())
    except NotFound as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        return render(request, "water_billing/refused.html", {"message": exc.message, "nav": "plans"}, status=409)
    return redirect("water_billing:arrears")
