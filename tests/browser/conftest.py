"""Real-browser fixtures: Debian's Chromium, driven by Playwright, against a real gunicorn server (uvicorn workers).

The server is a gunicorn subprocess on the per-session test database (which tests/conftest.py fills
with the demo council and commits). pytest-django's live_server is not used: it flushes the database
at the end, and the append-only audit table refuses TRUNCATE by design.

Each test signs in its own, uniquely named people: django-otp refuses a TOTP code that was already
used in the same 30-second step, so one person cannot sign in twice in a row without waiting. The
people are created (and committed) before the browser starts; the tests then read nothing from the
database: the current TOTP code is computed from the device key kept in memory.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from tests.browser.flows import PASSWORD, BrowserPerson, PageProblems, Server
from tests.support.processes import database_url, free_port, stop

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BROWSER_DIR = Path(__file__).resolve().parent
# Debian's chromium package; never a browser downloaded by `playwright install`.
CHROMIUM = Path(os.environ.get("KYODO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",  # CI runs the tests as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 90.0  # a loaded 2-core machine imports Django slowly

# key -> (full name, {schema: role}, has a confirmed authenticator)
PEOPLE_SPEC: dict[str, tuple[str, dict[str, str], bool]] = {
    "keyboard": ("鍵盤 一郎", {"nakatosa": "clerk"}, True),
    "mt_organiser": ("会議 主催", {"nakatosa": "clerk"}, True),
    "mt_member": ("会議 参加", {"shimanto": "clerk"}, True),
    "wrong_password": ("誤入力 花子", {"nakatosa": "clerk"}, True),
    "wrong_code": ("誤符号 次郎", {"nakatosa": "clerk"}, True),
    "newcomer": ("新人 三郎", {"nakatosa": "clerk"}, False),
    "two_towns": ("兼務 四郎", {"nakatosa": "clerk", "shimanto": "clerk"}, True),
    "nakatosa_only": ("中土佐 五郎", {"nakatosa": "clerk"}, True),
    "auditor": ("監査 六子", {"nakatosa": "auditor"}, True),
    "clerk": ("窓口 七海", {"nakatosa": "clerk"}, True),
    "it_admin": ("情報 八雲", {"nakatosa": "it_admin"}, True),
    "english": ("英語 九美", {"nakatosa": "clerk"}, True),
    "headers": ("安全 十和", {"nakatosa": "clerk"}, True),
    "enrol_csp": ("登録 十一", {"nakatosa": "clerk"}, False),
    "look": ("見本 十二", {"nakatosa": "clerk", "shimanto": "clerk"}, True),
    "look_admin": ("見本 十三", {"nakatosa": "it_admin"}, True),
    "look_newcomer": ("見本 十四", {"nakatosa": "clerk"}, False),
    "security_key": ("鍵 十五", {"nakatosa": "clerk", "shimanto": "clerk"}, True),
    "rr_move_in": ("住記 転入", {"nakatosa": "clerk"}, True),
    "rr_errors": ("住記 誤入力", {"nakatosa": "clerk"}, True),
    "rr_address": ("住記 転居", {"nakatosa": "clerk"}, True),
    "rr_certificate": ("住記 交付", {"nakatosa": "clerk"}, True),
    "rr_blocked": ("住記 支援", {"nakatosa": "clerk"}, True),
    "ks_birth": ("戸籍 出生", {"nakatosa": "clerk"}, True),
    "ks_errors": ("戸籍 誤入力", {"nakatosa": "clerk"}, True),
    "ks_marriage": ("戸籍 婚姻", {"nakatosa": "clerk"}, True),
    "ks_wide_area": ("戸籍 広域", {"shimanto": "clerk"}, True),
    "ks_certificate": ("戸籍 交付", {"nakatosa": "clerk"}, True),
    "bcp_admin": ("業継 管理", {"nakatosa": "it_admin"}, True),
    "wb_run": ("水道 調定", {"nakatosa": "water_clerk"}, True),
    "wb_debit": ("水道 口振", {"nakatosa": "water_clerk"}, True),
    "wb_dunning": ("水道 督促", {"nakatosa": "water_clerk"}, True),
    "wb_plan": ("水道 分納", {"nakatosa": "water_clerk"}, True),
    "fin_clerk": ("財務 起案", {"nakatosa": "budget_clerk"}, True),
    "fin_inspector": ("財務 検収", {"nakatosa": "budget_clerk"}, True),
    "fin_orderer": ("財務 命令", {"nakatosa": "budget_clerk"}, True),
    "fin_accountant": ("財務 審査", {"nakatosa": "accountant"}, True),
    "fin_cashier": ("財務 出納", {"nakatosa": "accountant"}, True),
    "fin_over": ("財務 超過", {"nakatosa": "budget_clerk"}, True),
    "fin_officer": ("財務 財政", {"nakatosa": "finance_officer"}, True),
    "hq_council": ("本部 協議", {"council": "it_admin"}, True),
    "hq_clerk": ("本部 町職", {"nakatosa": "clerk"}, True),
    "hq_watch": ("本部 監視", {"nakatosa": "clerk"}, True),
    "gw_booker": ("施設 予約", {"nakatosa": "clerk"}, True),
    "gw_holder": ("施設 先約", {"nakatosa": "clerk"}, True),
    "gw_applicant": ("申請 太郎", {"nakatosa": "clerk"}, True),
    "gw_any": ("係長 承認", {"nakatosa": "clerk"}, True),
    "gw_all": ("課長 不在", {"nakatosa": "clerk"}, True),
    "gw_proxy": ("代理 承認", {"nakatosa": "clerk"}, True),
    "gw_author": ("掲示 作成", {"nakatosa": "clerk"}, True),
    "gw_reader": ("掲示 既読", {"nakatosa": "clerk"}, True),
    "gw_unread": ("掲示 未読", {"nakatosa": "clerk"}, True),
    "chat_sender": ("話者 送信", {"nakatosa": "clerk"}, True),
    "chat_vendor": ("話者 業者", {"council": "vendor"}, True),
    "chat_vendor_only": ("話者 業者二", {"council": "vendor"}, True),
    "chat_leaver": ("話者 退出", {"nakatosa": "clerk"}, True),
}
SECTION = "町民課 住民係"


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    # This hook sees the items of the whole session; only touch the ones in this directory.
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
            # pytest-django creates the test database only when a collected test asks for one; without
            # this mark, running this directory alone would point the server at the real database.
            item.add_marker(pytest.mark.django_db)
            if not CHROMIUM.exists():
                item.add_marker(skip)


def pytest_fixture_post_finalizer(fixturedef: Any, request: Any) -> None:
    # While Playwright's loop is active, the per-test transaction (pytest-django's helper) runs on a
    # connection of its own that the end-of-session teardown never sees; left open, it would keep
    # the test database from being dropped. Close it as soon as its transaction is rolled back.
    if fixturedef.argname == "_django_db_helper" and BROWSER_DIR in Path(str(request.node.path)).parents:
        connections.close_all()


@pytest.fixture(scope="package")
def people(django_db_setup: Any, django_db_blocker: Any) -> dict[str, BrowserPerson]:
    """Uniquely named people, committed, with confirmed authenticators and memberships in force."""
    from tenants import mfa, services
    from tenants.models import Municipality, Person

    run = secrets.token_hex(3)
    assert connection.settings_dict["NAME"] == connection.creation._get_test_db_name(), "not the test database"
    result: dict[str, BrowserPerson] = {}
    with django_db_blocker.unblock():
        towns = {m.schema_name: m for m in Municipality.objects.all()}
        for key, (full_name, roles, has_device) in PEOPLE_SPEC.items():
            username = f"b{run}_{key}"
            person = Person.objects.create_user(username, PASSWORD, full_name=full_name)
            entry = BrowserPerson(username=username, full_name=full_name, roles=roles)
            if has_device:
                device = mfa.pending_totp_device(person)
                mfa.confirm_totp_device(person, device)
                entry.totp_key = bytes(device.bin_key)
                entry.totp_step, entry.totp_t0, entry.totp_digits = device.step, device.t0, device.digits
            for schema, role in roles.items():
                services.grant_membership(
                    actor=None,
                    person=person,
                    municipality=towns[schema],
                    role=role,
                    section=SECTION,
                    valid_from=date(2020, 4, 1),
                )
            result[key] = entry
        connection.set_schema_to_public()
    return result


def _healthy(port: int) -> bool:
    conn = HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz", headers={"Host": "nakatosa.localhost"})
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


@pytest.fixture(scope="package")
def server(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn, as deployed (deploy/gunicorn.conf.py), serving the test database on a free port."""
    with django_db_blocker.unblock():
        dsn = database_url(connection.settings_dict)
    workdir = tmp_path_factory.mktemp("browser-server")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": dsn,
        "KYODO_BIND": f"127.0.0.1:{port}",
        "KYODO_WORKERS": "2",
        # uvicorn workers, as deployed (config.asgi): HTTP and the chat's WebSocket; an idle speculative
        # connection of Chromium blocks nothing on their event loop.
        # WhiteNoise serves only what is in STATIC_ROOT (it uses the finders only under DEBUG), so
        # the files are collected first; symlinked, which is quick and always the working tree's
        # current CSS and JavaScript.
        "KYODO_STATIC_ROOT": str(workdir / "static"),
        # No idle connections kept open: the test database is dropped right after this fixture.
        "KYODO_DB_CONN_MAX_AGE": "0",
        "KYODO_ACCESS_LOG": str(workdir / "access.log"),
        # gunicorn 25.1+ control socket: our own, not the one every gunicorn on the machine shares.
        "KYODO_CONTROL_SOCKET": str(workdir / "gunicorn.ctl"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--link", "-v0"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    log = workdir / "gunicorn.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.asgi:application"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start on port {port}:\n{log.read_text(errors='replace')[-4000:]}")
            time.sleep(0.2)
        yield Server(port=port, log=log)
    finally:
        stop(process, timeout=15)


@pytest.fixture(scope="package")
def browser(server: Server, people: dict[str, BrowserPerson]) -> Iterator[Any]:
    """Chromium for the whole package; the people are committed before Playwright starts."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API marks an asyncio loop as running in this thread, which trips Django's
    # async-safety guard on any ORM call, such as pytest-django's per-test transaction. Relaxed for
    # this package only; the tests themselves never query the database.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def new_page(browser: Any, problems: PageProblems) -> Iterator[Any]:
    """new_page() -> a page in a fresh browser context (its own cookies), watched for CSP violations."""
    contexts = []

    def factory() -> Any:
        context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 800})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        problems.attach(page)
        return page

    yield factory
    for context in contexts:
        context.close()
    problems.assert_clean()


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """$KYODO_SCREENSHOT_DIR when set (to look at the pages after a run), else pytest's tmp directory."""
    target = Path(os.environ.get("KYODO_SCREENSHOT_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target
