"""REST API of the register: purpose-bound, audited reads; masked 個人番号; the event log as JSON and CSV."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django_tenants.utils import schema_context

from common.models import AuditEvent
from resident_records import services
from resident_records.services import Versioned
from tenants.models import Person
from tests.resident_records.factories import family, move_in_family, person

TODAY = date(2026, 11, 27)


@pytest.fixture
def registered(db: Any) -> dict[str, Any]:
    """A family in 中土佐町 that moved in on 1 April and moved house on 1 October."""
    clerk = Person.objects.get(username="tanaka")
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        members = family()
        members[0] = person(my_number="123456789018")
        household, residents = move_in_family(clerk, members=members)
        services.record_change_of_address(
            actor=clerk, household=Versioned(household.pk, household.version), event_date=date(2026, 10, 1),
            notified_on=date(2026, 10, 2), address="高知県高岡郡中土佐町矢井賀 55",
        )  # fmt: skip
    return {"household": household, "head": residents[0]}


def _last_audit() -> AuditEvent:
    with schema_context("nakatosa"):
        row = AuditEvent.objects.order_by("-seq").first()
    assert row is not None
    return row


def test_resident_detail_needs_a_purpose_and_is_audited(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    url = f"/api/v1/resident_records/residents/{registered['head'].atena_number}/"
    refused = client.get(url)
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation_error"
    assert "purpose" in refused.json()["details"]

    response = client.get(url, {"purpose": "国民健康保険の資格確認"})
    assert response.status_code == 200
    body = response.json()
    assert body["address"] == "高知県高岡郡中土佐町矢井賀 55"
    assert body["family_name_kana"] == "ヤマダ"
    assert body["my_number"] == "●●●●●●●●9018"  # never the whole number through this endpoint
    row = _last_audit()
    assert (row.action, row.purpose, row.personal_data) == ("resident.view", "国民健康保険の資格確認", True)
    assert row.object_repr == f"住民 {registered['head'].atena_number}"


def test_resident_as_of_a_past_date(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    url = f"/api/v1/resident_records/residents/{registered['head'].atena_number}/"
    before = client.get(url, {"purpose": "照会", "as_of": "2026-09-30"}).json()
    assert before["address"] == "高知県高岡郡中土佐町久礼 1234"
    too_early = client.get(url, {"purpose": "照会", "as_of": "2026-03-31"})
    assert too_early.status_code == 404
    assert too_early.json()["code"] == "resident_not_found"
    history = client.get(url + "history/", {"purpose": "照会"}).json()
    assert [entry["event"]["kind"] for entry in history] == ["move_in", "change_of_address"]


def test_household_members(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("auditor", "nakatosa")
    response = client.get(f"/api/v1/resident_records/households/{registered['household'].number}/", {"purpose": "監査"})
    assert response.status_code == 200
    assert len(response.json()["members"]) == 3


def test_a_number_of_another_town_is_not_found(client_for: Any, registered: dict[str, Any]) -> None:
    """yamamoto is a clerk in both towns: at 四万十町 a 中土佐町 resident simply does not exist."""
    client = client_for("yamamoto", "shimanto")
    response = client.get(f"/api/v1/resident_records/residents/{registered['head'].atena_number}/", {"purpose": "x"})
    assert response.status_code == 404
    assert response.json()["code"] == "resident_not_found"


def test_event_log_json_and_csv(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("auditor", "nakatosa")
    listed = client.get("/api/v1/resident_records/events/", {"since": "2026-10-01"})
    assert listed.status_code == 200
    assert [e["kind"] for e in listed.json()["results"]] == ["change_of_address"]
    csv_response = client.get("/api/v1/resident_records/events/", {"format": "csv"})
    assert csv_response["Content-Type"].startswith("text/csv")
    text = b"".join(csv_response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = text.strip().splitlines()
    assert lines[0].startswith("id,kind,kind_label")
    assert len(lines) >= 3
    assert "山田" not in text  # the event log carries no names
    bad = client.get("/api/v1/resident_records/events/", {"since": "2026-13-45"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_error"


def test_teacher_never_reaches_resident_data(client_for: Any, registered: dict[str, Any]) -> None:
    client = client_for("sato", "shimanto")
    response = client.get("/api/v1/resident_records/events/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
