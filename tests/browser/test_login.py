"""Signing in through the browser: password, authenticator code, first enrolment, recovery codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.flows import (
    BrowserPerson,
    Server,
    b32_key,
    sign_out,
    submit_code,
    submit_password,
    totp_code,
)

WRONG_PASSWORD = "ログインIDまたはパスワードが正しくありません。"
WRONG_CODE = "認証コードが正しくないか、有効期限が切れています。"


def reiwa_today() -> set[str]:
    """Today in 和暦 as the home page prints it (both sides of a midnight during the test)."""
    days = {datetime.now(ZoneInfo("Asia/Tokyo")).date()}
    return {f"令和{d.year - 2018}年{d.month}月{d.day}日" for d in days}


def test_keyboard_only_sign_in_lands_on_the_branded_home(page: Any, server: Server, people: Any) -> None:
    person: BrowserPerson = people["keyboard"]
    before = reiwa_today()
    page.goto(server.url("nakatosa", "/accounts/login/"))
    expect(page).to_have_title("ログイン | 中土佐町 | Kyodo")
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")

    # The first field has focus on arrival; Tab moves to the password; Enter submits.
    username = page.get_by_label("ログインID")
    expect(username).to_be_focused()
    page.keyboard.type(person.username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("パスワード")).to_be_focused()
    page.keyboard.type(person.password)
    page.keyboard.press("Enter")

    page.wait_for_url("**/accounts/verify/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("2要素認証")
    expect(page.get_by_label("認証コード")).to_be_focused()
    page.keyboard.type(person.totp())
    page.keyboard.press("Enter")

    page.wait_for_url(server.url("nakatosa", "/"))
    expect(page.locator(".site-header .brand__town")).to_have_text("中土佐町")
    expect(page.get_by_role("heading", level=1)).to_have_text("中土佐町")
    expect(page.locator(".lead")).to_contain_text(f"{person.full_name} さん、ようこそ。")
    expect(page.locator(".chip")).to_have_text("事務職員 — 町民課 住民係")
    shown = page.locator(".lead time").inner_text()
    assert shown in before | reiwa_today(), shown
    # A clerk of 中土佐町: 住民記録, 戸籍, 給与明細 (own), 災害対策本部, ホームページ管理, グループウェア and
    # ビジネスチャット.
    expect(page.locator(".tile")).to_have_count(7)
    expect(page.locator(".tile").first).to_contain_text("住民記録")
    expect(page.locator(".tile").nth(1)).to_contain_text("戸籍")

    # The skip link is the first stop of the keyboard and leads to the main content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="本文へ移動")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_wrong_password_is_refused_in_japanese(page: Any, server: Server, people: Any) -> None:
    person = people["wrong_password"]
    page.goto(server.url("nakatosa", "/accounts/login/"))
    page.get_by_label("ログインID").fill(person.username)
    page.get_by_label("パスワード").fill(person.password + "x")
    page.get_by_role("button", name="次へ").click()

    expect(page.get_by_role("alert")).to_have_text(WRONG_PASSWORD)
    assert page.url == server.url("nakatosa", "/accounts/login/")
    # The login ID is kept, the password is not sent back.
    expect(page.get_by_label("ログインID")).to_have_value(person.username)
    expect(page.get_by_label("パスワード")).to_have_value("")


def test_wrong_code_is_refused_in_japanese(page: Any, server: Server, people: Any) -> None:
    person = people["wrong_code"]
    submit_password(page, server, person)
    page.wait_for_url("**/accounts/verify/**")
    submit_code(page, person.wrong_totp())

    error = page.locator(".field__error")
    expect(error).to_have_text(WRONG_CODE)
    code_field = page.get_by_label("認証コード")
    expect(code_field).to_have_attribute("aria-invalid", "true")
    # The error is announced with the field it belongs to.
    described_by = code_field.get_attribute("aria-describedby") or ""
    assert error.get_attribute("id") in described_by.split()
    # Still not signed in: the home page sends the person back to the second step.
    page.goto(server.url("nakatosa", "/"))
    assert "/accounts/verify/" in page.url


def test_first_sign_in_enrols_an_authenticator_then_recovery_codes_work_once(
    new_page: Any, server: Server, people: Any
) -> None:
    person: BrowserPerson = people["newcomer"]
    page = new_page()
    submit_password(page, server, person)

    # No device yet: straight to enrolment, with the QR code and the typed-in secret.
    page.wait_for_url("**/accounts/enrol/")
    expect(page.get_by_role("heading", level=1)).to_have_text("認証アプリの登録")
    expect(page.get_by_text("すべての職員アカウントに2要素認証が必要です")).to_be_visible()
    qr = page.locator(".qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None, box
    assert box["width"] >= 150, box
    assert box["height"] >= 150, box
    secret = page.locator("[data-totp-secret]").inner_text()
    key = b32_key(secret)
    assert len(key) >= 10, secret

    page.get_by_label("確認コード").fill(totp_code(key))
    page.get_by_role("button", name="登録する").click()

    page.wait_for_url("**/accounts/recovery-codes/")
    expect(page.get_by_role("heading", level=1)).to_have_text("リカバリーコード")
    expect(page.get_by_text("このコードは今だけ表示されます")).to_be_visible()
    codes = page.locator("[data-recovery-codes] code").all_inner_texts()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    expect(page.get_by_role("button", name="印刷する")).to_be_visible()
    # Enrolment also verified this session: the home page opens.
    page.goto(server.url("nakatosa", "/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("中土佐町")
    sign_out(page, person)

    # Later, without the phone: a recovery code signs in once.
    submit_password(page, server, person)
    page.wait_for_url("**/accounts/verify/**")
    submit_code(page, codes[0])
    page.wait_for_url(server.url("nakatosa", "/"))
    expect(page.locator(".lead")).to_contain_text(person.full_name)
    sign_out(page, person)

    # ... and never again.
    submit_password(page, server, person)
    page.wait_for_url("**/accounts/verify/**")
    submit_code(page, codes[0])
    expect(page.locator(".field__error")).to_have_text(WRONG_CODE)
    page.goto(server.url("nakatosa", "/"))
    assert "/accounts/verify/" in page.url
