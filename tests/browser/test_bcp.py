"""Disaster banner and the dashboard's live progress bar (docs/bcp.md §6, §7), in Chromium against gunicorn.

The disaster and the running backup are committed before the browser starts (gunicorn reads committed data
only) and put away afterwards, so the other browser tests of this database never see the banner. The test
moves the backup along through a connection of its own, as a worker would.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection, connections
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.flows import BrowserPerson, Server, sign_in
from tests.support.processes import database_url


@pytest.fixture(scope="module")
def committed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    from bcp import disaster
    from bcp.models import Backup, Disaster
    from tenants.models import Municipality, Person

    title = f"ブラウザ試験の災害 {secrets.token_hex(3)}"
    with django_db_blocker.unblock():
        dsn = database_url(connection.settings_dict)
        nakatosa = Municipality.objects.get(schema_name="nakatosa")
        declared = disaster.declare_disaster(
            actor=Person.objects.get(username="it_admin"), municipality=nakatosa, title=title
        )
        # A night far in the future: unique, and no other test's night.
        night = date(2099, 1, 1) + timedelta(days=secrets.randbelow(3000))
        backup = Backup.objects.create(
            schema_name="nakatosa", scheduled_for=night, status="dumping", progress=40, started_at=timezone.now()
        )
        connection.set_schema_to_public()
    try:
        yield {"title": title, "backup": backup.pk, "dsn": dsn}
    finally:
        with django_db_blocker.unblock():
            if Disaster.objects.filter(pk=declared.pk, ended_at__isnull=True).exists():
                disaster.end_disaster(actor=Person.objects.get(username="it_admin"), disaster=declared)
            Backup.objects.filter(pk=backup.pk).delete()
            connection.set_schema_to_public()
            # Under Playwright's loop this ran on a connection of its own; left open, it would keep the test
            # database from being dropped (see tests/browser/conftest.py).
            connections.close_all()


def _update_backup(dsn: str, pk: int, **values: Any) -> None:
    columns = ", ".join(f"{name} = %s" for name in values)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"UPDATE bcp_backup SET {columns} WHERE id = %s", [*values.values(), pk])


def test_banner_on_the_town_in_disaster_and_not_on_the_other(
    new_page: Any, server: Server, committed: dict[str, Any]
) -> None:
    page = new_page()
    page.goto(server.url("nakatosa", "/accounts/login/"))
    banner = page.get_by_role("region", name="災害モード")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(committed["title"])

    other = new_page()
    other.goto(server.url("shimanto", "/accounts/login/"))
    expect(other.get_by_role("heading", level=1)).to_be_visible()
    expect(other.locator("[data-bcp-banner]")).to_have_count(0)


def test_live_progress_bar_follows_the_running_backup(
    new_page: Any, server: Server, people: Any, committed: dict[str, Any], screenshot_dir: Path
) -> None:
    person: BrowserPerson = people["bcp_admin"]
    page = new_page()
    sign_in(page, server, person, "nakatosa")
    page.goto(server.url("nakatosa", "/bcp/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("業務継続(BCP)ダッシュボード")
    expect(page.get_by_role("region", name="災害モード")).to_contain_text(committed["title"])

    job = page.locator(f"[data-job='backup-{committed['backup']}']")
    bar = job.locator("progress")
    expect(bar).to_have_attribute("value", "40")
    page.screenshot(path=str(screenshot_dir / "bcp-dashboard.png"), full_page=True)

    # The worker moves on; the page follows within a couple of polls (every 2 s), without a reload.
    _update_backup(committed["dsn"], committed["backup"], progress=75, status="uploading")
    expect(job.locator(".bcp-job__status")).to_contain_text("転送中 75%", timeout=8_000)
    assert bar.evaluate("el => el.value") == 75

    _update_backup(committed["dsn"], committed["backup"], progress=100, status="complete")
    expect(job.locator(".bcp-job__status")).to_contain_text("終了しました", timeout=8_000)
