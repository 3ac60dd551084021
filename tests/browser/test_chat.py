"""The business chat in two Chromium contexts against gunicorn's uvicorn workers: a town clerk and an invited
maintenance vendor (on the council's host) in one project channel; the clerk's message arrives live on the
vendor's page over the WebSocket, and the clerk sees it marked 「既読 1」 (docs/domain/chat.md §3–4). Signing out in
another tab stops an open channel page (the socket closed with 4401, §3.9)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from playwright.sync_api import expect

from tests.browser.flows import BrowserPerson, Server, sign_in


@pytest.fixture(scope="module")
def channel_id(django_db_setup: Any, django_db_blocker: Any, people: dict[str, BrowserPerson]) -> Iterator[int]:
    from django_tenants.utils import schema_context

    from groupware.chat import services
    from tenants.models import Person

    with django_db_blocker.unblock():
        sender = Person.objects.get(username=people["chat_sender"].username)
        vendor = Person.objects.get(username=people["chat_vendor"].username)
        with schema_context("nakatosa"):
            channel = services.create_channel(
                actor=sender,
                kind="project",
                name=f"庁舎ネットワーク更新 {secrets.token_hex(3)}",
                member_ids=[vendor.pk],
            )
        connection.set_schema_to_public()
    try:
        yield channel.pk
    finally:
        connections.close_all()


def test_a_message_arrives_live_and_is_marked_read(
    new_page: Any, server: Server, people: dict[str, BrowserPerson], channel_id: int, screenshot_dir: Path
) -> None:
    clerk = new_page()
    sign_in(clerk, server, people["chat_sender"], "nakatosa")
    vendor = new_page()
    sign_in(vendor, server, people["chat_vendor"], "council")

    vendor.goto(server.url("council", f"/chat/{channel_id}/"))
    expect(vendor.locator("#chat-status")).to_have_text("自動更新: リアルタイム")
    clerk.goto(server.url("nakatosa", f"/chat/{channel_id}/"))
    expect(clerk.locator("#chat-status")).to_have_text("自動更新: リアルタイム")

    room = f"https://meet.kyodo.example.jp/{secrets.token_hex(4)}"
    text = f"明日の作業は18時からお願いします {secrets.token_hex(2)} Web会議: {room}"
    clerk.get_by_role("textbox", name="メッセージ", exact=True).fill(text)
    clerk.get_by_role("button", name="送信", exact=True).click()

    arrived = vendor.locator(".chat-message", has_text=text)
    expect(arrived).to_be_visible()
    # A link in a message arrives as a link (chat.md §3.8), built by chat.js from text nodes.
    expect(arrived.locator(f'a[href="{room}"][rel="noopener noreferrer"]')).to_have_text(room)
    mine = clerk.locator(".chat-message", has_text=text)
    expect(mine.locator(".chat-read")).to_have_text("既読 1")
    expect(mine.locator(".chat-read")).to_have_attribute("title", people["chat_vendor"].full_name)
    clerk.screenshot(path=str(screenshot_dir / "chat-read.png"), full_page=True)


def test_a_vendor_reaches_no_other_module(new_page: Any, server: Server, people: dict[str, BrowserPerson]) -> None:
    page = new_page()
    # Its own vendor: the same person signing in twice within one TOTP step would reuse the code.
    sign_in(page, server, people["chat_vendor_only"], "council")
    tiles = page.locator(".tile__label")
    expect(tiles).to_have_count(1)
    expect(tiles).to_have_text("ビジネスチャット")
    response = page.goto(server.url("council", "/groupware/"))
    assert response is not None
    assert response.status == 403


@pytest.fixture(scope="module")
def leaver_channel_id(django_db_setup: Any, django_db_blocker: Any, people: dict[str, BrowserPerson]) -> Iterator[int]:
    from django_tenants.utils import schema_context

    from groupware.chat import services
    from tenants.models import Person

    with django_db_blocker.unblock():
        leaver = Person.objects.get(username=people["chat_leaver"].username)
        with schema_context("nakatosa"):
            channel = services.create_channel(actor=leaver, kind="project", name=f"退出確認 {secrets.token_hex(3)}")
        connection.set_schema_to_public()
    try:
        yield channel.pk
    finally:
        connections.close_all()


def test_signing_out_in_another_tab_stops_the_open_channel_page(
    new_page: Any, server: Server, people: dict[str, BrowserPerson], leaver_channel_id: int
) -> None:
    page = new_page()
    sign_in(page, server, people["chat_leaver"], "nakatosa")
    page.goto(server.url("nakatosa", f"/chat/{leaver_channel_id}/"))
    expect(page.locator("#chat-status")).to_have_text("自動更新: リアルタイム")

    other_tab = page.context.new_page()  # the same session
    other_tab.goto(server.url("nakatosa", "/accounts/logout/"))
    other_tab.get_by_role("button", name="ログアウト").click()

    expect(page.locator("#chat-status")).to_have_text(
        "ログインの有効期限が切れたため、更新を停止しました。再度ログインしてください。"
    )
    expect(page.get_by_role("button", name="送信", exact=True)).to_be_disabled()
