"""The shell around every module: town switcher, role-based home, 403 pages, language, security headers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from playwright.sync_api import expect

from tests.browser.flows import BrowserPerson, PageProblems, Server, sign_in, submit_password

FORBIDDEN = "この業務を利用する権限がありません"


def test_town_switcher_carries_the_verified_login_to_the_other_town(new_page: Any, server: Server, people: Any) -> None:
    person: BrowserPerson = people["two_towns"]
    page = new_page()
    sign_in(page, server, person, "nakatosa")
    expect(page.locator(".brand__town")).to_have_text("中土佐町")

    switcher = page.locator("details.menu", has=page.locator("summary", has_text="自治体切替"))
    switcher.locator("summary").click()
    expect(switcher.locator("[aria-current='true']")).to_have_text("中土佐町")
    with (
        page.expect_response(re.compile(r"/accounts/switch/shimanto/$")) as departure,
        page.expect_request(re.compile(r"/accounts/switch/arrive/$")) as arrival,
    ):
        switcher.get_by_role("button", name="四万十町").click()
    # The way out is a page that posts its one-time ticket to the other host by itself: the ticket is in the
    # body, never in a URL (access logs, history), and the CSP allows that one form action (Chromium reports a
    # violation otherwise, which fails this test).
    assert departure.value.status == 200
    assert arrival.value.method == "POST"
    ticket = parse_qs(arrival.value.post_data or "")["ticket"][0]
    assert ticket not in arrival.value.url
    assert arrival.value.headers["origin"] == server.url("nakatosa", "/").rstrip("/")

    # Another host, no password and no second code asked again.
    page.wait_for_url(server.url("shimanto", "/"))
    expect(page.locator(".brand__town")).to_have_text("四万十町")
    expect(page.get_by_role("heading", level=1)).to_have_text("四万十町")
    expect(page.get_by_role("status")).to_contain_text("四万十町に切り替えました。")
    expect(page.locator(".chip")).to_have_text("事務職員 — 町民課 住民係")
    expect(page).to_have_title("ホーム | 四万十町 | Kyodo")
    # The town colour comes from the town's own stylesheet: 四万十町 is green, not 中土佐町's blue.
    header_colour = page.locator(".site-header").evaluate("el => getComputedStyle(el).backgroundColor")
    assert header_colour == "rgb(46, 125, 50)", header_colour

    # The session is a full one: pages behind the second factor open without asking again.
    page.goto(server.url("shimanto", "/accounts/security/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("セキュリティ設定")

    # Posting the ticket again from another browser signs nobody in (single use and bound to the origin of the
    # issuing town: tests/tenants/test_access.py proves each on its own).
    intruder = new_page()
    intruder.goto(server.url("shimanto", "/accounts/login/"))
    intruder.evaluate(
        """(ticket) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/accounts/switch/arrive/";
            const field = document.createElement("input");
            field.type = "hidden";
            field.name = "ticket";
            field.value = ticket;
            form.append(field);
            document.body.append(form);
            form.submit();
        }""",
        ticket,
    )
    intruder.wait_for_url("**/accounts/login/")
    expect(intruder.get_by_role("alert")).to_have_text(
        "自治体切替の手続きが無効か、期限切れです。もう一度切り替えてください。"
    )
    intruder.goto(server.url("shimanto", "/"))
    intruder.wait_for_url("**/accounts/login/?next=/")


def test_person_without_membership_in_the_town_is_refused_at_login(page: Any, server: Server, people: Any) -> None:
    person = people["nakatosa_only"]
    submit_password(page, server, person, "shimanto")
    expect(page.get_by_role("alert")).to_have_text(
        "四万十町での利用権限(所属)がありません。所属する自治体のアドレスからログインしてください。"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")
    page.goto(server.url("shimanto", "/"))
    assert "/accounts/login/" in page.url


def test_auditor_sees_the_audit_tile_and_their_own_login(page: Any, server: Server, people: Any) -> None:
    person: BrowserPerson = people["auditor"]
    sign_in(page, server, person)
    expect(page.locator(".chip")).to_have_text("監査担当 — 町民課 住民係")
    tile = page.get_by_role("link", name=re.compile("監査ログ"))
    expect(tile).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("システム管理"))).to_have_count(0)
    tile.click()

    page.wait_for_url(server.url("nakatosa", "/audit/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("監査ログ")
    page.get_by_label("操作者ログインID").fill(person.username)
    page.get_by_label("操作", exact=True).fill("auth.*")
    page.get_by_role("button", name="検索").click()

    table = page.get_by_role("table", name="監査ログ一覧")
    expect(table).to_be_visible()
    login_row = table.locator("tbody tr", has=page.locator("code", has_text=re.compile(r"^auth\.login$")))
    expect(login_row).to_have_count(1)
    expect(login_row).to_contain_text(person.full_name)
    expect(login_row).to_contain_text(person.username)
    expect(login_row).to_contain_text("令和")
    expect(table.locator("tbody tr", has_text="auth.otp_verified")).to_have_count(1)


def test_clerk_has_no_audit_tile_and_gets_the_japanese_403_page(page: Any, server: Server, people: Any) -> None:
    person = people["clerk"]
    sign_in(page, server, person)
    expect(page.get_by_role("link", name=re.compile("監査ログ"))).to_have_count(0)

    response = page.goto(server.url("nakatosa", "/audit/"))
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(FORBIDDEN)
    expect(page.locator(".card--notice")).to_contain_text("「監査ログ」は現在の役割では利用できません。")
    expect(page).to_have_title("権限がありません | 中土佐町 | Kyodo")

    response = page.goto(server.url("nakatosa", "/admin/"))
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(FORBIDDEN)
    expect(page.locator(".card--notice")).to_contain_text("「システム管理」は現在の役割では利用できません。")

    page.get_by_role("link", name="ホームへ戻る").click()
    page.wait_for_url(server.url("nakatosa", "/"))


def test_it_admin_reaches_the_admin_with_the_town_in_its_header(
    page: Any, server: Server, people: Any, problems: PageProblems
) -> None:
    person = people["it_admin"]
    sign_in(page, server, person)
    expect(page.get_by_role("link", name=re.compile("システム管理"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("監査ログ"))).to_be_visible()

    page.get_by_role("link", name=re.compile("システム管理")).click()
    page.wait_for_url(server.url("nakatosa", "/admin/"))
    expect(page.locator("#site-name")).to_have_text("中土佐町 — Kyodo 共同電算 システム管理")
    expect(page.get_by_role("heading", level=1)).to_have_text("システム管理")
    # The town's own data only: council-level models (自治体, 職員ID) are administered on the council host; the
    # town's own memberships (所属) are administered here (docs/ARCHITECTURE.md, "Access").
    for council_model in ("municipality", "person", "apitoken"):
        expect(page.locator(f"#content-main a[href='/admin/tenants/{council_model}/']")).to_have_count(0)
    expect(page.locator("#content-main a[href='/admin/tenants/membership/']").first).to_be_visible()

    # The admin index is our own template (common/templates/admin/index.html), free of inline styles;
    # the page watcher fails the test on any CSP violation.


def test_language_switch_changes_the_interface_to_english(
    page: Any, server: Server, people: Any, screenshot_dir: Path
) -> None:
    person = people["english"]
    page.goto(server.url("nakatosa", "/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    language = page.get_by_label("表示言語")
    expect(language).to_have_value("ja")
    with page.expect_navigation():
        language.select_option("en")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("button", name="Next")).to_be_visible()
    expect(page.get_by_label("Display language")).to_have_value("en")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_attached()

    sign_in_english(page, server, person)
    expect(page.get_by_role("heading", name="Available services")).to_be_visible()
    expect(page.get_by_role("heading", name="Your roles in this municipality")).to_be_visible()
    expect(page.locator(".lead")).to_contain_text(f"Welcome, {person.full_name}.")
    expect(page.locator(".brand__product")).to_have_text("Shared Computing System")
    page.screenshot(path=str(screenshot_dir / "home-en.png"), full_page=True)

    # And back: the choice is the person's, kept in a cookie.
    with page.expect_navigation():
        page.get_by_label("Display language").select_option("ja")
    expect(page.get_by_role("heading", name="利用できる業務")).to_be_visible()


def sign_in_english(page: Any, server: Server, person: BrowserPerson) -> None:
    # Field labels and errors written in Python are translated too.
    page.get_by_label("Login ID").fill(person.username)
    page.get_by_label("Password").fill(person.password + "-wrong")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("alert")).to_contain_text("The login ID or password is incorrect.")
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Next").click()
    page.wait_for_url("**/accounts/verify/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    page.get_by_label("Authentication code").fill(person.totp())
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(server.url("nakatosa", "/"))


def test_security_headers_and_no_csp_violations_across_the_shell(
    new_page: Any, server: Server, people: Any, problems: PageProblems
) -> None:
    """CSP violations (logged to the console by Chromium) fail the test in the page fixture's teardown."""
    page = new_page()
    person = people["headers"]
    response = page.goto(server.url("nakatosa", "/accounts/login/"))
    assert response is not None
    headers = response.all_headers()
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    # The stylesheet really applied (under a wrong CSP the card would have no width limit).
    expect(page.locator(".auth-card")).to_have_css("max-width", "420px")

    sign_in(page, server, person)
    home = page.goto(server.url("nakatosa", "/"))
    assert home is not None
    assert home.status == 200
    assert home.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in home.headers["content-security-policy"]

    page.goto(server.url("nakatosa", "/accounts/security/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("セキュリティ設定")
    page.get_by_label("用途").fill("令和8年度 定期監査")
    page.get_by_role("button", name="発行する").click()
    expect(page.locator("[data-new-token]")).to_be_visible()

    # The enrolment page of a person without an authenticator.
    other = new_page()
    submit_password(other, server, people["enrol_csp"])
    other.wait_for_url("**/accounts/enrol/")
    expect(other.locator(".qr svg")).to_be_visible()
    assert problems.csp == []

    # The watch itself works: a style element added by script is refused and reported.
    with other.expect_console_message(lambda message: "Content Security Policy" in message.text):
        other.evaluate("document.head.append(Object.assign(document.createElement('style'), {textContent: 'b {}'}))")
    assert len(problems.csp) == 1, problems.csp
    assert "style-src" in problems.csp[0], problems.csp
    problems.csp.clear()
