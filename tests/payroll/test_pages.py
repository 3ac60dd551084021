"""The 給与担当 / 人事担当 pages (docs/domain/payroll.md §3–§4): 給料表 upload → 差額 preview → approval by another
person; 人事異動 CSV → preview → apply. Auditors read, never write."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from payroll.models import Appointment, SalaryTableVersion, TransferBatch
from tests.conftest import make_client
from tests.payroll.factories import hire, salary_csv

HOST = "nakatosa.localhost"


@pytest.fixture
def people(officers: Any, table: Any, new_person: Any) -> dict[str, Any]:
    personnel = new_person("jinji1", nakatosa="personnel")
    return {"officer": officers[0], "approver": officers[1], "personnel": personnel}


def client(person: Any) -> Any:
    connection.set_schema_to_public()
    return make_client(HOST, person)


def test_salary_table_upload_preview_and_approval(people: dict[str, Any], towns: Any) -> None:
    upload = SimpleUploadedFile("table.csv", salary_csv(raise_=500).encode("utf-8-sig"))
    response = client(people["officer"]).post(
        "/payroll/tables/",
        {"table_code": "gyosei1", "table_name": "行政職給料表(一)", "effective_from": "令和8年4月1日", "file": upload},
    )
    assert response.status_code == 302
    assert response["Location"] == "/payroll/tables/gyosei1/2026-04-01/"
    page = client(people["officer"]).get(response["Location"]).content.decode()
    assert "承認する" in page
    refused = client(people["officer"]).post(response["Location"]).content.decode()
    assert "自らその給料表を承認できません" in refused
    approved = client(people["approver"]).post(response["Location"])
    assert approved.status_code == 302
    connection.set_tenant(towns["nakatosa"])
    assert SalaryTableVersion.objects.get(effective_from=date(2026, 4, 1)).approved


def test_bad_salary_csv_shows_the_error_and_writes_nothing(people: dict[str, Any], towns: Any) -> None:
    upload = SimpleUploadedFile("table.csv", "級,号給,月額\n1,1,x\n".encode())
    page = client(people["officer"]).post(
        "/payroll/tables/",
        {"table_code": "gyosei9", "table_name": "x", "effective_from": "令和8年4月1日", "file": upload},
    )
    assert "給料表のCSVに誤りがあります" in page.content.decode()
    connection.set_tenant(towns["nakatosa"])
    assert not SalaryTableVersion.objects.filter(table__code="gyosei9").exists()


def test_transfer_csv_preview_and_apply(people: dict[str, Any], towns: Any) -> None:
    hire(people["officer"], "6001")
    upload = SimpleUploadedFile("transfer.csv", "職員番号,所属コード,所属名,級,号給\n6001,0201,税務課,2,3\n".encode())
    response = client(people["personnel"]).post(
        "/payroll/transfers/", {"title": "令和8年度人事異動", "effective_on": "令和8年4月1日", "file": upload}
    )
    assert response.status_code == 302
    preview = client(people["personnel"]).get(response["Location"]).content.decode()
    assert "税務課" in preview
    applied = client(people["officer"]).post(response["Location"])
    assert applied.status_code == 302
    connection.set_tenant(towns["nakatosa"])
    assert TransferBatch.objects.get().state == "applied"
    assert Appointment.objects.get(staff__number="6001", effective_on=date(2026, 4, 1)).unit_code == "0201"


def test_auditor_cannot_upload(people: dict[str, Any], client_for: Any) -> None:
    connection.set_schema_to_public()
    upload = SimpleUploadedFile("table.csv", salary_csv().encode())
    response = client_for("auditor", "nakatosa").post(
        "/payroll/tables/",
        {"table_code": "g", "table_name": "x", "effective_from": "令和8年4月1日", "file": upload},
    )
    assert response.status_code == 403


def test_run_page_approve_by_another_officer_and_lock(people: dict[str, Any], towns: Any) -> None:
    from payroll.services import runs

    connection.set_tenant(towns["nakatosa"])
    hire(people["officer"], "6101")
    run = runs.create_run(
        actor=people["officer"], kind="regular", pay_month=date(2026, 6, 1), paid_on=date(2026, 6, 19)
    )
    runs.calculate_run(actor=people["officer"], run=run)
    url = f"/payroll/runs/{run.public_id}/"
    refused = client(people["officer"]).post(url + "approve/")
    assert refused.status_code == 400
    assert "自らその計算を承認できません" in refused.content.decode()
    assert client(people["approver"]).post(url + "approve/").status_code == 302
    assert client(people["approver"]).post(url + "lock/").status_code == 302
    page = client(people["officer"]).get(url).content.decode()
    assert "給与振込データ" in page
    connection.set_tenant(towns["nakatosa"])
    run.refresh_from_db()
    assert run.state == "locked"


def test_personnel_officer_cannot_run_payroll(people: dict[str, Any], towns: Any) -> None:
    from payroll.services import runs

    connection.set_tenant(towns["nakatosa"])
    run = runs.create_run(
        actor=people["officer"], kind="regular", pay_month=date(2026, 6, 1), paid_on=date(2026, 6, 19)
    )
    assert client(people["personnel"]).post(f"/payroll/runs/{run.public_id}/calculate/").status_code == 403
