"""閲覧 (住基法 第11条の2): four items only, persons under 支援措置 (even lapsed, and accompanying) left out."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django_tenants.utils import schema_context

from common.errors import ValidationFailed
from common.models import AuditEvent
from resident_records import inspection, support
from resident_records.models import SupportScope
from tenants.models import Person
from tests.resident_records.factories import family, move_in_family, person

AREA = "高知県高岡郡中土佐町上ノ加江"


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def town(clerk: Person) -> Any:
    with schema_context("nakatosa"), time_machine.travel(date(2026, 11, 27), tick=False):
        _, residents = move_in_family(clerk, members=family(), address=f"{AREA} 10")
        yield residents


def _names(rows: list[inspection.InspectionRow]) -> set[str]:
    return {row.name for row in rows}


def test_the_list_has_the_four_items_and_is_audited(clerk: Person, town: list[Any]) -> None:
    rows = inspection.prepare_inspection_list(actor=clerk, requester="高知新聞社", purpose="県民世論調査", area=AREA)
    assert _names(rows) == {"山田 太郎", "山田 花子", "山田 一郎"}
    assert set(vars(rows[0])) == {"name", "birth_date", "sex", "address"}
    assert rows[0].address.startswith(AREA)
    row = AuditEvent.objects.order_by("-seq").first()
    assert row is not None
    assert row.action == "resident.inspection"
    assert row.personal_data
    assert "高知新聞社" in row.purpose
    assert row.details["rows"] == 3


def test_persons_under_support_measure_are_left_out_even_after_lapse(clerk: Person, town: list[Any]) -> None:
    _head, spouse, child = town
    with time_machine.travel(date(2026, 11, 27), tick=False):
        support.apply_support_measure(
            actor=clerk, resident=spouse, scopes=[SupportScope.INSPECTION], accompanying=[child],
            start_on=date(2025, 4, 1),
        )  # fmt: skip
    move_in_family(clerk, members=[person("鈴木", "一郎", "スズキ", "イチロウ")], address=f"{AREA} 11")
    with time_machine.travel(date(2027, 6, 1), tick=False):  # the measure has lapsed: it still blocks
        rows = inspection.prepare_inspection_list(actor=clerk, requester="調査会社", purpose="学術調査", area=AREA)
    # The head of the household is left out too: listed at that address, he would reveal where the others live.
    assert _names(rows) == {"鈴木 一郎"}


def test_bad_requests_are_refused(clerk: Person, town: list[Any]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        inspection.prepare_inspection_list(actor=clerk, requester="", purpose="", area="高")
    assert set(refused.value.details) == {"requester", "purpose", "area"}


def test_the_inspection_screen(client_for: Any, town: list[Any]) -> None:
    client = client_for("tanaka", "nakatosa")
    assert client.get("/resident_records/inspection/").status_code == 200
    response = client.post(
        "/resident_records/inspection/", {"requester": "高知新聞社", "purpose": "県民世論調査", "area": AREA}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "閲覧用一覧(3件)" in body
    assert "山田 花子" in body
    refused = client.post("/resident_records/inspection/", {"requester": "", "purpose": "x", "area": AREA})
    assert "申出者を入力してください" in refused.content.decode() or "この項目は必須です" in refused.content.decode()
    assert client_for("auditor", "nakatosa").get("/resident_records/inspection/").status_code == 403
