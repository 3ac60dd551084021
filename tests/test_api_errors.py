"""Every answer under /api/ is JSON in the API's error format; the schema says so, in Japanese and English
(docs/security.md, docs/security.md)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import override_settings

from tests.support.access import assert_error_shape

pytestmark = pytest.mark.django_db

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
ENGLISH = re.compile(r"[A-Za-z]{3,}( [A-Za-z]{2,})+")


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("path", ["/api/v1/koseki/", "/api/v1/nothing/", "/api/v1/resident_records/x/y/", "/api/v2/"])
def test_an_unknown_api_path_answers_json(client_for: Any, path: str, debug: bool) -> None:
    """With DEBUG on, Django's technical 404 page bypassed handler404 and answered HTML."""
    with override_settings(DEBUG=debug):
        response = client_for("tanaka", "nakatosa").get(path)
    data = assert_error_shape(response, 404, "not_found")
    assert data["message"] == "対象が見つかりません。"


def test_an_unknown_api_path_answers_json_to_anonymous_visitors_too(client: Any) -> None:
    response = client.get("/api/v1/koseki/", HTTP_HOST="nakatosa.localhost")
    assert_error_shape(response, 404, "not_found")


def test_an_unhandled_error_in_the_api_answers_json(client_for: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tenants import api

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "memberships_in_force", broken)
    client = client_for("tanaka", "nakatosa")
    client.raise_request_exception = False
    data = assert_error_shape(client.get("/api/v1/me/"), 500, "server_error")
    assert "boom" not in json.dumps(data)


def test_an_unknown_format_is_not_acceptable_rather_than_not_found(client_for: Any) -> None:
    response = client_for("auditor", "nakatosa").get("/api/v1/audit-events/", {"format": "xml"})
    assert_error_shape(response, 406, "not_acceptable")


def test_pages_outside_the_api_keep_the_html_404(client_for: Any) -> None:
    response = client_for("tanaka", "nakatosa").get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.fixture
def openapi(client_for: Any) -> dict[str, Any]:
    response = client_for("tanaka", "nakatosa").get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _operations(openapi: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{m.upper()} {p}", op) for p, ops in openapi["paths"].items() for m, op in ops.items()]


def test_every_operation_is_described_in_japanese_and_english(openapi: dict[str, Any]) -> None:
    for text in (openapi["info"]["description"],):
        assert JAPANESE.search(text)
        assert ENGLISH.search(text)
    for label, operation in _operations(openapi):
        for field in ("summary", "description"):
            text = operation.get(field, "")
            assert JAPANESE.search(text), (label, field, text)
            assert ENGLISH.search(text), (label, field, text)


def test_paginated_lists_are_described_as_pages(openapi: dict[str, Any]) -> None:
    """The list views paginate (count, next, previous, results); the schema said they return one object."""
    schemas = openapi["components"]["schemas"]
    paginated = {
        "/api/v1/audit-events/",
        "/api/v1/bcp/drills/",
        "/api/v1/koseki/issuances/",
        "/api/v1/koseki/notifications/",
        "/api/v1/resident_records/events/",
        "/api/v1/resident_records/issuances/",
        "/api/v1/resident_records/support-measures/attention/",
    }
    for path in paginated:
        ref = openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = schemas[ref.rsplit("/", 1)[1]]
        assert set(page["properties"]) == {"count", "next", "previous", "results"}, path
        assert page["properties"]["results"]["type"] == "array", path
        csv = openapi["paths"][path]["get"]["responses"]["200"]["content"].get("text/csv")
        if csv is not None:
            assert csv["schema"]["type"] == "string", path


def test_every_operation_documents_the_error_format_and_the_terminal_header(openapi: dict[str, Any]) -> None:
    for label, operation in _operations(openapi):
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert "X-Kyodo-Terminal" in headers, label
        for code in ("400", "401", "403"):
            content = operation["responses"][code]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/Error"}, (label, code)


def test_no_two_operations_share_a_summary(openapi: dict[str, Any]) -> None:
    """Each endpoint documents itself: the water_billing exports once all carried the ledger's summary (one shared
    function decorated by extend_schema for every endpoint)."""
    seen: dict[tuple[str, str], str] = {}
    for label, operation in _operations(openapi):
        key = (label.split(" ", 1)[0], operation.get("summary", ""))
        assert key not in seen, (label, seen.get(key))
        seen[key] = label
