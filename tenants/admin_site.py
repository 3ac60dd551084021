"""The Django admin for IT staff: each town host administers that town; the council host also
administers the council-level data (municipalities, people, memberships).

Access needs an it_admin membership in the requested town and a 2FA-verified session; Django's
is_staff/is_superuser flags grant nothing. Admin changes go to the tamper-evident audit trail instead
of Django's LogEntry table.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from tenants import services
from tenants.access import is_verified, request_roles
from tenants.models import Municipality, Role


def _is_it_admin(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and is_verified(user) and Role.IT_ADMIN in request_roles(request))


def _on_council_host(request: HttpRequest) -> bool:
    tenant = getattr(request, "tenant", None)
    return tenant is not None and tenant.kind == Municipality.Kind.COUNCIL


class KyodoAdminSite(admin.AdminSite):
    site_header = "Kyodo 共同電算 システム管理"
    site_title = "Kyodo 管理"
    index_title = "システム管理"
    enable_nav_sidebar = True

    def has_permission(self, request: HttpRequest) -> bool:
        return _is_it_admin(request)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # One login page for everything: ours, with two-factor verification.
        target = reverse("accounts:login") + "?" + urlencode({"next": request.GET.get("next", reverse("admin:index"))})
        return HttpResponseRedirect(target)

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        ctx = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            ctx["site_header"] = f"{tenant.name} — {self.site_header}"
        return ctx


def _audit_admin_change(request: HttpRequest, obj: Model, action: str, message: Any) -> None:
    services.record_admin_change(actor=request.user, obj=obj, action=action, message=message)  # type: ignore[arg-type]


class TownModelAdmin(admin.ModelAdmin):
    """Base for a town's own data: IT staff of that town, on that town's host."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_it_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_it_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_it_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_it_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_it_admin(request)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        _audit_admin_change(request, obj, "add", message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        _audit_admin_change(request, obj, "change", message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> None:  # type: ignore[override]
        for obj in queryset:
            _audit_admin_change(request, obj, "delete", "")

    def log_deletion(self, request: HttpRequest, obj: Any, object_repr: str) -> None:  # type: ignore[override]
        _audit_admin_change(request, obj, "delete", object_repr)


def council_admin_allowed(request: HttpRequest) -> bool:
    """Council-level data (public schema) is administered only on the council host, by its IT staff."""
    return _on_council_host(request) and _is_it_admin(request)


class CouncilModelAdmin(TownModelAdmin):
    """Base for council-level data in the public schema: only on the council host."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return council_admin_allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return council_admin_allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return council_admin_allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return council_admin_allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return council_admin_allowed(request)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        # Django looks the object up before checking permission: on a town host a missing id would
        # redirect instead of refusing, telling apart ids that exist on the council.
        if not council_admin_allowed(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)


class CouncilInline(admin.TabularInline):
    """Inlines on council-level models follow the same rule as CouncilModelAdmin."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return council_admin_allowed(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return council_admin_allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return council_admin_allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return council_admin_allowed(request)


class ReadOnlyTownAdmin(TownModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyCouncilAdmin(CouncilModelAdmin):
    """Council-level rows written only by services (backups, incidents …): the admin shows, never edits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyCouncilInline(CouncilInline):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def unregister_third_party_models() -> None:
    """Third-party apps register admin classes that rely on Django permissions; hide them."""
    for label in ("auth.Group", "django_otp_webauthn.WebAuthnCredential", "django_otp_webauthn.WebAuthnAttestation",
                  "otp_totp.TOTPDevice", "otp_static.StaticDevice", "axes.AccessAttempt", "axes.AccessLog",
                  "axes.AccessFailureLog"):  # fmt: skip
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        if admin.site.is_registered(model):
            admin.site.unregister(model)
