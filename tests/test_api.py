"""The REST API: /api/v1/me/, tokens, the audit trail (JSON and CSV), the schema, errors and throttling."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml
from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.throttling import SimpleRateThrottle

from common import audit
from common.models import AuditEvent
from common.serializers import AUDIT_CSV_HEADER
from tenants import services
from tenants.models import ApiToken, Municipality, Person
from tests.conftest import HOSTS, make_client
from tests.support.access import assert_error_shape, audit_position, audit_since, body

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
EVENTS = "/api/v1/audit-events/"


def _token(username: str, schema: str, **kwargs: Any) -> tuple[ApiToken, str]:
    with schema_context(schema):
        return services.issue_api_token(
            actor=Person.objects.get(username=username),
            municipality=Municipality.objects.get(schema_name=schema),
            name=kwargs.pop("name", "テスト"),
            **kwargs,
        )


def _bearer(schema: str, raw: str) -> Client:
    return Client(HTTP_HOST=HOSTS[schema], HTTP_AUTHORIZATION=f"Bearer {raw}")


def _count(schema: str) -> int:
    with schema_context(schema):
        return AuditEvent.objects.count()


# --- /api/v1/me/ ----------------------------------------------------------------------------------------

ME_FIELDS = {"username", "full_name", "municipality", "roles", "modules", "memberships", "two_factor_verified", "auth"}


def test_me_with_a_verified_session(client_for: Any) -> None:
    response = client_for("auditor", "nakatosa").get("/api/v1/me/")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == ME_FIELDS
    assert data["username"] == "auditor"
    assert data["municipality"] == "中土佐町"
    assert data["roles"] == ["auditor"]
    assert data["modules"] == [
        {"key": "audit", "label": "監査ログ"},
        {"key": "resident_records", "label": "住民記録"},
        {"key": "koseki", "label": "戸籍"},
        {"key": "water_billing", "label": "水道料金"},
        {"key": "finance", "label": "財務会計"},
        {"key": "bcp", "label": "業務継続(BCP)"},
        {"key": "payroll", "label": "人事給与"},
        {"key": "payslips", "label": "給与明細"},
        {"key": "hq", "label": "災害対策本部"},
        {"key": "groupware", "label": "グループウェア"},
        {"key": "chat", "label": "ビジネスチャット"},
        {"key": "chat_export", "label": "チャットのエクスポート"},
    ]
    assert [(m["schema"], m["role"]) for m in data["memberships"]] == [("nakatosa", "auditor"), ("shimanto", "auditor")]
    assert set(data["memberships"][0]) == {
        "municipality", "schema", "role", "role_label", "section", "valid_from", "valid_to",
    }  # fmt: skip
    assert data["auth"] == "session"
    assert data["two_factor_verified"] is True


def test_me_with_a_token(towns: dict[str, Municipality]) -> None:
    _, raw = _token("it_admin", "shimanto")
    data = _bearer("shimanto", raw).get("/api/v1/me/").json()
    assert data["username"] == "it_admin"
    assert data["municipality"] == "四万十町"
    assert data["roles"] == ["it_admin"]
    assert {m["key"] for m in data["modules"]} == {
        "audit", "bcp", "payslips", "hq", "website", "admin", "groupware", "chat", "directory",
    }  # fmt: skip
    assert data["auth"] == "token"
    assert data["two_factor_verified"] is True


# --- Tokens ---------------------------------------------------------------------------------------------


def test_verified_session_issues_a_token_shown_once(client_for: Any) -> None:
    client = client_for("auditor", "nakatosa")
    position = audit_position("nakatosa")
    response = client.post(
        "/api/v1/tokens/", {"name": "令和8年度 定期監査", "days": 365}, content_type="application/json"
    )
    assert response.status_code == 201
    data = response.json()
    raw = data["token"]
    assert raw.startswith(ApiToken.PREFIX)
    assert data["key_prefix"] == raw[:12]

    stored = ApiToken.objects.get(pk=data["id"])
    assert stored.key_digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.key_prefix, stored.key_digest, stored.name}
    # 365 days were asked for; the council's maximum applies.
    lifetime = stored.expires_at - stored.created_at
    assert abs(lifetime - timedelta(days=settings.KYODO_API_TOKEN_TTL_DAYS)) < timedelta(minutes=1)

    listing = client.get("/api/v1/tokens/")
    assert listing.status_code == 200
    assert raw not in body(listing)
    assert all("token" not in item for item in listing.json())
    assert [e.action for e in audit_since("nakatosa", position)] == ["api_token.issue"]
    assert _bearer("nakatosa", raw).get("/api/v1/me/").json()["auth"] == "token"


def test_unverified_session_cannot_issue_a_token(client_for: Any) -> None:
    before = ApiToken.objects.count()
    response = client_for("auditor", "nakatosa", verified=False).post(
        "/api/v1/tokens/", {"name": "x"}, content_type="application/json"
    )
    assert_error_shape(response, 401, "otp_required")
    assert ApiToken.objects.count() == before


def test_a_token_cannot_mint_tokens() -> None:
    _, raw = _token("auditor", "nakatosa")
    before = ApiToken.objects.count()
    response = _bearer("nakatosa", raw).post("/api/v1/tokens/", {"name": "x"}, content_type="application/json")
    assert_error_shape(response, 403, "otp_required")
    assert ApiToken.objects.count() == before


def test_token_input_is_validated(client_for: Any) -> None:
    response = client_for("auditor", "nakatosa").post("/api/v1/tokens/", {"days": 0}, content_type="application/json")
    data = assert_error_shape(response, 400, "validation_error")
    assert set(data["details"]) == {"name", "days"}


def test_expired_token_is_invalid() -> None:
    token, raw = _token("auditor", "nakatosa", days=1)
    assert _bearer("nakatosa", raw).get("/api/v1/me/").status_code == 200
    with time_machine.travel(token.expires_at + timedelta(seconds=1)):
        assert_error_shape(_bearer("nakatosa", raw).get("/api/v1/me/"), 401, "invalid_token")


def test_revoked_token_is_invalid() -> None:
    token, raw = _token("auditor", "nakatosa")
    with schema_context("nakatosa"):
        services.revoke_api_token(actor=token.person, token=token)
    response = _bearer("nakatosa", raw).get(EVENTS)
    data = assert_error_shape(response, 401, "invalid_token")
    assert data["message"] == "APIトークンが無効か、期限切れです。"
    assert response["WWW-Authenticate"] == "Bearer"


def test_malformed_authorization_header_is_refused() -> None:
    response = Client(HTTP_HOST=HOSTS["nakatosa"]).get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer a b")
    assert_error_shape(response, 401, "invalid_token")


def test_token_use_updates_last_used_at() -> None:
    token, raw = _token("auditor", "nakatosa")
    assert token.last_used_at is None
    moment = datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO)
    with time_machine.travel(moment, tick=False):
        assert _bearer("nakatosa", raw).get("/api/v1/me/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == moment


# --- The audit trail ------------------------------------------------------------------------------------


@pytest.fixture
def dated_events() -> dict[str, AuditEvent]:
    """Three rows on consecutive days in 中土佐町's trail (after every existing row, so the chain stays ordered)."""
    tanaka, yamamoto = Person.objects.get(username="tanaka"), Person.objects.get(username="yamamoto")
    rows = {}
    with schema_context("nakatosa"):
        for day, actor, action in [
            (10, tanaka, "auth.login"),
            (11, yamamoto, "auth.otp_failed"),
            (12, tanaka, "test.other"),
        ]:
            with time_machine.travel(datetime(2030, 1, day, 12, 0, tzinfo=TOKYO), tick=False):
                rows[action] = audit.record(actor=actor, action=action)
    return rows


