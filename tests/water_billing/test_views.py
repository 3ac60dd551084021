"""The clerk's pages and the auditors' API: roles (the 検針員 reads nothing but readings), the purpose gate on
customers' details, and the pages' contents."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from common.models import AuditEvent
from water_billing.models import BillingRun
from water_billing.services import readings, runs
from water_billing.services.readings import ReadingInput

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(new_person: Any) -> dict[str, Any]:
    return {
        "clerk": new_person("wb-clerk", nakatosa="water_clerk"),
        "reader": new_person("wb-reader", nakatosa="meter_reader"),
        "auditor": new_person("wb-auditor", nakatosa="auditor"),
    }


@pytest.fixture
def billed(db: Any) -> Any:
    with schema_context("nakatosa"):
        factories.nakatosa_tariff()
        period = factories.period()
        conn = factories.connection(user_name="水道 花子")
        readings.record_reading(
            actor=None, connection=conn, period=period, data=ReadingInput(value=31, read_on=period.read_on)
        )
        run = runs.execute_run(run=BillingRun.objects.create(period=period))
    return period, conn, run


def _client(client_for: Any, user: Any) -> Any:
    return client_for(user.username, "nakatosa")


@pytest.mark.parametrize(
    "path", ["/water_billing/runs/", "/water_billing/books/", "/water_billing/debit/", "/water_billing/payments/"]
)
def test_the_meter_reader_is_refused_everything_but_readings(client_for: Any, staff: Any, path: str) -> None:
    response = _client(client_for, staff["reader"]).get(path)
    assert response.status_code == 403
    assert "water_billing/clerk_only.html" in [t.name for t in response.templates]


def test_the_meter_reader_gets_the_route_list(client_for: Any, staff: Any, billed: Any) -> None:
    period, conn, _ = billed
    response = _client(client_for, staff["reader"]).get(f"/water_billing/readings/{period.code}/route/?format=csv")
    body = b"".join(response.streaming_content).decode()
    assert conn.tap_number in body


def test_the_meter_reader_imports_readings(client_for: Any, staff: Any, billed: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    with schema_context("nakatosa"):
        later = factories.period("2026-06", starts_on=__import__("datetime").date(2026, 6, 1))
        conn = billed[1]
    upload = SimpleUploadedFile("r.csv", f"水栓番号,検針日,指針\n{conn.tap_number},2026-07-25,50\n".encode())
    response = _client(client_for, staff["reader"]).post(
        "/water_billing/readings/", {"period": later.code, "file": upload}
    )
    assert "1件を登録しました" in response.content.decode()


def test_the_auditor_cannot_start_a_run(client_for: Any, staff: Any, billed: Any) -> None:
    response = _client(client_for, staff["auditor"]).post("/water_billing/runs/", {"period": billed[0].code})
    assert response.status_code == 403


def test_the_connection_page_asks_for_a_purpose_then_audits(client_for: Any, staff: Any, billed: Any) -> None:
    _, conn, _ = billed
    client = _client(client_for, staff["clerk"])
    first = client.get(f"/water_billing/connections/{conn.tap_number}/")
    assert "利用目的の入力" in first.content.decode()
    client.get(f"/water_billing/connections/{conn.tap_number}/?purpose=料金の問合せ対応")
    page = client.get(f"/water_billing/connections/{conn.tap_number}/")
    content = page.content.decode()
    assert "水道 花子" in content
    assert "<svg" in content
    with schema_context("nakatosa"):
        row = AuditEvent.objects.filter(action="water.connection.view").latest("seq")
    assert row.purpose == "料金の問合せ対応"


def test_the_run_page_checks_the_summary_and_confirms(client_for: Any, staff: Any, billed: Any) -> None:
    _, _, run = billed
    client = _client(client_for, staff["clerk"])
    page = client.get(f"/water_billing/runs/{run.public_id}/").content.decode()
    assert "集計と請求の合計は一致しています" in page
    client.post(f"/water_billing/runs/{run.public_id}/confirm/")
    with schema_context("nakatosa"):
        assert BillingRun.objects.get(pk=run.pk).state == "confirmed"


def test_the_api_needs_a_purpose_for_customers(client_for: Any, staff: Any, billed: Any) -> None:
    client = _client(client_for, staff["auditor"])
    refused = client.get("/api/v1/water_billing/bills/")
    listed = client.get("/api/v1/water_billing/bills/?purpose=定期監査")
    assert refused.status_code == 400
    assert listed.json()["count"] == 1


def test_the_api_streams_the_ledger_as_csv(client_for: Any, staff: Any, billed: Any) -> None:
    with schema_context("nakatosa"):
        runs.confirm_run(actor=None, run=billed[2])
    response = _client(client_for, staff["auditor"]).get("/api/v1/water_billing/ledger/?format=csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1 + 3  # header, 未収金 / 給水収益 / 仮受消費税 (no sewer line)


def test_the_meter_reader_is_refused_by_the_api(client_for: Any, staff: Any) -> None:
    response = _client(client_for, staff["reader"]).get("/api/v1/water_billing/ledger/")
    assert response.json()["code"] == "permission_denied"


def _tariff_form(**overrides: str) -> dict[str, str]:
    form = {
        "service": "water", "supply": "main", "effective_from": "2027-04-01", "basis": "給水条例の改正",
        "bases": "13,600,10\n20,780,10", "tiers": "11,20,130\n21,,150",
    }  # fmt: skip
    form.update(overrides)
    return form


def test_it_staff_add_a_tariff_version_in_the_admin(client_for: Any, db: Any) -> None:
    from water_billing.models import Tariff

    client = client_for("it_admin", "nakatosa")
    response = client.post("/admin/water_billing/tariff/add/", _tariff_form())
    with schema_context("nakatosa"):
        tariff = Tariff.objects.get(effective_from="2027-04-01")
        assert AuditEvent.objects.filter(action="water.tariff.record", object_id=str(tariff.pk)).exists()
    assert response.status_code == 302
    assert [t.price for t in tariff.tiers.all()] == [130, 150]


def test_the_admin_refuses_overlapping_tiers(client_for: Any, db: Any) -> None:
    from water_billing.models import Tariff

    client = client_for("it_admin", "nakatosa")
    response = client.post("/admin/water_billing/tariff/add/", _tariff_form(tiers="11,30,130\n21,,150"))
    assert "従量料金の区分が重なっています" in response.content.decode()
    with schema_context("nakatosa"):
        assert not Tariff.objects.filter(effective_from="2027-04-01").exists()


def test_the_clerk_enters_a_meter_exchange(client_for: Any, staff: Any, billed: Any) -> None:
    from datetime import date

    from water_billing.models import Reading

    _, conn, _ = billed
    with schema_context("nakatosa"):
        later = factories.period("2026-06", starts_on=date(2026, 6, 1))
    client = _client(client_for, staff["clerk"])
    form = {"period": later.code, "read_on": "2026-07-25", "value": "5", "old_final": "40", "new_initial": "0",
            "new_meter_serial": "NEW-9"}  # fmt: skip
    response = client.post(f"/water_billing/connections/{conn.tap_number}/reading/", form)
    with schema_context("nakatosa"):
        reading = Reading.objects.get(connection=conn, period=later)
    assert response.status_code == 302
    assert reading.usage_m3 == 40 - 31 + 5


def test_a_reading_below_the_last_is_refused_on_the_page(client_for: Any, staff: Any, billed: Any) -> None:
    from datetime import date

    _, conn, _ = billed
    with schema_context("nakatosa"):
        later = factories.period("2026-06", starts_on=date(2026, 6, 1))
    client = _client(client_for, staff["clerk"])
    response = client.post(
        f"/water_billing/connections/{conn.tap_number}/reading/",
        {"period": later.code, "read_on": "2026-07-25", "value": "10"},
    )
    assert "指針が前回指針を下回っています" in response.content.decode()
