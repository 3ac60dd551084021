"""Every browser request to a town passes here: town status, login, membership, 2FA, module.

Order matters: a person must be a member of *this* town before anything else is checked, so a session
from another town can never see this town's pages, and no 2FA enrolment happens at a town where the
person has no membership. API views are left to DRF (tenants.api_auth), which applies the same rules
after token authentication.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from common import context
from tenants import hooks
from tenants.access import is_verified, module_allowed, module_for, request_roles, towns_of
from tenants.errors import MunicipalityUnavailable


def is_api(request: HttpRequest) -> bool:
    match = request.resolver_match
    return match is not None and "api" in match.namespaces


class MunicipalityAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        tenant = getattr(request, "tenant", None)
        if tenant is None or getattr(view_func, "kyodo_always_open", False):
            return None
        if not tenant.is_active:
            if is_api(request):
                return JsonResponse(
                    MunicipalityUnavailable().as_dict(), status=503, json_dumps_params={"ensure_ascii": False}
                )
            return render(request, "shell/unavailable.html", {"municipality": tenant}, status=503)
        if is_api(request) or getattr(view_func, "login_required", True) is False:
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
        roles = request_roles(request)
        if not roles:
            return render(
                request,
                "shell/no_membership.html",
                {"municipality": tenant, "other_towns": towns_of(user)},
                status=403,
            )
        ctx = context.current()
        ctx.roles = tuple(sorted(roles))
        ctx.person_id = user.pk
        if not is_verified(user) and not getattr(view_func, "otp_exempt", False):
            return redirect_to_login(request.get_full_path(), reverse("accounts:verify"))
        module = module_for(request.resolver_match)
        if not module_allowed(module, roles):
            return render(request, "shell/forbidden.html", {"module": module}, status=403)
        # Hooks of the apps above this layer (bcp's disaster mode records an emergency member's use of the town).
        hooks.access_granted(request)
        return None


def otp_exempt(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view a logged-in member may reach before passing two-factor verification."""
    view.otp_exempt = True  # type: ignore[attr-defined]
    return view


def always_open(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view reachable even when the town is suspended (health checks)."""
    view.kyodo_always_open = True  # type: ignore[attr-defined]
    view.login_required = False  # type: ignore[attr-defined]
    return view