def _actions(response: Any) -> list[str]:
    assert response.status_code == 200, body(response)[:300]
    return [row["action"] for row in response.json()["results"]]


def test_auditor_gets_the_paginated_trail(client_for: Any) -> None:
    client = client_for("auditor", "nakatosa")
    data = client.get(EVENTS).json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == _count("nakatosa")
    assert {row["trail"] for row in data["results"]} == {"nakatosa"}
    assert data["results"][0]["action"] == "audit.list", "reading the trail is itself recorded, newest first"
    seqs = [row["seq"] for row in data["results"]]
    assert seqs == sorted(seqs, reverse=True)


def test_pages_follow_next_links(client_for: Any, dated_events: dict[str, AuditEvent]) -> None:
    client = client_for("auditor", "nakatosa")
    # A fixed window: every read adds an "audit.list" row of today, outside it.
    first = client.get(EVENTS, {"page_size": 1, "since": "2030-01-10"}).json()
    assert first["count"] == 3
    assert first["previous"] is None
    assert [r["action"] for r in first["results"]] == ["test.other"]
    second = client.get(first["next"]).json()
    assert second["previous"]
    assert [r["action"] for r in second["results"]] == ["auth.otp_failed"]
    third = client.get(second["next"]).json()
    assert third["next"] is None
    assert [r["action"] for r in third["results"]] == ["auth.login"]


