"""What every resident-register page shares: the clerk-only guard, the purpose gate, the lookups by number
and the one 異動 page skeleton (``event_view``: GET form, POST one service call, a refusal on the form, success
redirects to the person)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from common.errors import ApplicationError
from common.purpose import PurposeGate
from resident_records import selectors
from resident_records.forms import (
    PurposeForm,
)
from resident_records.models import (
    ChangeEvent,
    Household,
    Resident,
)
from tenants.access import request_roles
from tenants.models import Role

PURPOSE_SESSION_KEY = "resident_records.purpose"
PREVIEW_SESSION_KEY = "resident_records.certificate_preview"
PREVIEW_FIELDS = ("kind", "members", "whole_household", "head_and_relationship", "domicile", "resident_code",
                  "my_number", "purpose", "requester_kind")  # fmt: skip
SEARCH_LIMIT = 100


def clerk_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Writes are for clerks: an auditor (who may read this module) gets the 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if Role.CLERK not in request_roles(request):
            return render(request, "resident_records/clerk_only.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


GATE = PurposeGate(session_key=PURPOSE_SESSION_KEY, template="resident_records/purpose.html", form_class=PurposeForm)
personal_data_page = GATE.page


def _purpose(request: HttpRequest) -> str:
    return GATE.current(request)


def _remember_purpose(request: HttpRequest, purpose: str) -> None:
    GATE.remember(request, purpose)


def _resident(atena_number: str) -> Resident:
    return get_object_or_404(Resident.objects.select_related("household"), atena_number=atena_number)


def _household(number: str) -> Household:
    return get_object_or_404(Household, number=number)


def _is_clerk(request: HttpRequest) -> bool:
    return Role.CLERK in request_roles(request)


def _after_event(
    request: HttpRequest, household_id: int | None, label: str, *, resident_id: int | None = None
) -> HttpResponse:
    messages.success(request, f"{label}を処理しました。")
    if not _purpose(request):
        _remember_purpose(request, f"{label}の処理")
    if resident_id is None and household_id is not None:
        resident_id = Household.objects.filter(pk=household_id).values_list("head_id", flat=True).first()
    atena_number = (
        Resident.objects.filter(pk=resident_id).values_list("atena_number", flat=True).first() if resident_id else None
    )
    if atena_number is not None:
        return redirect("resident_records:resident", atena_number=atena_number)
    return redirect("resident_records:search")


def show_refusal(form: forms.Form, exc: ApplicationError) -> None:
    """The service's refusal on the form: on the field it names (``details["field"]``), else for the whole form."""
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    form.add_error(field if field in form.fields else None, exc.message)


@dataclass(frozen=True)
class EventPage:
    """The page a 異動 form is shown on, under its household's members (each shown member is an audited read,
    ``selectors.view_household``): household_event.html with its title, lead and button, or the event's own
    template."""

    household: Household
    purpose: str
    title: str = ""
    lead: str = ""
    submit: str = ""
    also: Sequence[Resident] = ()
    template: str = "resident_records/household_event.html"

    def render(self, request: HttpRequest, form: forms.Form) -> HttpResponse:
        shown = selectors.view_household(
            actor=request.user,  # type: ignore[arg-type]
            household=self.household,
            purpose=self.purpose,
            also=self.also,
        )
        return render(
            request,
            self.template,
            {"form": form, "household": self.household, "current": shown.head, "residents": shown.residents,
             "title": self.title, "lead": self.lead, "submit": self.submit},
        )  # fmt: skip


def event_view(
    request: HttpRequest,
    form: forms.Form,
    *,
    label: str,
    call: Callable[[], ChangeEvent],
    page: EventPage | Callable[[], HttpResponse],
    resident_id: Callable[[], int | None] = lambda: None,
) -> HttpResponse:
    """The one skeleton of every 異動 page, configured by each event (its form, service call and page).

    GET, or a form that does not validate, shows ``page``. A valid POST runs the one service ``call``: its refusal
    (an ApplicationError; the service wrote nothing) goes onto the form and the page is shown again; its success
    says 「<label>を処理しました。」 and redirects to the person (``resident_id``, else the household's 世帯主).
    The purpose gate stays on each view (``personal_data_page(intrinsic=...)``), where the URL resolves to.
    """
    if request.method == "POST" and form.is_valid():
        try:
            event = call()
        except ApplicationError as exc:
            show_refusal(form, exc)
        else:
            return _after_event(request, event.household_id, label, resident_id=resident_id())
    return page.render(request, form) if isinstance(page, EventPage) else page()
