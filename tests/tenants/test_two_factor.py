"""Two-factor authentication is enforced everywhere: browser pages, the admin and the API.

Also: verification with TOTP and recovery codes, first enrolment, password lockout (django-axes),
password hashing, the idle timeout, and the demo shortcut that production settings can never enable.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyrage
import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants import mfa
from tenants.models import Membership, Municipality, Person
from tests.conftest import HOSTS, make_client
from tests.support.access import (
    api_headers,
    assert_api_refusal,
    assert_redirects_to_login,
    audit_position,
    audit_since,
    body,
)
from tests.support.routes import Route, all_routes

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TOKYO = ZoneInfo("Asia/Tokyo")
ROUTES = all_routes()
# Every browser page a logged-in member reaches only after the second factor.
GUARDED = [r for r in ROUTES if not r.is_api and not r.is_public and not r.is_otp_exempt]
EXEMPT = [r for r in ROUTES if not r.is_api and not r.is_public and r.is_otp_exempt]
API = [r for r in ROUTES if r.is_api]


def _ids(routes: list[Route]) -> list[str]:
    return [str(r) for r in routes]


def totp_code(device: TOTPDevice, *, steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A six-digit code that is valid in none of the windows the tolerance accepts."""
    valid = {totp_code(device, steps=s) for s in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(123456, 999999, 7919)) if c not in valid)


def confirmed_totp(person: Person) -> TOTPDevice:
    return TOTPDevice.objects.get(user=person, confirmed=True)


def _is_verified(client: Client) -> bool:
    return client.get("/").status_code == 200


# --- Enforcement on every route -------------------------------------------------------------------------


def test_the_route_groups_are_not_empty() -> None:
    assert GUARDED
    assert EXEMPT
    assert API
    assert {"accounts:verify", "accounts:enrol"} <= {r.name for r in EXEMPT}
    assert "admin:index" in {r.name for r in GUARDED}


@pytest.mark.parametrize("route", GUARDED, ids=_ids(GUARDED))
def test_unverified_session_is_sent_to_verification(route: Route, client_for: Any) -> None:
    client = client_for("it_admin", "nakatosa", verified=False)
    path = route.build()
    for method in ("get", "post"):
        assert_redirects_to_login(getattr(client, method)(path), path, login="/accounts/verify/")


@pytest.mark.parametrize("route", EXEMPT, ids=_ids(EXEMPT))
def test_otp_exempt_pages_are_reachable_before_verification(route: Route, client_for: Any) -> None:
    client = client_for("it_admin", "nakatosa", verified=False)
    path = route.build()
    response = client.get(path)
    assert response.status_code != 403 or "otp_webauthn" in route.namespaces, response.status_code
    location = response.get("Location", "")
    assert not location.startswith(f"/accounts/verify/?next={path}"), "exempt from the 2FA redirect"


def test_the_admin_refuses_an_unverified_it_admin(towns: dict[str, Municipality], client_for: Any) -> None:
    it_admin = Person.objects.get(username="it_admin")
    for verified in (False, True):
        request = RequestFactory().get("/admin/", HTTP_HOST=HOSTS["nakatosa"])
        request.tenant = towns["nakatosa"]  # type: ignore[attr-defined]
        it_admin.is_verified = lambda v=verified: v  # type: ignore[attr-defined]
        request.user = it_admin
        assert admin.site.has_permission(request) is verified
    response = client_for("it_admin", "nakatosa", verified=False).get("/admin/common/auditevent/")
    assert_redirects_to_login(response, "/admin/common/auditevent/", login="/accounts/verify/")


@pytest.mark.parametrize("route", API, ids=_ids(API))
def test_unverified_session_gets_otp_required_from_the_api(route: Route, client_for: Any) -> None:
    client = client_for("it_admin", "nakatosa", verified=False)
    for method in ("get", "post"):
        response = getattr(client, method)(route.build(), **api_headers(route))
        assert_api_refusal(route, response, 401, "otp_required")
        if route.name != "api:docs" and route.name != "api:redoc":
            assert response.json()["message"] == "2要素認証が完了していません。"


# --- Verification ---------------------------------------------------------------------------------------


def test_verify_with_the_authenticator_code(new_person: Any) -> None:
    person = new_person("totp-user", nakatosa="clerk")
    client = make_client(HOSTS["nakatosa"], person, verified=False)
    position = audit_position("nakatosa")
    response = client.post("/accounts/verify/", {"token": totp_code(confirmed_totp(person)), "next": "/audit/"})
    assert response.status_code == 302
    assert response["Location"] == "/audit/"
    assert _is_verified(client)
    rows = audit_since("nakatosa", position)
    assert [(e.action, e.details) for e in rows] == [("auth.otp_verified", {"device": "totp"})]


