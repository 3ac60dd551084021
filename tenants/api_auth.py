"""API authentication and permissions: the same rules as the browser pages, for DRF views.

* Token: ``Authorization: Bearer kyd_...`` — a token is bound to one person and one town and expires.
* Session: only a 2FA-verified session counts; an unverified session is treated as anonymous.
* Every API view additionally needs an active membership in the requested town and, when the view
  declares ``kyodo_module``, a role allowed into that module.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from common import context
from tenants import hooks
from tenants.access import MODULES, module_allowed, request_roles
from tenants.models import ApiToken, Person


class MunicipalityTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Person, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Authorization ヘッダーの形式が正しくありません。", code="invalid_token"
            )
        raw = header[1].decode(errors="replace")
        tenant = getattr(request._request, "tenant", None)
        token = (
            ApiToken.objects.usable()
            .select_related("person")
            .filter(key_digest=ApiToken.digest(raw), municipality=tenant)
            .first()
        )
        # A token of another town, an expired or a revoked token all get the same answer.
        if token is None or not token.person.is_active:
            raise exceptions.AuthenticationFailed("APIトークンが無効か、期限切れです。", code="invalid_token")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.person, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if not user.is_verified():
            raise exceptions.NotAuthenticated("2要素認証が完了していません。", code="otp_required")
        return result


class IsActiveMember(permissions.BasePermission):
    """Active membership in the requested town, and the module's role if the view declares one."""

    message = "この自治体でこの機能を利用する権限がありません。"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            raise exceptions.NotAuthenticated("認証が必要です。")
        roles = request_roles(request._request)
        if not roles:
            return False
        ctx = context.current()
        ctx.roles = tuple(sorted(roles))
        ctx.person_id = user.pk
        module_key = getattr(view, "kyodo_module", None)
        allowed = module_allowed(MODULES.get(module_key) if module_key else None, roles)
        if allowed:
            # Hooks of the apps above this layer, as for pages (bcp's disaster mode records an emergency member's use).
            hooks.access_granted(request._request, user=user, api=True)
        return allowed


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = MunicipalityTokenAuthentication
    name = "municipalityToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Token issued from a 2FA-verified session (/accounts/security/); valid for one town only.",
        }


class VerifiedSessionScheme(OpenApiAuthenticationExtension):
    target_class = VerifiedSessionAuthentication
    name = "verifiedSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid", "description": "2FA-verified browser session"}
