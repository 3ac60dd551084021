from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants import services
from tenants.access import is_verified, memberships_in_force, modules_for_roles, person_of, request_roles
from tenants.errors import OtpRequired
from tenants.models import ApiToken
from tenants.serializers import MeOut, TokenCreatedOut, TokenIn, TokenOut


class MeView(APIView):
    @extend_schema(
        responses=MeOut,
        summary="ログイン中の職員 (この町での役割と業務) / The signed-in person, roles and modules in this town",
        description=(
            "認証された職員と、この町での役割・利用できる業務・所属。\n\n"
            "The authenticated person, their roles and modules in this town, and their memberships."
        ),
    )
    def get(self, request: Request) -> Response:
        person = person_of(request._request)
        roles = sorted(request_roles(request._request))
        memberships = memberships_in_force(person).select_related("municipality").order_by("municipality")
        data = {
            "username": person.username,
            "full_name": person.full_name,
            "municipality": request._request.tenant.name,  # type: ignore[attr-defined]
            "roles": roles,
            "modules": [{"key": m.key, "label": m.label} for m in modules_for_roles(roles)],
            "memberships": memberships,
            "two_factor_verified": isinstance(request.auth, ApiToken) or is_verified(person),
            "auth": "token" if isinstance(request.auth, ApiToken) else "session",
        }
        return Response(MeOut(data).data)


class TokenListCreateView(APIView):
    """Tokens are issued only from a 2FA-verified browser session, never from another token."""

    @extend_schema(
        responses=TokenOut(many=True),
        summary="この町での自分の APIトークン / Your API tokens for this town",
        description=(
            "トークンは2要素認証済みのブラウザセッションからのみ発行でき、別のトークンからは発行できません。\n\n"
            "Tokens are issued only from a 2FA-verified browser session, never from another token."
        ),
    )
    def get(self, request: Request) -> Response:
        tokens = ApiToken.objects.filter(person=person_of(request._request), municipality=request._request.tenant)  # type: ignore[attr-defined]
        return Response(TokenOut(tokens, many=True).data)

    @extend_schema(
        request=TokenIn,
        responses={201: TokenCreatedOut},
        summary="APIトークンの発行 (認証済みセッションのみ) / Issue a token (verified session only)",
        description=(
            "トークンは一度だけ表示されます。2要素認証済みのブラウザセッションからのみ発行できます。\n\n"
            "The token is shown once. Only a 2FA-verified browser session may issue one."
        ),
    )
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken) or not is_verified(request.user):
            raise OtpRequired("APIトークンは2要素認証済みのブラウザセッションからのみ発行できます。")
        payload = TokenIn(data=request.data)
        payload.is_valid(raise_exception=True)
        token, raw = services.issue_api_token(
            actor=person_of(request._request),
            municipality=request._request.tenant,  # type: ignore[attr-defined]
            name=payload.validated_data["name"],
            days=payload.validated_data.get("days"),
        )
        body: dict[str, Any] = dict(TokenOut(token).data)
        body["token"] = raw
        return Response(body, status=status.HTTP_201_CREATED)
