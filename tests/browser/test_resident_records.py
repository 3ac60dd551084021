"""The clerk's resident-register pages in a real browser: 転入, 転居, 証明書の交付 and a 支援措置 refusal.

The households the tests start from are committed (in 中土佐町's schema) by the fixtures below, with names
unique to the run, because the server is another process; the tests then only drive the browser.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from common.dates import local_today
from resident_records import services, support
from resident_records.models import Household, Resident, SupportScope
from resident_records.services import PersonInput
from tenants.models import Person
from tests.browser.flows import Server, sign_in

KANA_DIGITS = "アイウエオカキクケコ"


def _unique_family() -> tuple[str, str]:
    """A family name (kanji) and its furigana unique to this run, so a search finds only this household."""
    token = secrets.randbelow(10**6)
    kana = "".join(KANA_DIGITS[int(d)] for d in f"{token:06d}")
    return f"試験{token:06d}", f"シケン{kana}"


def _commit_household(django_db_blocker: Any, *, address: str) -> dict[str, Any]:
    """A household of two, moved in 30 days ago, committed so the server process sees it."""
    family_name, family_kana = _unique_family()
    moved_in = local_today() - timedelta(days=30)
    members = [
        PersonInput(
            family_name, "一郎", family_kana, "イチロウ", moved_in.replace(year=moved_in.year - 45), "1", "世帯主"
        ),
        PersonInput(family_name, "和子", family_kana, "カズコ", moved_in.replace(year=moved_in.year - 43), "2", "妻"),
    ]
    with django_db_blocker.unblock():
        clerk = Person.objects.get(username="tanaka")
        with schema_context("nakatosa"):
            event = services.record_move_in(
                actor=clerk, event_date=moved_in, notified_on=moved_in, address=address, members=members
            )
            assert event.household_id is not None
            household = Household.objects.get(pk=event.household_id)
            residents = list(Resident.objects.filter(household=household).order_by("pk"))
        connection.set_schema_to_public()
    return {"family_name": family_name, "household": household, "head": residents[0], "residents": residents}


# Module-scoped: committed before any test's rolled-back transaction opens (a write inside that transaction
# would be invisible to the server and would hold the locks its requests wait for).
@pytest.fixture(scope="module")
def moving_household(django_db_setup: Any, django_db_blocker: Any) -> dict[str, Any]:
    return _commit_household(django_db_blocker, address="高知県高岡郡中土佐町久礼 3100")


@pytest.fixture(scope="module")
def household(django_db_setup: Any, django_db_blocker: Any) -> dict[str, Any]:
    return _commit_household(django_db_blocker, address="高知県高岡郡中土佐町久礼 3150")


@pytest.fixture(scope="module")
def blocked_household(django_db_setup: Any, django_db_blocker: Any) -> dict[str, Any]:
    """A household whose wife is under a 支援措置 covering 住民票の写し等の交付."""
    committed = _commit_household(django_db_blocker, address="高知県高岡郡中土佐町久礼 3200")
    with django_db_blocker.unblock():
        clerk = Person.objects.get(username="tanaka")
        with schema_context("nakatosa"):
            support.apply_support_measure(
                actor=clerk, resident=committed["residents"][1], scopes=[SupportScope.CERTIFICATE]
            )
        connection.set_schema_to_public()
    return committed


def _open_resident(page: Any, server: Server, family_name: str, purpose: str = "窓口での本人確認") -> None:
    """Search by name from the module's start page and open the 世帯主."""
    page.goto(server.url("nakatosa", "/resident_records/"))
    page.get_by_label("氏名・フリガナ").fill(family_name)
    page.get_by_label("利用目的").fill(purpose)
    page.get_by_role("button", name="検索", exact=True).click()
    expect(page.get_by_role("heading", name="検索結果")).to_contain_text("2件")
    page.get_by_role("row", name=f"{family_name} 一郎").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{family_name} 一郎")


