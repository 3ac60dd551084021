"""Template context of the BCP module: the disaster banner shown on every page of a town in disaster mode.

Every page of the town — the login page included, so that staff arriving at a borrowed terminal see it at
once — carries the banner (docs/bcp.md §6). The council host lists every town in disaster mode; the other town
shows nothing (its pages are about its own work).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from bcp.disaster import active_disaster, active_disasters, live_grants
from tenants.models import Municipality


def disaster(request: HttpRequest) -> dict[str, Any]:
    # Read once per request, however many templates the response renders with the request.
    cached: dict[str, Any] | None = getattr(request, "_kyodo_disaster_context", None)
    if cached is None:
        cached = _disaster(request)
        request._kyodo_disaster_context = cached  # type: ignore[attr-defined]
    return cached


def _disaster(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    if not isinstance(tenant, Municipality):
        return {}
    if tenant.kind == Municipality.Kind.COUNCIL:
        disasters = list(active_disasters())
        return {"kyodo_disasters": disasters} if disasters else {}
    current = active_disaster(tenant)
    if current is None:
        return {}
    data: dict[str, Any] = {"kyodo_disaster": current}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        grant = (
            live_grants()
            .filter(membership__person=user, membership__municipality=tenant)
            .order_by("-expires_at")
            .first()
        )
        if grant is not None:
            data["kyodo_emergency_grant"] = grant
    return data
