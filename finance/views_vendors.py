"""A 債権者's page. An individual's entry is personal data: the page asks the 利用目的 (common.purpose.PurposeGate)
and the audited read is the selector's (``selectors.view_vendor``); a corporation's needs no purpose
(docs/domain/finance.md §8)."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from common.purpose import PurposeGate
from finance import selectors
from finance.forms import PurposeForm
from finance.models import VendorKind
from finance.views import staff_page
from tenants.access import person_of

GATE = PurposeGate(session_key="finance.purpose", template="finance/purpose.html", form_class=PurposeForm)


def _render(request: HttpRequest, public_id: UUID, purpose: str) -> HttpResponse:
    vendor = selectors.vendor_by_public_id(str(public_id))
    if vendor is None:
        raise Http404
    entry = selectors.view_vendor(actor=person_of(request), vendor=vendor, purpose=purpose)
    context = {"entry": entry, "kind_label": VendorKind(vendor.kind).label, "nav": "vendors"}
    return render(request, "finance/vendor.html", context)


@GATE.page()
def _individual(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
    return _render(request, public_id, purpose)


@require_GET
@staff_page
def vendor_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """債権者の詳細: an individual's behind the purpose gate, a corporation's straight away."""
    vendor = selectors.vendor_by_public_id(str(public_id))
    if vendor is None:
        raise Http404
    if vendor.kind == VendorKind.INDIVIDUAL:
        return _individual(request, public_id)
    return _render(request, public_id, "")
