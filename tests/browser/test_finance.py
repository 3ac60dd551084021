"""財務会計 in a real browser: a commitment through 検収, 支出命令, 審査 and 支払 (five people, five sessions), a
commitment refused above the 節's remaining budget (shown while typing and by the service), and a 流用.

The budget is committed in a 会計 of its own (a 特別会計 with a code unique to the run) because the server is
another process; the tests then only drive the browser.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from common.dates import local_today
from finance import rules, services
from finance.models import Account, BudgetLine, Side, Vendor, VendorKind
from tenants.models import Person
from tests.browser.flows import BrowserPerson, Server, sign_in


@pytest.fixture(scope="module")
def budget(django_db_setup: Any, django_db_blocker: Any, people: dict[str, BrowserPerson]) -> dict[str, Any]:
    token = secrets.token_hex(2)
    with django_db_blocker.unblock(), schema_context("nakatosa"):
        officer = Person.objects.get(username=people["fin_officer"].username)
        clerk = Person.objects.get(username=people["fin_clerk"].username)
        used = set(Account.objects.values_list("code", flat=True))
        code = next(f"{n:02d}" for n in range(99, 10, -1) if f"{n:02d}" not in used)
        services.open_account(actor=officer, code=code, name=f"試験特別会計{token}")
        year = services.open_fiscal_year(actor=officer, year=rules.fiscal_year_of(local_today()), account_code=code)
        for subject_code, name in [("02", "総務費"), ("02-01", "総務管理費"), ("02-01-02", f"文書広報費{token}")]:
            services.add_subject(actor=officer, year=year, side=Side.EXPENDITURE, code=subject_code, name=name)
        moku = year.subjects.get(code="02-01-02")
        lines: dict[str, BudgetLine] = {
            setsu: services.add_budget_line(actor=officer, moku=moku, setsu=setsu) for setsu in ("10", "11", "12")
        }
        services.enact_budget(
            actor=officer, year=year, number=0, decided_on=local_today(),
            amounts={lines["10"]: 1_000_000, lines["11"]: 200_000, lines["12"]: 300_000},
        )  # fmt: skip
        vendor = services.register_vendor(
            actor=clerk, kind=VendorKind.CORPORATION, name=f"株式会社土佐文具{token}", name_kana="ｶ)ﾄｻﾌﾞﾝｸﾞ",
            bank_code="0001", branch_code="001", account_type="1", account_number="1234567",
        )  # fmt: skip
        connection.set_schema_to_public()
    return {"lines": lines, "vendor": vendor, "token": token}


def _today() -> str:
    return f"{local_today():%Y-%m-%d}"


def test_a_commitment_through_to_payment(new_page: Any, server: Server, people: Any, budget: dict[str, Any]) -> None:
    line: BudgetLine = budget["lines"]["10"]
    vendor: Vendor = budget["vendor"]
    clerk = new_page()
    sign_in(clerk, server, people["fin_clerk"])
    clerk.goto(server.url("nakatosa", "/finance/entry/"))
    clerk.get_by_label("負担行為日").fill(_today())
    clerk.get_by_label("科目(目・節)").select_option(str(line.pk))
    expect(clerk.locator("#balance")).to_contain_text("予算残額 1,000,000円")
    clerk.get_by_label("債権者(登録済み)").select_option(str(vendor.pk))
    clerk.get_by_label("金額(円)").fill("120000")
    expect(clerk.locator("#balance")).to_contain_text("入力後の残額 880,000円")
    clerk.get_by_label("件名・目的").fill("コピー用紙の購入")
    clerk.get_by_role("button", name="登録する").click()
    expect(clerk.get_by_role("heading", level=1)).to_contain_text("支出負担行為 C")
    commitment_url = clerk.url
    expect(clerk.locator("#status")).to_have_text("負担行為済")

    inspector = new_page()
    sign_in(inspector, server, people["fin_inspector"])
    inspector.goto(commitment_url)
    inspector.get_by_role("button", name="検収する").click()
    expect(inspector.locator("#status")).to_have_text("検収済")

    orderer = new_page()
    sign_in(orderer, server, people["fin_orderer"])
    orderer.goto(commitment_url)
    orderer.get_by_role("button", name="支出命令する").click()
    expect(orderer.locator("#status")).to_have_text("支出命令済")

    accountant = new_page()
    sign_in(accountant, server, people["fin_accountant"])
    accountant.goto(server.url("nakatosa", "/finance/inbox/"))
    row = accountant.locator("form.fin-row").filter(has_text="コピー用紙の購入").first
    row.locator("select[name=decision]").select_option("approve")
    row.get_by_role("button", name="審査する").click()
    expect(accountant.get_by_role("heading", name="承認待ち")).to_be_visible()

    cashier = new_page()
    sign_in(cashier, server, people["fin_cashier"])
    cashier.goto(server.url("nakatosa", "/finance/inbox/"))
    for box in cashier.locator("input[name=order]").all():
        box.uncheck()
    cashier.locator("li", has_text=vendor.name).locator("input[name=order]").check()
    with cashier.expect_download() as download:
        cashier.get_by_role("button", name="支払う").click()
    assert download.value.suggested_filename.startswith("sogo-furikomi-")
    cashier.goto(commitment_url)
    expect(cashier.locator("#status")).to_have_text("支出済")


def test_an_over_budget_commitment_is_refused(page: Any, server: Server, people: Any, budget: dict[str, Any]) -> None:
    line: BudgetLine = budget["lines"]["11"]
    sign_in(page, server, people["fin_over"])
    page.goto(server.url("nakatosa", "/finance/entry/"))
    page.get_by_label("負担行為日").fill(_today())
    page.get_by_label("科目(目・節)").select_option(str(line.pk))
    page.get_by_label("債権者名(未登録の場合)").fill("土佐印刷")
    page.get_by_label("金額(円)").fill("200001")
    expect(page.locator("#balance")).to_contain_text("予算残額を超えています")
    page.get_by_label("件名・目的").fill("ポスター印刷")
    page.get_by_role("button", name="登録する").click()
    expect(page.locator(".errorlist")).to_contain_text("予算現額 200,000円")
    expect(page.get_by_role("heading", level=1)).to_have_text("伝票入力(支出負担行為)")


def test_a_transfer_inside_one_kou(page: Any, server: Server, people: Any, budget: dict[str, Any]) -> None:
    source: BudgetLine = budget["lines"]["10"]
    target: BudgetLine = budget["lines"]["12"]
    sign_in(page, server, people["fin_officer"])
    page.goto(server.url("nakatosa", "/finance/transfer/"))
    page.get_by_label("流用元(目・節)").select_option(str(source.pk))
    page.get_by_label("流用先(目・節)").select_option(str(target.pk))
    page.get_by_label("金額(円)").fill("50,000")
    page.get_by_label("流用日").fill(_today())
    page.get_by_label("理由").fill("委託料の不足")
    page.get_by_role("button", name="流用する").click()
    expect(page.get_by_role("status")).to_contain_text("50,000円 を流用しました")
    page.goto(server.url("nakatosa", f"/finance/ledger/{target.pk}/"))
    expect(page.locator("table")).to_contain_text("350,000")
