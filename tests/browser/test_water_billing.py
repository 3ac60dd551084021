"""The water office's pages in a real browser: a 調定 run with its progress, a 口座振替 result import and a 督促.

The data each test starts from is committed in 中土佐町's schema with codes unique to the run (the server is
another process). There is no Celery worker here: the test plays the worker and runs the queued job itself
(common.jobs.run_job), while the page polls its progress.
"""

from __future__ import annotations

import secrets
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from common import jobs
from common.dates import local_today
from common.models import Job
from common.town_settings import record_setting, setting_in_force
from tests.browser.flows import BrowserPerson, Server, sign_in
from water_billing import rules, settings_keys
from water_billing.models import Bill, BillingRun, Connection, Period, ReadingGroup, Service, Tariff
from water_billing.services import collection, readings, runs
from water_billing.services.readings import ReadingInput
from water_billing.services.tariffs import record_tariff


def _tariff() -> None:
    if not Tariff.objects.filter(service=Service.WATER).exists():
        record_tariff(
            actor=None, service=Service.WATER, effective_from=date(2024, 4, 1),
            bases=[rules.Base(13, 500, 10), rules.Base(20, 680, 10)], tiers=[rules.Tier(11, None, 120)],
        )  # fmt: skip
    today = local_today()
    for key, value in [
        (settings_keys.DEBIT_REQUESTER_CODE, "1234567890"),
        (settings_keys.DEBIT_REQUESTER_NAME, "ﾅｶﾄｻﾁﾖｳｽｲﾄﾞｳ"),
        (settings_keys.DEBIT_BANK_CODE, "0175"),
        (settings_keys.DEBIT_BRANCH_CODE, "232"),
    ]:
        if not setting_in_force(key, on=today):
            record_setting(actor=None, key=key, value=value, effective_from=today)


def _period_with_readings(count: int, *, debit: bool = False, due_on: date | None = None) -> tuple[Period, list[str]]:
    token = secrets.token_hex(3)
    period = Period.objects.create(
        code=f"B{token}", group=ReadingGroup.ODD, starts_on=date(2026, 4, 1), ends_on=date(2026, 5, 31),
        read_on=date(2026, 5, 25), due_on=due_on or date(2026, 6, 25),
    )  # fmt: skip
    taps = []
    for n in range(count):
        account = {"bank_code": "0578", "branch_code": "032", "account_type": "1", "account_number": f"{n + 1:07d}",
                   "account_holder_kana": "ｽｲﾄﾞｳ ﾀﾛｳ"} if debit else {}  # fmt: skip
        conn = Connection.objects.create(
            tap_number=f"B{token}{n:03d}", address=f"高知県高岡郡中土佐町久礼{n}番地", district=f"試験{token}",
            diameter_mm=13, meter_serial=f"M{n}", meter_installed_on=date(2022, 4, 1), user_name=f"水道 太郎{n}",
            opened_on=date(2020, 1, 1), **account,
        )  # fmt: skip
        readings.record_reading(
            actor=None, connection=conn, period=period, data=ReadingInput(value=20 + n, read_on=period.read_on)
        )
        taps.append(conn.tap_number)
    return period, taps


