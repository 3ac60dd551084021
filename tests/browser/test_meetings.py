"""ペーパーレス会議 in Chromium against gunicorn: a participant of 四万十町 opens a meeting organised in 中土佐町,
reads the agenda item's PDF (uploaded by the organiser on the page) in the browser's viewer and drafts the minutes;
the organiser confirms them, and they are read-only from then on. The meeting is committed before the browser
starts (gunicorn reads committed data)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection, connections
from playwright.sync_api import expect

from tests.browser.flows import BrowserPerson, Server, sign_in


@pytest.fixture(scope="module")
def meeting(django_db_setup: Any, django_db_blocker: Any, people: dict[str, BrowserPerson]) -> Iterator[Any]:
    from django_tenants.utils import schema_context

    from common.dates import TOKYO, local_today
    from groupware.meetings.documents import agenda_pdf
    from groupware.meetings.services import meetings
    from tenants.models import Person

    with django_db_blocker.unblock():
        organiser = Person.objects.get(username=people["mt_organiser"].username)
        member = Person.objects.get(username=people["mt_member"].username)
        starts = datetime.combine(local_today() + timedelta(days=1), time(14), tzinfo=TOKYO)
        with schema_context("nakatosa"):
            created = meetings.create_meeting(
                actor=organiser, title="ブラウザ会議 幹事会", starts_at=starts, ends_at=starts + timedelta(hours=2),
                place="中土佐町役場", participant_ids=[member.pk],
            )  # fmt: skip
            item = meetings.add_agenda_item(actor=organiser, meeting_id=created.pk, title="共同調達について")
            pdf = agenda_pdf(created, [item])
        connection.set_schema_to_public()
    try:
        yield {"meeting": created, "item": item, "pdf": pdf}
    finally:
        connections.close_all()


def test_a_participant_reads_the_pdf_and_the_organiser_confirms_the_minutes(
    new_page: Any, server: Server, people: dict[str, BrowserPerson], meeting: dict[str, Any]
) -> None:
    path = f"/groupware/meetings/{meeting['meeting'].pk}/"
    # The organiser uploads the agenda item's PDF on the page (the server keeps it in its own file storage).
    organiser = new_page()
    sign_in(organiser, server, people["mt_organiser"], "nakatosa")
    organiser.goto(server.url("nakatosa", path))
    organiser.get_by_label("会議資料(PDF、20MBまで)").set_input_files(
        files=[{"name": "共同調達.pdf", "mimeType": "application/pdf", "buffer": meeting["pdf"]}]
    )
    organiser.get_by_label("対象の議題").select_option(str(meeting["item"].pk))
    organiser.get_by_role("button", name="資料を登録する").click()
    expect(organiser.get_by_text("会議資料を登録しました。")).to_be_visible()

    member = new_page()
    sign_in(member, server, people["mt_member"], "shimanto")
    member.goto(server.url("shimanto", "/groupware/meetings/"))
    member.get_by_role("link", name="ブラウザ会議 幹事会").click()
    expect(member.locator("[data-agenda='1']")).to_contain_text("共同調達について")

    # The document page frames the PDF: the frame's load is the access-checked, audited, inline response.
    with member.expect_response(lambda response: response.url.endswith("/pdf/")) as loaded:
        member.get_by_role("link", name="共同調達.pdf").click()
    expect(member.locator("iframe.mt-viewer")).to_be_visible()
    pdf = loaded.value
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline")

    member.goto(server.url("shimanto", path))
    member.get_by_label("議事録(案)").fill("1 共同調達について\n  了承された。")
    member.get_by_role("button", name="案を作成する").click()
    expect(member.locator("[data-minutes-state='draft']")).to_contain_text("第1版(案)")

    organiser.goto(server.url("nakatosa", path))
    organiser.get_by_role("button", name="第1版を確定する").click()
    confirmed = organiser.locator("[data-minutes-version='1'][data-minutes-state='confirmed']")
    expect(confirmed).to_contain_text("了承された。")
    # Read-only from now on: the page offers no confirmation, only a correction as a new version.
    expect(organiser.get_by_role("button", name="第1版を確定する")).to_have_count(0)
    expect(organiser.get_by_role("button", name="訂正版の案を作成する")).to_be_visible()