def test_filters_by_period_actor_and_action(client_for: Any, dated_events: dict[str, AuditEvent]) -> None:
    client = client_for("auditor", "nakatosa")
    assert _actions(client.get(EVENTS, {"since": "2030-01-11", "until": "2030-01-11"})) == ["auth.otp_failed"]
    assert _actions(client.get(EVENTS, {"since": "2030-01-10", "until": "2030-01-11"})) == [
        "auth.otp_failed",
        "auth.login",
    ]
    assert _actions(client.get(EVENTS, {"since": "2030-01-12T00:00:00+09:00"})) == ["test.other"]
    assert _actions(client.get(EVENTS, {"since": "2030-01-10", "actor": "tanaka"})) == ["test.other", "auth.login"]
    assert _actions(client.get(EVENTS, {"since": "2030-01-10", "action": "auth.login"})) == ["auth.login"]
    assert _actions(client.get(EVENTS, {"since": "2030-01-10", "action": "auth.*"})) == [
        "auth.otp_failed",
        "auth.login",
    ]
    assert _actions(client.get(EVENTS, {"since": "2030-01-10", "action": "auth"})) == [], "exact unless '*'"


def test_filters_by_person_listed_in_a_household_row(client_for: Any) -> None:
    """docs/audit.md «One row per view»: ?person=<宛名番号> finds the reads whose row listed that person."""
    with schema_context("nakatosa"):
        audit.record(
            actor=None,
            action="resident.view",
            obj=("resident_records.Household", "1", "世帯 1"),
            purpose="照会",
            personal_data=True,
            details={"persons": ["90000000001", "90000000002"]},
        )
    client = client_for("auditor", "nakatosa")
    listed = client.get(EVENTS, {"person": "90000000002"}).json()["results"]
    assert [row["details"]["persons"] for row in listed] == [["90000000001", "90000000002"]]
    assert client.get(EVENTS, {"person": "90000000003"}).json()["results"] == []
    page = client.get("/audit/", {"person": "90000000002"}).content.decode()
    assert "世帯 1" in page
    assert "世帯 1" not in client.get("/audit/", {"person": "90000000003"}).content.decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-13-45"}, "since"),
        ({"until": "昨日"}, "until"),
        ({"since": "2026-05-02", "until": "2026-05-01"}, "until"),
        ({"trail": "everything"}, "trail"),
    ],
)
def test_bad_filters_are_a_validation_error(params: dict[str, str], field: str, client_for: Any) -> None:
    position = audit_position("nakatosa")
    data = assert_error_shape(client_for("auditor", "nakatosa").get(EVENTS, params), 400, "validation_error")
    assert field in data["details"], data
    assert audit_since("nakatosa", position) == [], "a refused query reads nothing and records nothing"