@pytest.fixture(scope="module")
def committed(django_db_setup: Any, django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        with schema_context("nakatosa"):
            _tariff()
            run_period, _ = _period_with_readings(5)
            debit_period, _ = _period_with_readings(3, debit=True)
            run = runs.confirm_run(actor=None, run=runs.execute_run(run=BillingRun.objects.create(period=debit_period)))
            request = collection.build_debit_request(actor=None, period=debit_period, debit_on=date(2026, 6, 26))
            overdue_period, overdue_taps = _period_with_readings(2, due_on=local_today() - timedelta(days=5))
            runs.confirm_run(actor=None, run=runs.execute_run(run=BillingRun.objects.create(period=overdue_period)))
            plan_total = Bill.objects.get(connection__tap_number=overdue_taps[1]).total
        connection.set_schema_to_public()
    return {"run_period": run_period, "debit_request": request.data, "debit_run": run, "overdue_tap": overdue_taps[0],
            "plan_tap": overdue_taps[1], "plan_total": plan_total}  # fmt: skip


def _work(period: Period) -> None:
    """The worker: runs the run's queued job on a connection of its own (a thread), so that it commits outside
    this test's transaction and the server sees the bills."""
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with schema_context("nakatosa"):
                run = BillingRun.objects.get(period=period)
                jobs.run_job(Job.objects.get(public_id=run.job_id).pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    assert not errors, errors


def _result_file(request: bytes, codes: list[str]) -> bytes:
    """The bank's answer: result codes at byte 112 and the trailer's 振替済 / 振替不能 totals."""
    records = [bytearray(line) for line in request.split(b"\r\n") if line]
    done = failed = done_amount = failed_amount = 0
    for record, code in zip(records[1:-2], codes, strict=True):
        record[111:112] = code.encode()
        amount = int(record[80:90])
        if code == "0":
            done, done_amount = done + 1, done_amount + amount
        else:
            failed, failed_amount = failed + 1, failed_amount + amount
    records[-2][19:55] = f"{done:06d}{done_amount:012d}{failed:06d}{failed_amount:012d}".encode()
    return b"".join(bytes(r) + b"\r\n" for r in records)


def test_a_billing_run_with_its_progress(
    new_page: Any, server: Server, people: Any, committed: dict[str, Any], django_db_blocker: Any,
    screenshot_dir: Path,
) -> None:  # fmt: skip
    person: BrowserPerson = people["wb_run"]
    page = new_page()
    sign_in(page, server, person, "nakatosa")
    page.goto(server.url("nakatosa", "/water_billing/runs/"))
    page.get_by_label("料金期").select_option(committed["run_period"].code)
    page.get_by_role("button", name="調定を実行する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("調定処理")
    expect(page.locator("progress")).to_be_visible()

    with django_db_blocker.unblock():
        _work(committed["run_period"])

    # The page polls the job, then shows the summary checked against the bills.
    expect(page.get_by_role("status")).to_contain_text("集計と請求の合計は一致しています", timeout=10_000)
    expect(page.locator("[data-run-total]")).not_to_have_text("0円")
    page.screenshot(path=str(screenshot_dir / "water-run.png"), full_page=True)
    page.get_by_role("button", name="調定を確定する").click()
    expect(page.locator("[data-job-state]")).to_have_text("調定済み")


def test_a_direct_debit_result_import(
    new_page: Any, server: Server, people: Any, committed: dict[str, Any], tmp_path: Path
) -> None:
    person: BrowserPerson = people["wb_debit"]
    page = new_page()
    sign_in(page, server, person, "nakatosa")
    page.goto(server.url("nakatosa", "/water_billing/debit/"))
    result = tmp_path / "result.dat"
    result.write_bytes(_result_file(committed["debit_request"], ["0", "1", "0"]))
    section = page.locator("section", has=page.get_by_role("heading", name="振替結果ファイルの取込"))
    section.get_by_label("引落日").fill("令和8年6月26日")
    section.get_by_label("振替結果ファイル").set_input_files(str(result))
    section.get_by_role("button", name="取り込む").click()
    expect(page.get_by_role("status")).to_contain_text("振替済 2件")
    expect(page.get_by_role("status")).to_contain_text("資金不足 1件")

    # The same file again is refused, and says so.
    section = page.locator("section", has=page.get_by_role("heading", name="振替結果ファイルの取込"))
    section.get_by_label("引落日").fill("令和8年6月26日")
    section.get_by_label("振替結果ファイル").set_input_files(str(result))
    section.get_by_role("button", name="取り込む").click()
    expect(page.get_by_text("既に取り込まれています")).to_be_visible()


def test_a_dunning_notice(new_page: Any, server: Server, people: Any, committed: dict[str, Any]) -> None:
    person: BrowserPerson = people["wb_dunning"]
    page = new_page()
    sign_in(page, server, person, "nakatosa")
    page.goto(server.url("nakatosa", "/water_billing/arrears/"))
    page.get_by_label("利用目的").fill("滞納整理")
    page.get_by_role("button", name="表示する").click()
    row = page.get_by_role("row", name=committed["overdue_tap"])
    expect(row).to_contain_text("督促状")
    with page.expect_download() as download:
        row.get_by_role("button", name="督促状を行う").click()
    assert download.value.suggested_filename.startswith("notice-")
    page.goto(server.url("nakatosa", "/water_billing/arrears/"))
    expect(page.get_by_role("row", name=committed["overdue_tap"])).to_contain_text("催告書")


def test_an_instalment_plan_from_the_arrears_list(
    new_page: Any, server: Server, people: Any, committed: dict[str, Any]
) -> None:
    person: BrowserPerson = people["wb_plan"]
    page = new_page()
    sign_in(page, server, person, "nakatosa")
    page.goto(server.url("nakatosa", "/water_billing/arrears/"))
    page.get_by_label("利用目的").fill("滞納整理")
    page.get_by_role("button", name="表示する").click()
    page.get_by_role("row", name=committed["plan_tap"]).get_by_role("link", name="分納の相談を記録").click()
    today = local_today()
    half = committed["plan_total"] // 2
    page.get_by_label("誓約日").fill(today.isoformat())
    page.get_by_label("納付計画(1行に1回: 納付日,金額)").fill(
        f"{today + timedelta(days=30)},{half}\n{today + timedelta(days=60)},{committed['plan_total'] - half}"
    )
    page.get_by_role("button", name="登録する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(committed["plan_tap"])
    page.goto(server.url("nakatosa", "/water_billing/arrears/"))
    expect(page.get_by_role("row", name=committed["plan_tap"])).to_contain_text("分納履行中")