@pytest.mark.parametrize("next_url", ["http://shimanto.localhost/admin/", "//evil.example/", "https://evil.example/"])
def test_verification_never_redirects_to_another_host(next_url: str, new_person: Any) -> None:
    person = new_person("phished", nakatosa="clerk")
    client = make_client(HOSTS["nakatosa"], person, verified=False)
    response = client.post("/accounts/verify/", {"token": totp_code(confirmed_totp(person)), "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_full_width_code_is_accepted(new_person: Any) -> None:
    person = new_person("zenkaku", nakatosa="clerk")
    client = make_client(HOSTS["nakatosa"], person, verified=False)
    code = totp_code(confirmed_totp(person))
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in code[:3]) + " " + code[3:]
    assert client.post("/accounts/verify/", {"token": full_width}).status_code == 302
    assert _is_verified(client)


def test_wrong_code_is_refused_in_japanese_and_audited(new_person: Any) -> None:
    person = new_person("typo", nakatosa="clerk")
    client = make_client(HOSTS["nakatosa"], person, verified=False)
    position = audit_position("nakatosa")
    response = client.post("/accounts/verify/", {"token": wrong_code(confirmed_totp(person))})
    assert response.status_code == 200
    assert "認証コードが正しくないか、有効期限が切れています。" in response.content.decode()
    assert not _is_verified(client)
    rows = audit_since("nakatosa", position)
    assert [(e.action, e.actor_username) for e in rows] == [("auth.otp_failed", "typo")]


def test_recovery_codes_work_once(new_person: Any) -> None:
    person = new_person("recovery", nakatosa="clerk")
    codes = mfa.regenerate_recovery_codes(person)
    assert len(codes) == mfa.RECOVERY_CODE_COUNT == 10

    first = make_client(HOSTS["nakatosa"], person, verified=False)
    assert first.post("/accounts/verify/", {"token": codes[0]}).status_code == 302
    assert _is_verified(first)
    assert mfa.recovery_codes_left(person) == 9

    again = make_client(HOSTS["nakatosa"], person, verified=False)
    response = again.post("/accounts/verify/", {"token": codes[0]})
    assert response.status_code == 200
    assert "認証コードが正しくないか、有効期限が切れています。" in response.content.decode()
    assert not _is_verified(again)
    # After a failure django-otp refuses every attempt for a moment (throttling); then the next code works.
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        assert again.post("/accounts/verify/", {"token": codes[1]}).status_code == 302
    assert mfa.recovery_codes_left(person) == 8


# --- Enrolment ------------------------------------------------------------------------------------------


def _person_without_devices(username: str) -> Person:
    person = Person.objects.create_user(username, "unused-password-1234", full_name="新規 職員")
    Membership.objects.create(
        person=person,
        municipality=Municipality.objects.get(schema_name="nakatosa"),
        role="clerk",
        valid_from=timezone.localdate() - timedelta(days=1),
    )
    return person


@time_machine.travel(datetime(2026, 11, 2, 9, 0, 5, tzinfo=TOKYO), tick=False)
def test_first_enrolment_shows_a_qr_code_and_issues_recovery_codes() -> None:
    person = _person_without_devices("newcomer")
    client = make_client(HOSTS["nakatosa"], person, verified=False)
    # Without a device, verification leads to enrolment.
    assert client.get("/").url.startswith("/accounts/verify/")
    assert client.get("/accounts/verify/")["Location"] == "/accounts/enrol/"

    page = client.get("/accounts/enrol/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    assert "認証アプリ登録用QRコード" in page.content.decode()
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    assert page.context["secret"].replace(" ", "") == mfa.b32_secret(device).replace(" ", "")

    refused = client.post("/accounts/enrol/", {"token": wrong_code(device)})
    assert "確認コードが一致しません" in refused.content.decode()

    position = audit_position("nakatosa")
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, 35, tzinfo=TOKYO), tick=False):  # past the throttle
        response = client.post("/accounts/enrol/", {"token": totp_code(device)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/recovery-codes/"
    codes = client.get("/accounts/recovery-codes/").context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert StaticToken.objects.filter(device__user=person).count() == 10
    assert TOTPDevice.objects.filter(user=person, confirmed=True).count() == 1
    assert _is_verified(client)
    assert "auth.otp_enrolled" in [e.action for e in audit_since("nakatosa", position)]
    # The codes are shown once only.
    assert client.get("/accounts/recovery-codes/").context["codes"] is None


def test_an_enrolled_but_unverified_session_cannot_add_a_device(new_person: Any) -> None:
    """A stolen password alone must not be enough to register the thief's authenticator."""
    person = new_person("victim", nakatosa="clerk")
    client = make_client(HOSTS["nakatosa"], person, verified=False)
    devices = TOTPDevice.objects.filter(user=person).count()
    for response in (client.get("/accounts/enrol/"), client.post("/accounts/enrol/", {"token": "123456"})):
        assert response.status_code == 302
        assert response["Location"] == "/accounts/verify/"
    assert TOTPDevice.objects.filter(user=person).count() == devices
    # The security-key ceremony refuses as well (django-otp-webauthn's own guard).
    assert client.post("/accounts/webauthn/registration/begin/").status_code == 403


# --- Lockout --------------------------------------------------------------------------------------------


def test_lockout_after_too_many_wrong_passwords(new_person: Any, demo_password: str) -> None:
    new_person("target", nakatosa="clerk")
    client = Client(HTTP_HOST=HOSTS["nakatosa"])
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [
        client.post("/accounts/login/", {"username": "target", "password": f"wrong-{n}"}).status_code
        for n in range(limit)
    ]
    assert statuses[: limit - 1] == [200] * (limit - 1)

    response = client.post("/accounts/login/", {"username": "target", "password": demo_password})
    assert response.status_code == 429
    assert "ログインを一時停止しています" in response.content.decode()
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username="target")
    assert attempt.failures_since_start >= limit
    # Someone else at the same terminal is not locked out.
    other = Client(HTTP_HOST=HOSTS["nakatosa"]).post(
        "/accounts/login/", {"username": "tanaka", "password": demo_password}
    )
    assert other.status_code == 302


# --- Passwords, sessions --------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2_in_production() -> None:
    from config.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert Argon2PasswordHasher().encode("パスワード", Argon2PasswordHasher().salt()).startswith("argon2$")
    # Tests trade strength for speed.
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_idle_timeout_settings() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    # The idle window slides with common.middleware.SessionMiddleware's activity stamp, not a write per request.
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert "common.middleware.SessionMiddleware" in settings.MIDDLEWARE


def test_idle_session_expires_but_activity_keeps_it_alive(new_person: Any) -> None:
    person = new_person("idle", nakatosa="clerk")
    start = datetime(2026, 11, 2, 9, 0, tzinfo=TOKYO)
    with time_machine.travel(start, tick=False) as clock:
        client = make_client(HOSTS["nakatosa"], person)
        clock.move_to(start + timedelta(minutes=20))
        assert client.get("/").status_code == 200
        clock.move_to(start + timedelta(minutes=45))  # 45 minutes after login, 25 after the last request
        assert client.get("/").status_code == 200, "each request restarts the idle timer"
        clock.move_to(start + timedelta(minutes=45 + 31))
        assert_redirects_to_login(client.get("/"), "/")


def test_expired_session_is_sent_to_login(new_person: Any) -> None:
    client = make_client(HOSTS["nakatosa"], new_person("expired", nakatosa="clerk"))
    assert client.get("/").status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert_redirects_to_login(client.get("/audit/"), "/audit/")


# --- The demo shortcut ----------------------------------------------------------------------------------


def test_verify_page_never_shows_a_code_outside_demo_mode(client_for: Any) -> None:
    assert settings.KYODO_DEMO_MODE is False
    assert Person.objects.get(username="tanaka").is_demo
    response = client_for("tanaka", "nakatosa", verified=False).get("/accounts/verify/")
    assert response.status_code == 200
    assert response.context["demo_code"] is None
    assert "data-demo-code" not in body(response)


@override_settings(KYODO_DEMO_MODE=True)
def test_demo_mode_shows_the_current_code_to_demo_accounts_only(client_for: Any, new_person: Any) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, 5, tzinfo=TOKYO), tick=False):
        client = client_for("tanaka", "nakatosa", verified=False)
        response = client.get("/accounts/verify/")
        code = totp_code(confirmed_totp(Person.objects.get(username="tanaka")))
        assert response.context["demo_code"] == code
        assert f"<strong data-demo-code>{code}</strong>" in body(response)
        # The shortcut really passes verification (that is all it is for).
        assert client.post("/accounts/verify/", {"token": code}).status_code == 302

        ordinary = make_client(HOSTS["nakatosa"], new_person("real-person", nakatosa="clerk"), verified=False)
        assert ordinary.get("/accounts/verify/").context["demo_code"] is None


