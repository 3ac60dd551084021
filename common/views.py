"""The audit trail in the browser for auditors and IT staff (read-only, filtered, CSV export)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from common import selectors
from common.serializers import AuditQuery


def audit_events_view(request: HttpRequest) -> HttpResponse:
    query = AuditQuery(data={k: v for k, v in request.GET.items() if v and k != "page"})
    events = None
    if query.is_valid():
        params = dict(query.validated_data)
        params.pop("trail", None)
        listed = selectors.read_audit_events(actor=request.user, filters=params)
        events = Paginator(listed, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/events.html",
        {
            "events": events,
            "errors": query.errors,
            "filters": request.GET,
            "query_string": _without_page(request),
        },
    )


def _without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
