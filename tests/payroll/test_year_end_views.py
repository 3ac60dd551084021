"""年末調整 pages and the auditors' REST (docs/domain/payroll.md §13.8–§13.10)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection

from common.models import AuditEvent
from payroll.models import YearEndDeclaration, YearEndResult, YearEndRun
from payroll.services import runs
from payroll.services import year_end as service
from tests.conftest import make_client
from tests.payroll.factories import hire

YEAR = 2026


@pytest.fixture
def setup(officers: Any, table: Any, towns: Any) -> dict[str, Any]:
    """A staff member with a declaration, a locked December run, and the year-end calculated by the first officer."""
    officer, approver = officers
    staff = hire(officer, "6001")
    service.record_declaration(actor=officer, staff=staff, year=YEAR, dependants_general=1)
    run = runs.create_run(actor=officer, kind="regular", pay_month=date(2026, 12, 1), paid_on=date(2026, 12, 18))
    runs.lock_run(actor=approver, run=runs.approve_run(actor=approver, run=runs.calculate_run(actor=officer, run=run)))
    year_end = service.create_year_end_run(actor=officer, year=YEAR, settle_month=date(2027, 1, 1))
    service.calculate_year_end(actor=officer, run=year_end)
    connection.set_schema_to_public()
    return {"officer": officer, "approver": approver, "staff": staff, "run": year_end}


def in_town(towns: Any) -> None:
    connection.set_tenant(towns["nakatosa"])


BOOLEANS = ("adjustment_eligible", "has_spouse", "spouse_elderly", "widow", "single_parent", "working_student")


def declaration_data(**values: str) -> dict[str, str]:
    """The declaration form as posted: every amount and count 0, checkboxes off, then ``values``."""
    amounts = [name for name in service.DECLARATION_FIELDS if name not in (*BOOLEANS, "specific_relative_incomes")]
    return {**dict.fromkeys(amounts, "0"), "specific_relative_incomes_text": "", **values}


def test_the_results_page_shows_the_figures_and_is_audited(setup: dict[str, Any], towns: Any) -> None:
    body = make_client("nakatosa.localhost", setup["officer"]).get(f"/payroll/year-end/{YEAR}/").content.decode()
    in_town(towns)
    result = YearEndResult.objects.get(staff=setup["staff"])
    assert f"<td>{result.annual_tax}</td>" in body
    assert AuditEvent.objects.filter(action="payroll.year_end_results", purpose="年末調整の確認").exists()


def test_the_second_officer_approves_on_the_page(setup: dict[str, Any], towns: Any) -> None:
    response = make_client("nakatosa.localhost", setup["approver"]).post(f"/payroll/year-end/{YEAR}/approve/")
    in_town(towns)
    assert response.status_code == 302
    assert YearEndRun.objects.get(year=YEAR).state == YearEndRun.State.APPROVED


def test_the_calculator_is_refused_approval_on_the_page(setup: dict[str, Any], towns: Any) -> None:
    response = make_client("nakatosa.localhost", setup["officer"]).post(f"/payroll/year-end/{YEAR}/approve/")
    in_town(towns)
    assert response.status_code == 400
    assert "自らその計算を承認できません" in response.content.decode()
    assert YearEndRun.objects.get(year=YEAR).state == YearEndRun.State.REVIEW


def test_an_auditor_cannot_calculate(setup: dict[str, Any], client_for: Any, towns: Any) -> None:
    response = client_for("auditor", "nakatosa").post(f"/payroll/year-end/{YEAR}/lock/")
    in_town(towns)
    assert response.status_code == 403
    assert YearEndRun.objects.get(year=YEAR).state == YearEndRun.State.REVIEW


def test_a_declaration_is_entered_on_its_page(setup: dict[str, Any], towns: Any) -> None:
    in_town(towns)
    other = hire(setup["officer"], "6002")
    connection.set_schema_to_public()
    url = f"/payroll/year-end/{YEAR}/declarations/{other.public_id}/"
    data = declaration_data(has_spouse="on", spouse_income="1000000", life_new_general="50000",
                            specific_relative_incomes_text="600000、900000")  # fmt: skip
    response = make_client("nakatosa.localhost", setup["officer"]).post(url, data)
    in_town(towns)
    declaration = YearEndDeclaration.objects.get(staff=other, year=YEAR)
    assert response.status_code == 302
    assert declaration.spouse_income == 1_000_000
    assert declaration.specific_relative_incomes == [600_000, 900_000]


def test_spouse_figures_without_a_spouse_are_refused_by_the_service(setup: dict[str, Any], towns: Any) -> None:
    url = f"/payroll/year-end/{YEAR}/declarations/{setup['staff'].public_id}/"
    data = declaration_data(spouse_income="500000")
    response = make_client("nakatosa.localhost", setup["officer"]).post(url, data)
    in_town(towns)
    assert response.status_code == 400
    assert "配偶者がいない場合" in response.content.decode()
    assert YearEndDeclaration.objects.get(staff=setup["staff"], year=YEAR).spouse_income == 0


def test_a_negative_premium_on_the_page_is_refused(setup: dict[str, Any], towns: Any) -> None:
    url = f"/payroll/year-end/{YEAR}/declarations/{setup['staff'].public_id}/"
    response = make_client("nakatosa.localhost", setup["officer"]).post(url, declaration_data(earthquake="-100"))
    in_town(towns)
    assert "0 以上でなければなりません" in response.content.decode()  # the form again, with the error
    assert YearEndDeclaration.objects.get(staff=setup["staff"], year=YEAR).earthquake == 0


def test_auditor_exports_results_as_csv_with_a_purpose(setup: dict[str, Any], client_for: Any, towns: Any) -> None:
    response = client_for("auditor", "nakatosa").get(f"/api/v1/payroll/year-end/{YEAR}/?format=csv&purpose=監査")
    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    in_town(towns)
    assert rows[0].startswith("職員番号,対象")
    assert rows[1].startswith("6001,対象")
    assert AuditEvent.objects.filter(action="payroll.year_end_results", purpose="監査").exists()


def test_results_json_without_a_purpose_are_refused(setup: dict[str, Any], client_for: Any) -> None:
    response = client_for("auditor", "nakatosa").get(f"/api/v1/payroll/year-end/{YEAR}/")
    assert response.status_code == 400


def test_results_json_list_each_staff_member(setup: dict[str, Any], client_for: Any) -> None:
    response = client_for("auditor", "nakatosa").get(f"/api/v1/payroll/year-end/{YEAR}/?purpose=監査")
    assert [row["staff_number"] for row in response.json()] == ["6001"]


def test_a_year_without_a_run_is_not_found(client_for: Any) -> None:
    response = client_for("auditor", "nakatosa").get("/api/v1/payroll/year-end/2025/?purpose=監査")
    assert response.status_code == 404
