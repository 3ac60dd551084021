"""Smoke test of the production web stack: gunicorn with deploy/gunicorn.conf.py, serving config.wsgi.

gunicorn runs as a real subprocess on a free 127.0.0.1 port against this session's test database (the
demo council is committed there by tests/conftest.py), so the town is chosen from the Host header by
django-tenants, static files come from WhiteNoise, and a login with two-factor verification works
across separate worker processes (sessions in PostgreSQL, not in memory).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants import mfa, services
from tenants.demo import DEMO_PASSWORD
from tenants.models import Municipality, Person, Role
from tests.support.processes import database_url, free_port, stop

# django_db: pytest-django creates the test database only when a collected test asks for one; without
# it, running this module alone would point gunicorn (and the committed clerk below) at the dev database.
pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 15


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Browser:
    """Just enough of a browser: one town host, cookies kept, no redirects followed."""

    port: int
    host: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, extra: dict[str, str] | None = None
    ) -> Response:
        headers = {"Host": self.host, **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            response = Response(raw.status, raw.msg, raw.read().decode("utf-8", errors="replace"))
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            parsed = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                self.cookies[name] = morsel.value
        return response

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str], extra: dict[str, str] | None = None) -> Response:
        return self.request("POST", path, form, extra)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


@dataclass
class Server:
    port: int
    log_path: Path

    def browser(self, host: str) -> Browser:
        return Browser(self.port, host)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _wait_until_ready(process: subprocess.Popen[bytes], server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode} while starting:\n{server.log()[-4000:]}")
        try:
            if server.browser("nakatosa.localhost").get("/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer /healthz within {START_TIMEOUT_SECONDS} s:\n{server.log()[-4000:]}")


@pytest.fixture(scope="module")
def gunicorn(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("gunicorn")
    with django_db_blocker.unblock():
        settings_dict = dict(connection.settings_dict)
    assert settings_dict["NAME"].startswith("test_"), f"not a test database: {settings_dict['NAME']}"
    dsn = database_url(settings_dict)
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": dsn,
        # Test settings are not DEBUG, so WhiteNoise serves only what collectstatic put in STATIC_ROOT.
        "KYODO_STATIC_ROOT": str(workdir / "static"),
        "KYODO_BIND": f"127.0.0.1:{port}",
        "KYODO_WORKERS": "2",  # two processes: the login below must not depend on landing on one worker
        "KYODO_CONTROL_SOCKET": str(workdir / "gunicorn.ctl"),  # not the shared ~/.gunicorn default
        "KYODO_ACCESS_LOG": "-",
    }
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--link", "-v", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert collect.returncode == 0, collect.stdout + collect.stderr

    server = Server(port=port, log_path=workdir / "gunicorn.log")
    with server.log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.asgi:application"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_until_ready(process, server)
        yield server
    finally:
        stop(process, timeout=30)


def test_healthz_answers_in_the_schema_of_the_host(gunicorn: Server) -> None:
    for schema in ("nakatosa", "shimanto", "council"):
        response = gunicorn.browser(f"{schema}.localhost").get("/healthz")
        assert response.status == 200, gunicorn.log()[-2000:]
        assert response.headers["Content-Type"] == "application/json"
        body = response.json()
        assert body["schema"] == schema
        # The state of what the process depends on (docs/domain/bcp-reliability.md §3): all up here.
        assert (body["status"], body["database"], body["cache"], body["broker"]) == ("ok", "ok", "ok", "ok")
        # RequestContextMiddleware tags every response; gunicorn's access log prints the same id.
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_readyz_answers_for_a_load_balancer(gunicorn: Server) -> None:
    response = gunicorn.browser("nakatosa.localhost").get("/readyz")
    assert response.status == 200
    assert response.json() == {"status": "ready", "database": "ok"}


def test_login_page_of_shimanto(gunicorn: Server) -> None:
    response = gunicorn.browser("shimanto.localhost").get("/accounts/login/")
    assert response.status == 200
    assert "ログイン" in response.body
    assert "四万十町" in response.body
    assert "中土佐町" not in response.body
    assert 'name="username"' in response.body
    assert 'name="password"' in response.body
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_unknown_host_is_not_found(gunicorn: Server) -> None:
    response = gunicorn.browser("unknown.localhost").get("/healthz")
    assert response.status == 404
    assert '"schema"' not in response.body


def test_static_files_are_served_by_whitenoise(gunicorn: Server) -> None:
    response = gunicorn.browser("nakatosa.localhost").get("/static/kyodo/kyodo.css")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.body == (ROOT / "common" / "static" / "kyodo" / "kyodo.css").read_text(encoding="utf-8")
    missing = gunicorn.browser("nakatosa.localhost").get("/static/kyodo/no-such-file.css")
    assert missing.status == 404


@pytest.fixture(scope="module")
def gunicorn_clerk(django_db_setup: Any, django_db_blocker: Any) -> Person:
    """A clerk of 中土佐町 of our own, committed so that gunicorn's workers can see it.

    Logging in writes sessions and audit rows; a person of its own keeps those away from the demo
    people that other tests look at.
    """
    assert connection.settings_dict["NAME"].startswith("test_")
    with django_db_blocker.unblock():
        person = Person.objects.create_user(
            f"gunicorn-{uuid.uuid4().hex[:8]}", DEMO_PASSWORD, full_name="試験 通信", full_name_kana="シケン ツウシン"
        )
        mfa.confirm_totp_device(person, mfa.pending_totp_device(person))
        services.grant_membership(
            actor=None,
            person=person,
            municipality=Municipality.objects.get(schema_name="nakatosa"),
            role=Role.CLERK,
            section="町民課",
            valid_from=date(2000, 1, 1),
        )
        connection.set_schema_to_public()
    return person


def _current_code(person: Person, django_db_blocker: Any) -> str:
    with django_db_blocker.unblock():
        device = TOTPDevice.objects.get(user=person, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_login_with_two_factor_through_gunicorn(
    gunicorn: Server, gunicorn_clerk: Person, django_db_blocker: Any
) -> None:
    browser = gunicorn.browser("nakatosa.localhost")
    assert browser.get("/").status == 302  # not logged in: to the login page

    page = browser.get("/accounts/login/")
    wrong = browser.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": csrf_token(page.body), "username": gunicorn_clerk.username, "password": "wrong"},
    )
    assert wrong.status == 200
    assert "ログインIDまたはパスワードが正しくありません。" in wrong.body

    signed_in = browser.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": csrf_token(wrong.body), "username": gunicorn_clerk.username, "password": DEMO_PASSWORD},
    )
    assert signed_in.status == 302
    assert signed_in.headers["Location"] == "/accounts/verify/"
    assert browser.get("/").headers["Location"].startswith("/accounts/verify/")  # password alone is not enough

    verify = browser.get("/accounts/verify/")
    assert verify.status == 200
    assert "data-demo-code" not in verify.body  # test settings, like production: no demo shortcut
    verified = browser.post(
        "/accounts/verify/",
        {"csrfmiddlewaretoken": csrf_token(verify.body), "token": _current_code(gunicorn_clerk, django_db_blocker)},
    )
    assert verified.status == 302, verified.body[:500]
    assert verified.headers["Location"] == "/"

    home = browser.get("/")
    assert home.status == 200
    assert "試験 通信" in home.body
    assert "中土佐町" in home.body

    # The same session presented at 四万十町, where this clerk has no membership, opens nothing there:
    # the refusal names the town and points to the clerk's own town.
    elsewhere = Browser(gunicorn.port, "shimanto.localhost", cookies=dict(browser.cookies)).get("/")
    assert elsewhere.status == 403
    assert "四万十町での利用権限(所属)がありません" in elsewhere.body
    assert "nakatosa.localhost" in elsewhere.body
    assert "試験 通信" not in elsewhere.body


@pytest.fixture(scope="module")
def gunicorn_traveller(django_db_setup: Any, django_db_blocker: Any) -> Person:
    """A clerk of both towns, committed, for the town switch."""
    with django_db_blocker.unblock():
        person = Person.objects.create_user(
            f"traveller-{uuid.uuid4().hex[:8]}", DEMO_PASSWORD, full_name="試験 移動", full_name_kana="シケン イドウ"
        )
        mfa.confirm_totp_device(person, mfa.pending_totp_device(person))
        for schema in ("nakatosa", "shimanto"):
            services.grant_membership(
                actor=None,
                person=person,
                municipality=Municipality.objects.get(schema_name=schema),
                role=Role.CLERK,
                section="町民課",
                valid_from=date(2000, 1, 1),
            )
        connection.set_schema_to_public()
    return person


def test_a_town_switch_ticket_never_reaches_the_access_log(
    gunicorn: Server, gunicorn_traveller: Person, django_db_blocker: Any
) -> None:
    """docs/security.md "Switching towns": the ticket travels in a POST body, never in a URL that gunicorn logs."""
    browser = gunicorn.browser("nakatosa.localhost")
    page = browser.get("/accounts/login/")
    browser.post(
        "/accounts/login/",
        {
            "csrfmiddlewaretoken": csrf_token(page.body),
            "username": gunicorn_traveller.username,
            "password": DEMO_PASSWORD,
        },
    )
    verify = browser.get("/accounts/verify/")
    browser.post(
        "/accounts/verify/",
        {"csrfmiddlewaretoken": csrf_token(verify.body), "token": _current_code(gunicorn_traveller, django_db_blocker)},
    )
    home = browser.get("/")
    assert home.status == 200

    switching = browser.post("/accounts/switch/shimanto/", {"csrfmiddlewaretoken": csrf_token(home.body)})
    assert switching.status == 200
    form = re.search(
        r'<form method="post" action="([^"]+)"[^>]*>\s*<input type="hidden" name="ticket" value="([^"]+)">',
        switching.body,
    )
    assert form is not None
    action, ticket = urllib.parse.urlsplit(form.group(1)), form.group(2)
    assert action.query == ""

    other = gunicorn.browser("shimanto.localhost")
    arrived = other.post(action.path, {"ticket": ticket}, {"Origin": f"http://nakatosa.localhost:{gunicorn.port}"})
    assert arrived.status == 302
    assert arrived.headers["Location"] == "/"
    assert other.get("/").status == 200

    time.sleep(0.5)  # the access log line is written after the response
    log = gunicorn.log()
    assert "/accounts/switch/arrive/" in log
    assert ticket not in log
