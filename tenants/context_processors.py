from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from tenants.access import modules_for_roles, request_roles, request_towns


def shell(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    data: dict[str, Any] = {"municipality": tenant, "demo_mode": settings.KYODO_DEMO_MODE}
    if user is not None and user.is_authenticated and tenant is not None:
        roles = request_roles(request)
        data["kyodo_roles"] = roles
        data["kyodo_modules"] = modules_for_roles(roles)
        # Modules with browser screens (a module may so far offer its API only).
        data["kyodo_screens"] = [m for m in data["kyodo_modules"] if m.url_name]
        data["kyodo_towns"] = request_towns(request)
    return data