def test_csv_export_streams_only_this_towns_rows(client_for: Any, dated_events: dict[str, AuditEvent]) -> None:
    with schema_context("shimanto"):
        foreign = audit.record(actor=None, action="test.shimanto_only")
    for schema, row in (("shimanto", foreign), ("nakatosa", dated_events["auth.login"])):
        audit.chain_pending(schema)  # the hashes are the sequencer's, right after the commit
        with schema_context(schema):
            row.refresh_from_db()
    position = audit_position("nakatosa")
    response = client_for("auditor", "nakatosa").get(EVENTS, {"format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="audit-nakatosa-town.csv"'
    text = body(response)
    assert text.startswith("\ufeff" + ",".join(AUDIT_CSV_HEADER) + "\r\n")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
    assert len(rows) == _count("nakatosa")
    hashes = {row[-1] for row in rows}
    assert dated_events["auth.login"].row_hash in hashes
    assert foreign.row_hash not in hashes
    assert "test.shimanto_only" not in text
    assert [e.action for e in audit_since("nakatosa", position)] == ["audit.export"]


def test_csv_export_honours_the_filters(client_for: Any, dated_events: dict[str, AuditEvent]) -> None:
    response = client_for("auditor", "nakatosa").get(EVENTS, {"format": "csv", "since": "2030-01-11"})
    rows = list(csv.reader(io.StringIO(body(response).lstrip("\ufeff"))))
    assert [row[AUDIT_CSV_HEADER.index("action")] for row in rows[1:]] == ["test.other", "auth.otp_failed"]


def test_reading_the_trail_is_recorded(client_for: Any) -> None:
    position = audit_position("nakatosa")
    client_for("auditor", "nakatosa").get(EVENTS, {"action": "auth.*"})
    rows = audit_since("nakatosa", position)
    assert [(e.action, e.actor_username, e.channel) for e in rows] == [("audit.list", "auditor", "api")]
    assert rows[0].details == {"action": "auth.*", "trail": "town"}


def test_council_trail_only_on_the_council_host(client_for: Any) -> None:
    council = client_for("it_admin", "council").get(EVENTS, {"trail": "council"})
    assert council.status_code == 200
    assert {row["trail"] for row in council.json()["results"]} == {"public"}
    assert "membership.grant" in {row["action"] for row in council.json()["results"]}

    position = audit_position("nakatosa")
    data = assert_error_shape(
        client_for("it_admin", "nakatosa").get(EVENTS, {"trail": "council"}), 403, "permission_denied"
    )
    assert data["message"] == "協議会の監査ログは協議会のアドレスからのみ参照できます。"
    assert audit_since("nakatosa", position) == []


def test_clerk_is_refused_the_trail(client_for: Any) -> None:
    position = audit_position("nakatosa")
    for params in ({}, {"format": "csv"}):
        data = assert_error_shape(client_for("tanaka", "nakatosa").get(EVENTS, params), 403, "permission_denied")
        assert data["message"] == "この自治体でこの機能を利用する権限がありません。"
    assert audit_since("nakatosa", position) == []


def test_audit_list_query_count_does_not_grow_with_rows(client_for: Any, django_assert_max_num_queries: Any) -> None:
    client = client_for("auditor", "nakatosa")
    client.get(EVENTS)  # first request warms per-process caches (content types, sites)
    with CaptureQueriesContext(connection) as few_rows:
        small = client.get(EVENTS)
    assert small.json()["count"] < 50
    with schema_context("nakatosa"):
        for n in range(60):
            audit.record(actor=None, action=f"bulk.{n}", details={"n": n})
    with django_assert_max_num_queries(len(few_rows)):
        response = client.get(EVENTS)
    assert len(response.json()["results"]) == settings.REST_FRAMEWORK["PAGE_SIZE"]


# --- Schema and docs ------------------------------------------------------------------------------------


def test_openapi_schema_lists_the_endpoints(client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    as_json = client.get("/api/v1/schema/", {"format": "json"})
    assert as_json.status_code == 200
    schema = json.loads(as_json.content)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/me/", "/api/v1/audit-events/", "/api/v1/tokens/"} <= set(schema["paths"])
    assert schema["paths"]["/api/v1/audit-events/"]["get"]["parameters"]

    as_yaml = yaml.safe_load(client.get("/api/v1/schema/").content)
    assert set(as_yaml["paths"]) == set(schema["paths"])


def test_docs_page_loads_for_a_member(client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert "swagger-ui" in body(response)
    # The page's script (served separately for the Content-Security-Policy) loads our schema.
    script = client.get("/api/v1/docs/", {"script": ""})
    assert script.status_code == 200
    assert "/api/v1/schema/" in body(script)


# --- Errors ---------------------------------------------------------------------------------------------


def test_unknown_api_path_answers_json_404(client_for: Any) -> None:
    for client in (client_for("tanaka", "nakatosa"), Client(HTTP_HOST=HOSTS["nakatosa"])):
        data = assert_error_shape(client.get("/api/v1/no-such-endpoint/"), 404, "not_found")
        assert data["message"] == "対象が見つかりません。"
    page = client_for("tanaka", "nakatosa").get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
    assert "ページが見つかりません" in body(page)


def test_unsupported_method_is_a_json_405(client_for: Any) -> None:
    assert_error_shape(client_for("tanaka", "nakatosa").delete("/api/v1/me/"), 405, "method_not_allowed")


# --- Throttling -----------------------------------------------------------------------------------------


@pytest.fixture
def tiny_rate(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    rates = {"user": "3/min", "anon": "3/min"}
    # The real Redis cache with the schema-aware key function, under a prefix of its own: concurrent test
    # runs (whose people may share primary keys) never count each other's requests.
    params = {**settings.CACHES["default"], "KEY_PREFIX": f"throttle-test-{uuid.uuid4().hex}"}
    throttle_cache = RedisCache(params.pop("LOCATION"), params)
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
        # Throttle classes read their rates (and cache) once, at import; point them at ours.
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
        monkeypatch.setattr(SimpleRateThrottle, "cache", throttle_cache)
        yield 3


def test_throttled_per_person_and_per_town(new_person: Any, tiny_rate: int) -> None:
    person = new_person("busy", nakatosa="clerk", shimanto="clerk")
    at_nakatosa = make_client(HOSTS["nakatosa"], person)
    for _ in range(tiny_rate):
        assert at_nakatosa.get("/api/v1/me/").status_code == 200
    data = assert_error_shape(at_nakatosa.get("/api/v1/me/"), 429, "throttled")
    assert 0 < data["details"]["wait_seconds"] <= 60
    # The same person in the other town has a budget of its own.
    assert make_client(HOSTS["shimanto"], person).get("/api/v1/me/").status_code == 200


def test_token_requests_are_throttled_too(new_person: Any, tiny_rate: int) -> None:
    new_person("script", nakatosa="auditor")
    _, raw = _token("script", "nakatosa")
    client = _bearer("nakatosa", raw)
    statuses = [client.get("/api/v1/me/").status_code for _ in range(tiny_rate + 1)]
    assert statuses == [200] * tiny_rate + [429]


def test_now_is_sane() -> None:
    # Guards the time-travel tests above against a leaked travel context.
    assert abs(timezone.now() - datetime.now(tz=TOKYO)) < timedelta(minutes=1)
