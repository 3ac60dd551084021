"""The API lists' filters (common.filters): 西暦 or 和暦 dates, strict yes/no, the period check, the platform's error
format before anything is read, and the parameters in the OpenAPI schema."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator

from common.filters import PERIOD_REVERSED
from common.forms import DATE_ERROR
from tenants.models import Person
from tests.resident_records.factories import move_in_family, person
from tests.support.access import assert_error_shape, audit_position, audit_since

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/resident_records/events/"
ISSUANCES = "/api/v1/resident_records/issuances/"


@pytest.fixture
def clerk_client(client_for: Any) -> Client:
    with time_machine.travel(date(2026, 11, 3), tick=False), schema_context("nakatosa"):
        move_in_family(Person.objects.get(username="tanaka"), members=[person()], on=date(2026, 11, 2))
    client: Client = client_for("tanaka", "nakatosa")
    return client


def _count(client: Client, url: str, params: dict[str, str]) -> int:
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return int(response.json()["count"])


def test_a_date_filter_takes_wareki_as_well_as_iso(clerk_client: Client) -> None:
    iso = _count(clerk_client, EVENTS, {"since": "2026-11-02", "until": "2026-11-02"})
    assert iso >= 1
    assert _count(clerk_client, EVENTS, {"since": "令和8年11月2日", "until": "R8.11.2"}) == iso
    assert _count(clerk_client, EVENTS, {"since": "2026-11-03"}) == 0


def test_a_bad_date_is_a_validation_error_before_anything_is_read(clerk_client: Client) -> None:
    position = audit_position("nakatosa")
    data = assert_error_shape(clerk_client.get(EVENTS, {"since": "2026-13-45"}), 400, "validation_error")
    assert data["details"] == {"since": [DATE_ERROR]}
    assert audit_since("nakatosa", position) == []


def test_a_reversed_period_is_refused_on_until(clerk_client: Client) -> None:
    response = clerk_client.get(EVENTS, {"since": "2026-11-02", "until": "2026-11-01"})
    data = assert_error_shape(response, 400, "validation_error")
    assert data["details"] == {"until": [PERIOD_REVERSED]}


def test_a_yes_no_filter_refuses_anything_else(client_for: Any) -> None:
    client = client_for("auditor", "nakatosa")
    assert client.get(ISSUANCES, {"voided": "true"}).status_code == 200
    assert client.get(ISSUANCES, {"voided": "0"}).status_code == 200
    data = assert_error_shape(client.get(ISSUANCES, {"voided": "maybe"}), 400, "validation_error")
    assert list(data["details"]) == ["voided"]


def test_the_listing_is_audited_with_the_filters_given(clerk_client: Client) -> None:
    position = audit_position("nakatosa")
    assert clerk_client.get(EVENTS, {"since": "R8.11.1", "kind": "move_in"}).status_code == 200
    (row,) = audit_since("nakatosa", position)
    assert row.action == "resident.event_list"
    assert row.details == {"since": "2026-11-01", "kind": "move_in"}


def test_the_schema_lists_the_filters_with_their_descriptions() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {p["name"]: p for p in schema["paths"][EVENTS]["get"]["parameters"]}
    assert parameters["since"]["schema"] == {"type": "string"}
    assert "和暦" in parameters["since"]["description"]
    assert {"kind", "until", "page", "page_size", "format"} <= set(parameters)