def test_move_in_of_a_family(page: Any, server: Server, people: Any, screenshot_dir: Path) -> None:
    sign_in(page, server, people["rr_move_in"])
    page.get_by_role("link", name="住民記録").click()
    page.get_by_role("link", name="転入届").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("転入届")
    family_name, family_kana = _unique_family()
    moved_in = local_today() - timedelta(days=3)

    # The keyboard reaches the first field after the dates from the 異動日 field.
    page.get_by_label("異動日").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("届出日")).to_be_focused()

    page.get_by_label("異動日").fill(f"{moved_in:%Y-%m-%d}")
    page.get_by_label("届出日").fill(f"{local_today():%Y-%m-%d}")
    page.locator("#id_address").fill("高知県高岡郡中土佐町久礼 4000")
    page.get_by_label("従前の住所").fill("高知県高知市本町 1-1")
    rows = [("陽介", "ヨウスケ", "昭和60年7月7日", "1", "世帯主"), ("美咲", "ミサキ", "S62.3.3", "2", "妻"),
            ("陽太", "ヨウタ", "2018-06-01", "1", "子")]  # fmt: skip
    for index, (given, given_kana, birth, sex, relationship) in enumerate(rows):
        prefix = f"#id_members-{index}-"
        page.locator(prefix + "family_name").fill(family_name)
        page.locator(prefix + "given_name").fill(given)
        page.locator(prefix + "family_name_kana").fill(family_kana)
        page.locator(prefix + "given_name_kana").fill(given_kana)
        page.locator(prefix + "birth_date").fill(birth)
        page.locator(prefix + "sex").select_option(sex)
        page.locator(prefix + "relationship").fill(relationship)
    page.screenshot(path=str(screenshot_dir / "resident-move-in.png"), full_page=True)
    page.get_by_role("button", name="転入を処理する").click()

    expect(page.get_by_role("status").filter(has_text="転入を処理しました")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{family_name} 陽介")
    members = page.get_by_role("table", name="世帯員(証明書の記載順)").locator("tbody tr")
    expect(members).to_have_count(3)
    expect(members.nth(0)).to_contain_text("世帯主")
    expect(members.nth(2)).to_contain_text(f"{family_name} 陽太")
    page.screenshot(path=str(screenshot_dir / "resident-page.png"), full_page=True)


def test_move_in_errors_are_shown_in_japanese(page: Any, server: Server, people: Any) -> None:
    sign_in(page, server, people["rr_errors"])
    page.goto(server.url("nakatosa", "/resident_records/move-in/"))
    page.get_by_label("異動日").fill("令和8年13月1日")
    page.get_by_role("button", name="転入を処理する").click()
    expect(page.locator(".field__error").first).to_be_visible()
    expect(page.get_by_text("日付を正しく入力してください(例: 令和8年4月1日 または 2026-04-01)")).to_be_visible()
    expect(page.get_by_text("住所を入力してください。").first).to_be_visible()


def test_change_of_address(page: Any, server: Server, people: Any, moving_household: dict[str, Any]) -> None:
    sign_in(page, server, people["rr_address"])
    _open_resident(page, server, moving_household["family_name"])
    page.get_by_role("link", name="転居届").click()
    page.get_by_label("異動日").fill(f"{local_today() - timedelta(days=1):%Y-%m-%d}")
    page.get_by_label("届出日").fill(f"{local_today():%Y-%m-%d}")
    page.locator("#id_address").fill("高知県高岡郡中土佐町上ノ加江 77")
    page.get_by_role("button", name="転居を処理する").click()

    expect(page.get_by_role("status").filter(has_text="転居を処理しました")).to_be_visible()
    expect(page.locator(".rr-entry")).to_contain_text("高知県高岡郡中土佐町上ノ加江 77")
    history = page.get_by_role("table", name="異動の履歴(処理順)").locator("tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("転入")
    expect(history.nth(1)).to_contain_text("転居")


def test_issuing_a_certificate(
    page: Any, server: Server, people: Any, household: dict[str, Any], screenshot_dir: Path
) -> None:
    sign_in(page, server, people["rr_certificate"])
    _open_resident(page, server, household["family_name"])
    page.get_by_role("link", name="証明書の交付").click()
    page.get_by_label("世帯主の氏名及び続柄").check()
    page.get_by_label("請求者の区分").select_option(label="本人")
    page.get_by_role("textbox", name="請求者", exact=True).fill("本人")
    page.get_by_label("利用目的").fill("運転免許の更新")
    page.screenshot(path=str(screenshot_dir / "resident-certificate-form.png"), full_page=True)
    page.get_by_role("button", name="内容を確認する").click()
    expect(page.get_by_role("heading", name="交付内容の確認")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "resident-certificate-confirm.png"), full_page=True)
    expect(page.locator(".rr-entry")).to_contain_text("世帯全員(2人)")
    page.get_by_role("button", name="発行する").click()
    # The completion page names the 発行番号; the PDF is printed from there (a double submit issues nothing more).
    expect(page.get_by_role("heading", name="交付の完了")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("発行番号"))).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="証明書(PDF)を印刷する").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    page.goto(server.url("nakatosa", "/resident_records/certificates/"))
    expect(page.get_by_role("table", name="本日の交付履歴")).to_contain_text("運転免許の更新")


def test_issuance_is_refused_under_a_support_measure(
    page: Any, server: Server, people: Any, blocked_household: dict[str, Any]
) -> None:
    sign_in(page, server, people["rr_blocked"])
    _open_resident(page, server, blocked_household["family_name"])
    page.get_by_role("link", name="証明書の交付").click()
    page.get_by_label("請求者の区分").select_option(label="第三者(第12条の3)")
    page.get_by_role("textbox", name="請求者", exact=True).fill("第三者(債権回収)")
    page.get_by_label("利用目的").fill("債権回収のため")
    page.get_by_role("button", name="内容を確認する").click()
    # Refused already at the confirmation step (the same check as issuance): no preview, no 発行 button.
    # The page also carries the 支援措置 banner (role=alert): look for the form's refusal among the alerts.
    expect(page.get_by_role("alert").filter(has_text="支援措置が設定されているため")).to_be_visible()
    expect(page.get_by_role("button", name="発行する")).to_have_count(0)
