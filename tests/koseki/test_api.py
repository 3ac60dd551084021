"""REST for auditors: the koseki 交付履歴 and 受付帳 — filtered, paginated, CSV, audited, this town only."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from common.models import AuditEvent
from koseki.models import CertificateIssuance, CertificateKind, Notification, NotificationKind, RequesterRelation
from tenants.models import Role

pytestmark = pytest.mark.django_db

ISSUANCES = "/api/v1/koseki/issuances/"
NOTIFICATIONS = "/api/v1/koseki/notifications/"


def issuance(
    serial: int, *, kind: str = CertificateKind.FULL, on: date = date(2026, 11, 2), wide: bool = False
) -> None:
    CertificateIssuance.objects.create(
        number=f"2026-K{serial:06d}", year=2026, serial=serial, kind=kind, koseki_number=f"K{serial:010d}",
        honseki="高知県高岡郡中土佐町久礼1番地", head_name="山田　太郎", wide_area=wide,
        holding_town_code="394122" if wide else "", requester_name="山田　太郎",
        requester_relation=RequesterRelation.SELF,
        id_document="運転免許証", purpose="年金の手続", fee=450, member_keys=["a", "b"],
        issued_at=datetime(on.year, on.month, on.day, 3, 0, tzinfo=UTC), issued_by_name="田中 美咲",
        verification_code_sha256=hashlib.sha256(f"code{serial}".encode()).hexdigest(), pdf_sha256="0" * 64,
    )  # fmt: skip


def notification(serial: int, *, kind: str = NotificationKind.BIRTH, on: date = date(2026, 11, 2)) -> None:
    Notification.objects.create(
        number=f"2026-{serial:06d}", kind=kind, event_date=on, notified_on=on, accepted_on=on,
        notifier_name="山田　太郎", notifier_capacity="父", koseki_numbers=[f"K{serial:010d}"],
        details={"child": "山田　一郎"}, actor_name="田中 美咲",
    )  # fmt: skip


@pytest.fixture
def logs(db: Any) -> None:
    with schema_context("nakatosa"):
        issuance(1, on=date(2026, 10, 30))
        issuance(2, kind=CertificateKind.CLOSED_FULL)
        issuance(3, wide=True, on=date(2026, 11, 20))
        notification(1, on=date(2026, 10, 30))
        notification(2, kind=NotificationKind.MARRIAGE)
        notification(3, kind=NotificationKind.MARRIAGE, on=date(2026, 11, 20))
    with schema_context("shimanto"):
        issuance(9)
        notification(9)


def audit_actions(schema: str) -> list[str]:
    with schema_context(schema):
        return list(
            AuditEvent.objects.filter(action__startswith="koseki.").order_by("seq").values_list("action", flat=True)
        )


def test_issuance_log_filters_by_date_kind_and_wide_area(client_for: Any, logs: None) -> None:
    client = client_for("auditor", "nakatosa")
    body = client.get(ISSUANCES).json()
    assert body["count"] == 3
    assert [r["number"] for r in body["results"]] == [
        "2026-K000003",
        "2026-K000002",
        "2026-K000001",
    ]
    first = body["results"][2]
    assert first["kind_label"] == "全部事項証明書"
    assert first["fee"] == 450
    assert first["member_count"] == 2
    assert first["requester_relation_label"] == "本人"
    assert first["koseki_number"] == "K0000000001"
    assert "requester_name" not in first
    assert "honseki" not in first
    assert "head_name" not in first
    between = client.get(ISSUANCES, {"since": "2026-11-01", "until": "2026-11-02"}).json()
    assert [r["number"] for r in between["results"]] == ["2026-K000002"]
    closed = client.get(ISSUANCES, {"kind": "closed_full"}).json()
    assert [r["fee"] for r in closed["results"]] == [450]
    assert closed["count"] == 1
    wide = client.get(ISSUANCES, {"wide_area": "true"}).json()
    assert [r["holding_town_code"] for r in wide["results"]] == ["394122"]
    assert audit_actions("nakatosa") == ["koseki.issuance_log"] * 4
    with schema_context("nakatosa"):
        row = AuditEvent.objects.filter(action="koseki.issuance_log").order_by("-seq").first()
    assert row is not None
    assert row.details == {"wide_area": "True"}


def test_notification_log_filters_and_carries_no_names(client_for: Any, logs: None) -> None:
    client = client_for("auditor", "nakatosa")
    body = client.get(NOTIFICATIONS, {"kind": "marriage"}).json()
    assert [r["number"] for r in body["results"]] == ["2026-000003", "2026-000002"]
    assert body["results"][0]["kind_label"] == "婚姻届"
    assert body["results"][0]["koseki_numbers"] == ["K0000000003"]
    assert "notifier_name" not in body["results"][0]
    assert "details" not in body["results"][0]
    until = client.get(NOTIFICATIONS, {"until": "2026-10-31"}).json()
    assert [r["number"] for r in until["results"]] == ["2026-000001"]
    bad = client.get(NOTIFICATIONS, {"since": "2026-11-30", "until": "2026-11-01"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_error"
    unknown = client.get(NOTIFICATIONS, {"kind": "nonsense"})
    assert unknown.status_code == 400
    assert audit_actions("nakatosa") == ["koseki.notification_log"] * 2  # refused queries read nothing


def test_csv_exports_stream_every_row_and_are_audited(client_for: Any, logs: None) -> None:
    client = client_for("auditor", "nakatosa")
    response = client.get(ISSUANCES, {"format": "csv", "since": "2026-11-01"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("number,kind,kind_label,issued_at")
    assert len(lines) == 3
    assert "山田" not in text
    assert "久礼" not in text
    notifications = client.get(NOTIFICATIONS, {"format": "csv"})
    rows = b"".join(notifications.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 4
    assert rows[1].startswith("2026-000003,marriage,婚姻届")
    assert "山田" not in "\n".join(rows)
    assert audit_actions("nakatosa") == ["koseki.issuance_log_export", "koseki.notification_log_export"]


@pytest.mark.parametrize("url", [ISSUANCES, NOTIFICATIONS])
def test_permission_matrix(client_for: Any, new_person: Any, logs: None, url: str) -> None:
    """anonymous, other town, wrong role (IT admin, teacher), right role (auditor, the module's clerk) — and a
    refused request reads nothing and leaves no audit row."""
    elsewhere = new_person("koseki-auditor-shimanto", shimanto=Role.AUDITOR)
    refused = [
        (client_for(None, "nakatosa"), 401, "not_authenticated"),
        (client_for(elsewhere.username, "nakatosa"), 403, "permission_denied"),
        (client_for("it_admin", "nakatosa"), 403, "permission_denied"),
        (client_for("sato", "shimanto"), 403, "permission_denied"),
    ]
    for client, status, code in refused:
        for params in ({}, {"format": "csv"}):
            response = client.get(url, params)
            assert (response.status_code, response.json()["code"]) == (status, code), (client, params)
            assert "results" not in response.json()
    assert audit_actions("nakatosa") == []
    assert audit_actions("shimanto") == []
    own = client_for(elsewhere.username, "shimanto").get(url).json()
    assert own["count"] == 1  # 四万十町's auditor reads 四万十町's log only
    assert client_for("auditor", "nakatosa").get(url).json()["count"] == 3
    assert client_for("tanaka", "nakatosa").get(url).json()["count"] == 3  # the 戸籍係's own book
    assert len(audit_actions("shimanto")) == 1
    assert len(audit_actions("nakatosa")) == 2
    with schema_context("nakatosa"):
        readers = set(AuditEvent.objects.filter(action__startswith="koseki.").values_list("actor_username", flat=True))
    assert readers == {"auditor", "tanaka"}


@pytest.mark.parametrize("url", [ISSUANCES, NOTIFICATIONS])
def test_query_count_does_not_grow_with_rows(client_for: Any, django_assert_max_num_queries: Any, url: str) -> None:
    client = client_for("auditor", "nakatosa")
    client.get(url)  # warms per-process caches
    with schema_context("nakatosa"):
        issuance(100)
        notification(100)
    with CaptureQueriesContext(connection) as few_rows:
        assert client.get(url).json()["count"] == 1
    with schema_context("nakatosa"):
        page_size: int = settings.REST_FRAMEWORK["PAGE_SIZE"]  # type: ignore[assignment]
        for n in range(101, 101 + page_size + 5):
            issuance(n)
            notification(n)
    with django_assert_max_num_queries(len(few_rows)):
        response = client.get(url)
    assert len(response.json()["results"]) == page_size
