"""Sign-in, two-factor verification and enrolment, the town switcher and the home page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.models import Device

from common.dates import local_today
from common.errors import ApplicationError
from common.health import health_report
from common.tenancy import current_schema
from tenants import mfa, services
from tenants.access import active_roles, towns_of
from tenants.forms import ApiTokenForm, LoginForm, OtpTokenForm, TotpEnrolForm
from tenants.middleware import always_open, otp_exempt
from tenants.models import ApiToken, Domain, Membership, Municipality, Person


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return reverse("home")


@login_not_required
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    tenant: Municipality = request.tenant  # type: ignore[attr-defined]
    initial_next = request.GET.get("next", "")
    form = LoginForm(request.POST or None, initial={"next": initial_next})
    if request.method == "POST" and form.is_valid():
        person = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if person is None:
            form.add_error(None, _("ログインIDまたはパスワードが正しくありません。"))
        elif not (roles := active_roles(person, tenant)):
            services.refuse_sign_in(person=person, reason="no_membership")
            form.add_error(
                None,
                _("%(town)sでの利用権限(所属)がありません。所属する自治体のアドレスからログインしてください。")
                % {"town": tenant.name},
            )
        else:
            login(request, person)
            services.record_sign_in(person=person, roles=roles)
            return redirect_to_verify(request, form.cleaned_data.get("next"))
    return render(request, "accounts/login.html", {"form": form})


def redirect_to_verify(request: HttpRequest, next_url: str | None) -> HttpResponse:
    target = reverse("accounts:verify")
    if next_url:
        target += "?" + urlencode({"next": next_url})
    return HttpResponseRedirect(target)


# Public: a session left at a town where the membership has ended (the no-membership page offers
# this button) must still be able to log out.
@login_not_required
@otp_exempt
@never_cache
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.user.is_authenticated:
            services.record_sign_out(person=request.user, session_key=request.session.session_key)
        logout(request)
        messages.info(request, _("ログアウトしました。"))
        return redirect("accounts:login")
    return render(request, "accounts/logout.html")


@otp_exempt
@sensitive_post_parameters("token")
@csrf_protect
@never_cache
def verify_view(request: HttpRequest) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if person.is_verified():  # type: ignore[attr-defined]
        return HttpResponseRedirect(_safe_next(request, next_url))
    if not user_has_device(person):
        return redirect("accounts:enrol")
    form = OtpTokenForm(request.POST or None, initial={"next": next_url})
    if request.method == "POST" and form.is_valid():
        device = mfa.verify_second_factor(person=person, token=form.cleaned_data["token"])
        if device is None:
            form.add_error("token", _("認証コードが正しくないか、有効期限が切れています。"))
        else:
            otp_login(request, device)
            return HttpResponseRedirect(_safe_next(request, next_url))
    context: dict[str, Any] = {
        "form": form,
        "has_webauthn": mfa.has_webauthn(person),
        "demo_code": mfa.demo_code(person),
    }
    return render(request, "accounts/verify.html", context)


@otp_exempt
@csrf_protect
@never_cache
def enrol_view(request: HttpRequest) -> HttpResponse:
    """First enrolment of an authenticator app (TOTP); afterwards only from a verified session."""
    person: Person = request.user  # type: ignore[assignment]
    if user_has_device(person) and not person.is_verified():  # type: ignore[attr-defined]
        # Adding a device needs the existing second factor first, or a stolen password would be enough.
        return redirect("accounts:verify")
    device = mfa.pending_totp_device(person)
    form = TotpEnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.enrol_authenticator(person=person, device=device, token=form.cleaned_data["token"])
        if codes is not None:
            otp_login(request, device)
            request.session["kyodo_new_recovery_codes"] = codes
            return redirect("accounts:recovery_codes")
        form.add_error("token", _("確認コードが一致しません。端末の時刻が正しいか確認してください。"))
    uri = device.config_url
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, title="認証アプリ登録用QRコード")
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "qr_svg": qr_svg,
            "secret": mfa.b32_secret(device),
            "first": not user_has_device(person),
        },
    )


@never_cache
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    codes = request.session.pop("kyodo_new_recovery_codes", None)
    if request.method == "POST":
        codes = mfa.renew_recovery_codes(person=person)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "remaining": mfa.recovery_codes_left(person)},
    )


@never_cache
def security_view(request: HttpRequest) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    tenant: Municipality = request.tenant  # type: ignore[attr-defined]
    form = ApiTokenForm(request.POST or None, initial={"days": settings.KYODO_API_TOKEN_TTL_DAYS})
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_token = services.issue_api_token(
                actor=person,
                municipality=tenant,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    tokens = ApiToken.objects.filter(person=person, municipality=tenant).order_by("-created_at")[:20]
    return render(
        request,
        "accounts/security.html",
        {
            "devices": mfa.describe_devices(person),
            "recovery_left": mfa.recovery_codes_left(person),
            "token_form": form,
            "new_token": new_token,
            "tokens": tokens,
            "max_days": settings.KYODO_API_TOKEN_TTL_DAYS,
        },
    )


@require_POST
def revoke_token_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=pk, person=request.user, municipality=request.tenant).first()  # type: ignore[attr-defined,misc]
    if token is not None:
        services.revoke_api_token(actor=request.user, token=token)  # type: ignore[arg-type]
        messages.success(request, _("APIトークンを失効させました。"))
    return redirect("accounts:security")


@require_POST
@never_cache
def switch_view(request: HttpRequest, schema: str) -> HttpResponse:
    """Leave for another town where the person is a member, carrying the verified login along."""
    person: Person = request.user  # type: ignore[assignment]
    target = next((town for town in towns_of(person) if town.schema_name == schema), None)
    domain = Domain.objects.filter(tenant=target, is_primary=True).first() if target else None
    if target is None or domain is None:
        messages.error(request, _("切り替え先の自治体での所属がありません。"))
        return redirect("home")
    device_id = getattr(getattr(person, "otp_device", None), "persistent_id", None)
    ticket = services.create_switch_ticket(
        actor=person,
        source=request.tenant,  # type: ignore[attr-defined]
        target=target,
        session_key=request.session.session_key or "",
        otp_device_id=device_id,
    )
    port = request.get_port()
    default_port = "443" if request.is_secure() else "80"
    netloc = domain.domain if port == default_port else f"{domain.domain}:{port}"
    origin = f"{request.scheme}://{netloc}"
    # The ticket travels in the body of a form posted to the other town's host (docs/security.md): never in a
    # URL, so no access log, browser history or Referer holds it. The page posts itself (kyodo.js); the CSP
    # form-action is widened to that one origin for this response only, and Referrer-Policy "origin" makes
    # the browser send this town's Origin, which the arrival checks.
    response = render(
        request,
        "accounts/switching.html",
        {"target": target, "action": origin + reverse("accounts:switch_arrive"), "ticket": ticket},
    )
    setattr(response, "_csp_update", {"form-action": [origin]})  # noqa: B010 - what django-csp's csp_update sets
    response["Referrer-Policy"] = "origin"
    return response


@login_not_required
@csrf_exempt  # a cross-host form: the single-use ticket and the source town's Origin are the proof
@sensitive_post_parameters("ticket")
@require_POST
@never_cache
def switch_arrive_view(request: HttpRequest) -> HttpResponse:
    tenant: Municipality = request.tenant  # type: ignore[attr-defined]
    try:
        person, device_id = services.redeem_switch_ticket(
            ticket=request.POST.get("ticket", ""), target=tenant, origin_host=_origin_host(request)
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:login")
    login(request, person, backend="django.contrib.auth.backends.ModelBackend")
    device = Device.from_persistent_id(device_id) if device_id else None
    if device is not None and device.user_id == person.pk and device.confirmed:
        otp_login(request, device)
    messages.success(request, _("%(town)sに切り替えました。") % {"town": tenant.name})
    return redirect("home")


def _origin_host(request: HttpRequest) -> str:
    """The host name of the page that posted the form ('' when the browser sent no usable Origin)."""
    origin = request.META.get("HTTP_ORIGIN", "")
    return (urlsplit(origin).hostname or "") if origin and origin != "null" else ""


def home_view(request: HttpRequest) -> HttpResponse:
    memberships = Membership.objects.active().filter(person=request.user, municipality=request.tenant)  # type: ignore[attr-defined,misc]
    return render(request, "shell/home.html", {"today": local_today(), "memberships": memberships})


@always_open
def healthz_view(request: HttpRequest) -> HttpResponse:
    """Liveness, and the state of the database, the cache and the broker (common.health). Always 200 while this
    process answers; a load balancer asks /readyz (common.middleware.ReadinessMiddleware) instead."""
    response = JsonResponse({**health_report(), "schema": current_schema()})
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
def brand_css_view(request: HttpRequest) -> HttpResponse:
    """Town colour as a stylesheet, so pages need no inline style under the Content-Security-Policy."""
    tenant: Municipality = request.tenant  # type: ignore[attr-defined]
    css = f":root {{ --brand: {tenant.brand_color}; }}\n"
    response = HttpResponse(css, content_type="text/css")
    response["Cache-Control"] = "public, max-age=300"
    return response