def _production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        KYODO_MYNUMBER_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        KYODO_ALLOWED_HOSTS="nakatosa.kyodo.example.jp,shimanto.kyodo.example.jp",
        KYODO_BACKUP_KEYS=json.dumps({"council": str(pyrage.x25519.Identity.generate())}),
    )
    env.update(extra)
    return env


def test_production_settings_pin_demo_mode_off() -> None:
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.KYODO_DEMO_MODE, settings.PASSWORD_HASHERS[0], settings.DEBUG)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_production_env(KYODO_DEMO_MODE="1"),  # an attempt to switch it on from the environment
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.contrib.auth.hashers.Argon2PasswordHasher", "False"]


def test_production_settings_pass_the_deploy_checks() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout, result.stdout


def test_production_refuses_a_deployment_without_a_usable_backup_key() -> None:
    for keys, code in (("{}", "kyodo.E101"), ('{"council": "not-a-key"}', "kyodo.E102")):
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy"],
            cwd=ROOT,
            env=_production_env(KYODO_BACKUP_KEYS=keys),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert result.returncode != 0, result.stderr
        assert code in result.stderr + result.stdout, result.stderr


def test_deploy_check_fails_if_demo_mode_were_on() -> None:
    from common.checks import demo_mode_off_in_deploy

    assert demo_mode_off_in_deploy(None) == []
    with override_settings(KYODO_DEMO_MODE=True):
        assert [e.id for e in demo_mode_off_in_deploy(None)] == ["kyodo.E001"]
