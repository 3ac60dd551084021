"""The chat's pages and REST: posting from the page (and its refusals in Japanese), the polling fallback, the API's
stable codes, the vendor's view of the platform, and the auditors' streamed export (docs/domain/chat.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from groupware.chat import services
from groupware.chat.models import Channel, Message
from groupware.council import in_council
from tenants.access import MODULES
from tests.conftest import HOSTS, make_client


@pytest.fixture
def setup(new_person: Any) -> dict[str, Any]:
    clerk = new_person("cv_clerk", nakatosa="clerk")
    vendor = new_person("cv_vendor", council="vendor")
    admin = new_person("cv_admin", nakatosa="it_admin")
    auditor = new_person("cv_auditor", nakatosa="auditor")
    with schema_context("nakatosa"):
        project = services.create_channel(actor=clerk, kind="project", name="案件A", member_ids=[vendor.pk])
        town = services.create_channel(actor=admin, kind="town", name="町の連絡")
    return {
        "clerk": make_client(HOSTS["nakatosa"], clerk),
        "vendor": make_client(HOSTS["council"], vendor),
        "auditor": make_client(HOSTS["nakatosa"], auditor),
        "project": project,
        "town": town,
        "clerk_person": clerk,
    }


def _messages(channel: Channel) -> list[str]:
    with in_council():
        return list(Message.objects.filter(channel=channel).values_list("body", flat=True))


def test_a_message_posted_from_the_page_shows_on_the_channel(setup: dict[str, Any]) -> None:
    channel = setup["project"]
    response = setup["clerk"].post(f"/chat/{channel.pk}/post/", {"body": "資料を見てください"})
    assert response.status_code == 302
    page = setup["vendor"].get(f"/chat/{channel.pk}/")
    assert "資料を見てください" in page.content.decode()


def test_the_page_answers_json_to_the_script(setup: dict[str, Any]) -> None:
    channel = setup["project"]
    response = setup["clerk"].post(
        f"/chat/{channel.pk}/post/", {"body": "スクリプトから"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 201
    assert response.json()["body"] == "スクリプトから"


def test_a_refused_post_answers_json_in_japanese(setup: dict[str, Any]) -> None:
    channel = setup["project"]
    response = setup["clerk"].post(f"/chat/{channel.pk}/post/", {"body": ""}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["message"] == "本文を4000文字以内で入力してください。"


def test_a_vendor_posting_to_a_town_channel_gets_not_found_and_nothing_is_written(setup: dict[str, Any]) -> None:
    channel = setup["town"]
    response = setup["vendor"].post(f"/chat/{channel.pk}/post/", {"body": "侵入"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "channel_not_member"
    assert _messages(channel) == []


def test_the_api_refuses_a_non_member_with_a_stable_code(setup: dict[str, Any]) -> None:
    channel = setup["town"]
    response = setup["vendor"].post(
        f"/api/v1/chat/channels/{channel.pk}/messages/", {"body": "侵入"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "channel_not_member"


def test_the_api_posts_and_lists_with_read_receipts(setup: dict[str, Any]) -> None:
    channel = setup["project"]
    posted = setup["clerk"].post(
        f"/api/v1/chat/channels/{channel.pk}/messages/", {"body": "API から"}, content_type="application/json"
    )
    assert posted.status_code == 201
    setup["vendor"].post(f"/api/v1/chat/channels/{channel.pk}/read/", {}, content_type="application/json")
    listed = setup["clerk"].get(f"/api/v1/chat/channels/{channel.pk}/messages/").json()
    assert [(m["body"], m["read_count"]) for m in listed] == [("API から", 1)]


def test_an_oversized_attachment_is_refused_on_the_api(setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "MAX_FILE_BYTES", 5)
    channel = setup["project"]
    response = setup["clerk"].post(
        f"/api/v1/chat/channels/{channel.pk}/messages/",
        {"body": "添付", "files": [SimpleUploadedFile("big.bin", b"123456")]},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"
    assert _messages(channel) == []


def test_polling_returns_the_new_messages_and_the_read_marks(setup: dict[str, Any]) -> None:
    channel = setup["project"]
    first = services.post_message(actor=setup["clerk_person"], channel_id=channel.pk, body="一通目")
    services.post_message(actor=setup["clerk_person"], channel_id=channel.pk, body="二通目")
    data = setup["vendor"].get(f"/chat/{channel.pk}/messages.json", {"after": first.pk}).json()
    assert [m["body"] for m in data["messages"]] == ["二通目"]


def test_the_vendor_sees_only_the_chat_on_its_home_page(setup: dict[str, Any]) -> None:
    modules = [m.key for m in MODULES.values() if "vendor" in m.roles and m.url_name]
    assert modules == ["chat"]


def test_the_vendor_is_refused_the_groupware(setup: dict[str, Any]) -> None:
    assert setup["vendor"].get("/groupware/").status_code == 403


def test_the_auditor_streams_the_export_as_csv(setup: dict[str, Any]) -> None:
    services.post_message(actor=setup["clerk_person"], channel_id=setup["town"].pk, body="=1+1 監査対象")
    response = setup["auditor"].get("/api/v1/chat_export/messages/", {"format": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=1+1 監査対象" in body  # formula-safe cell


def test_the_auditor_streams_the_export_as_json(setup: dict[str, Any]) -> None:
    services.post_message(actor=setup["clerk_person"], channel_id=setup["town"].pk, body="監査対象")
    response = setup["auditor"].get("/api/v1/chat_export/messages/")
    rows = json.loads(b"".join(response.streaming_content))
    assert [r["body"] for r in rows if r["channel_id"] == setup["town"].pk] == ["監査対象"]


def test_a_clerk_cannot_export(setup: dict[str, Any]) -> None:
    assert setup["clerk"].get("/api/v1/chat_export/messages/").status_code == 403


def test_the_message_lists_run_as_many_statements_for_twenty_messages_as_for_two(setup: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    channel, author = setup["project"], setup["clerk_person"]
    paths = [f"/api/v1/chat/channels/{channel.pk}/messages/", f"/chat/{channel.pk}/messages.json"]

    def statements() -> list[int]:
        counts = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                assert setup["vendor"].get(path).status_code == 200
            counts.append(len(queries.captured_queries))
        return counts

    def post(n: int) -> None:
        files = [SimpleUploadedFile(f"{n}.txt", b"x")] if n % 3 == 0 else []
        first = services.post_message(actor=author, channel_id=channel.pk, body=f"{n}件目", files=files)
        services.post_message(actor=author, channel_id=channel.pk, body="返信", parent_id=first.pk)

    for n in range(2):
        post(n)
    statements()  # the session's first requests may write its activity stamp
    few = statements()
    for n in range(2, 20):
        post(n)
    assert statements() == few
