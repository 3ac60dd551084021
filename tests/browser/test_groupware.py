"""The groupware in Chromium against gunicorn: a clashing room booking refused, a request through an any/all
route approved by a proxy, and a notice's read receipts. The forms, facility, unit and notice are committed
before the browser starts (gunicorn reads committed data only)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from playwright.sync_api import expect

from tests.browser.flows import BrowserPerson, Server, sign_in


@pytest.fixture(scope="module")
def committed(
    django_db_setup: Any, django_db_blocker: Any, people: dict[str, BrowserPerson]
) -> Iterator[dict[str, Any]]:
    from django_tenants.utils import schema_context

    from common.dates import TOKYO, local_today
    from groupware.models import StepKind
    from groupware.services import bulletin, facilities, workflow
    from groupware.services.workflow import StepSpec
    from tenants.models import Person

    tag = secrets.token_hex(3)
    day = local_today() + timedelta(days=10 + secrets.randbelow(60))
    with django_db_blocker.unblock():
        person = {key: Person.objects.get(username=p.username) for key, p in people.items() if key.startswith("gw_")}
        with schema_context("nakatosa"):
            room = facilities.create_facility(
                actor=Person.objects.get(username="it_admin"), name=f"ブラウザ会議室 {tag}", kind="room"
            )
            facilities.book_facility(
                actor=person["gw_holder"], facility_id=room.pk, purpose="先約の会議",
                starts_at=datetime.combine(day, datetime.min.time(), tzinfo=TOKYO) + timedelta(hours=10),
                ends_at=datetime.combine(day, datetime.min.time(), tzinfo=TOKYO) + timedelta(hours=12),
            )  # fmt: skip
            form = workflow.define_form(
                actor=Person.objects.get(username="it_admin"), code=f"BR{tag}", name=f"物品購入申請 {tag}",
                fields=[{"name": "item", "label": "品名", "type": "text", "required": True}],
                steps=[StepSpec(StepKind.ANY, [person["gw_any"].pk, person["gw_holder"].pk]),
                       StepSpec(StepKind.ALL, [person["gw_all"].pk])],
            )  # fmt: skip
            workflow.delegate(
                actor=person["gw_all"], kind="approve", principal=person["gw_all"], proxy=person["gw_proxy"],
                valid_from=date(2020, 1, 1),
            )  # fmt: skip
            # A unit notice: its audience is the unit's people, so the receipts list exactly these.
            from tenants import organisation
            from tenants.models import Municipality, OrgUnitKind

            unit = organisation.create_unit(
                actor=None, municipality=Municipality.objects.get(schema_name="nakatosa"), code=f"B{tag}",
                name=f"ブラウザ係 {tag}", kind=OrgUnitKind.SECTION, valid_from=date(2020, 4, 1),
            )  # fmt: skip
            for key in ("gw_author", "gw_reader", "gw_unread"):
                organisation.post_person(actor=None, person=person[key], unit=unit, valid_from=date(2020, 4, 1))
            notice = bulletin.post_notice(
                actor=person["gw_author"], title=f"係内のお知らせ {tag}", body="必ず読んでください。",
                scope="unit", unit_code=unit.code,
            )  # fmt: skip
        connection.set_schema_to_public()
    try:
        yield {"room": room, "day": day, "form": form, "notice": notice}
    finally:
        connections.close_all()


def test_a_clashing_booking_is_refused_on_the_page(
    new_page: Any, server: Server, people: Any, committed: dict[str, Any], screenshot_dir: Path
) -> None:
    page = new_page()
    sign_in(page, server, people["gw_booker"], "nakatosa")
    day = committed["day"].isoformat()
    page.goto(server.url("nakatosa", f"/groupware/facilities/{committed['room'].pk}/book/?date={day}"))
    page.get_by_label("開始").fill(f"{day}T11:00")
    page.get_by_label("終了").fill(f"{day}T13:00")
    page.get_by_label("利用目的").fill("打合せ")
    page.get_by_role("button", name="予約する").click()
    expect(page.get_by_text("その時間帯は既に予約されています")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "groupware-clash.png"), full_page=True)

    page.get_by_label("開始").fill(f"{day}T12:00")
    page.get_by_label("終了").fill(f"{day}T13:00")
    page.get_by_role("button", name="予約する").click()
    expect(page.get_by_text("を予約しました(確定)")).to_be_visible()


def test_a_request_goes_through_any_then_all_with_a_proxy(
    new_page: Any, server: Server, people: Any, committed: dict[str, Any]
) -> None:
    applicant = new_page()
    sign_in(applicant, server, people["gw_applicant"], "nakatosa")
    applicant.goto(server.url("nakatosa", f"/groupware/requests/new/{committed['form'].pk}/"))
    applicant.get_by_label("件名").fill("トナー購入")
    applicant.get_by_label("品名").fill("トナーカートリッジ")
    applicant.get_by_role("button", name="申請する").click()
    expect(applicant.locator("[data-status]")).to_have_attribute("data-status", "in_progress")
    url = applicant.url

    approver = new_page()
    sign_in(approver, server, people["gw_any"], "nakatosa")
    approver.goto(url)
    approver.get_by_role("button", name="承認する").click()
    expect(approver.locator("[data-step='1']")).to_contain_text("完了")

    proxy = new_page()
    sign_in(proxy, server, people["gw_proxy"], "nakatosa")
    proxy.goto(server.url("nakatosa", "/groupware/requests/"))
    expect(proxy.get_by_text("トナー購入")).to_be_visible()  # in the proxy's inbox
    proxy.goto(url)
    proxy.get_by_role("button", name="承認する").click()
    expect(proxy.locator("[data-status]")).to_have_attribute("data-status", "approved")
    expect(proxy.get_by_text(f"{people['gw_all'].full_name}の代理")).to_be_visible()


def test_a_notice_shows_who_has_and_has_not_read_it(
    new_page: Any, server: Server, people: Any, committed: dict[str, Any], screenshot_dir: Path
) -> None:
    path = f"/groupware/notices/{committed['notice'].pk}/"
    reader = new_page()
    sign_in(reader, server, people["gw_reader"], "nakatosa")
    reader.goto(server.url("nakatosa", path))
    expect(reader.get_by_text("必ず読んでください。")).to_be_visible()
    expect(reader.locator("#receipts")).to_have_count(0)  # receipts are the author's

    author = new_page()
    sign_in(author, server, people["gw_author"], "nakatosa")
    author.goto(server.url("nakatosa", path))
    receipts = author.locator("#receipts")
    expect(receipts.locator(".gw-readers")).to_contain_text(people["gw_reader"].full_name)
    expect(receipts.locator(".gw-unreaders")).to_contain_text(people["gw_unread"].full_name)
    expect(receipts.locator(".gw-unreaders")).not_to_contain_text(people["gw_reader"].full_name)
    author.screenshot(path=str(screenshot_dir / "groupware-receipts.png"), full_page=True)
