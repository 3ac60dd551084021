"""The audit trail in the browser for auditors and IT staff (read-only, filtered, CSV export)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from common import selectors
from common.filters import AuditEventFilter


def audit_events_view(request: HttpRequest) -> HttpResponse:
    filters = AuditEventFilter({k: v for k, v in request.GET.items() if v and k not in ("page", "trail")})
    events = None
    if filters.is_valid():
        listed = selectors.read_audit_events(actor=request.user, filters=filters)
        events = Paginator(listed, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/events.html",
        {
            "events": events,
            "errors": filters.errors,
            "filters": request.GET,
            "query_string": _without_page(request),
        },
    )


def _without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
