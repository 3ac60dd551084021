"""Pages and REST (docs/domain/payroll.md §8): each staff member sees only their own payslips; the auditors'
exports are audited with their purpose; a 県費負担教職員 is told they are not on town payroll."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection

from common.models import AuditEvent
from payroll.models import Payslip
from payroll.services import runs
from tests.payroll.factories import hire

JUNE = date(2026, 6, 1)


@pytest.fixture
def locked(officers: Any, table: Any, new_person: Any, towns: Any) -> dict[str, Any]:
    officer, approver = officers
    me = new_person("mine_staff", nakatosa="clerk")
    other = new_person("other_staff", nakatosa="clerk")
    teacher = new_person("pref_teacher", nakatosa="teacher")
    mine = hire(officer, "4001", person_id=me.pk)
    theirs = hire(officer, "4002", person_id=other.pk)
    hire(officer, "4003", person_id=teacher.pk, job_type="pref_teacher", table_code="", grade=None, step=None)
    run = runs.create_run(actor=officer, kind="regular", pay_month=JUNE, paid_on=date(2026, 6, 19))
    run = runs.approve_run(actor=approver, run=runs.calculate_run(actor=officer, run=run))
    run = runs.lock_run(actor=approver, run=run)
    result = {
        "run": run,
        "mine": Payslip.objects.get(run=run, staff=mine),
        "theirs": Payslip.objects.get(run=run, staff=theirs),
    }
    connection.set_schema_to_public()
    return result


def test_own_payslip_is_shown_and_audited(locked: dict[str, Any], client_for: Any) -> None:
    connection.set_schema_to_public()
    client = client_for("mine_staff", "nakatosa")
    response = client.get(f"/payslips/{locked['mine'].public_id}/")
    assert response.status_code == 200
    assert "差引支給額" in response.content.decode()


def test_someone_elses_payslip_is_not_found(locked: dict[str, Any], client_for: Any) -> None:
    connection.set_schema_to_public()
    client = client_for("mine_staff", "nakatosa")
    response = client.get(f"/payslips/{locked['theirs'].public_id}/")
    assert response.status_code == 404


def test_my_payslips_lists_only_mine(locked: dict[str, Any], client_for: Any) -> None:
    connection.set_schema_to_public()
    body = client_for("mine_staff", "nakatosa").get("/payslips/").content.decode()
    assert str(locked["mine"].public_id) in body
    assert str(locked["theirs"].public_id) not in body


def test_a_prefectural_teacher_is_told_they_are_paid_by_the_prefecture(locked: dict[str, Any], client_for: Any) -> None:
    connection.set_schema_to_public()
    body = client_for("pref_teacher", "nakatosa").get("/payslips/").content.decode()
    assert "県費負担教職員" in body


def test_auditor_exports_lines_as_csv_with_an_audited_purpose(
    locked: dict[str, Any], client_for: Any, towns: Any
) -> None:
    connection.set_schema_to_public()
    client = client_for("auditor", "nakatosa")
    response = client.get(f"/api/v1/payroll/runs/{locked['run'].public_id}/lines/?format=csv&purpose=定期監査")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("職員番号")
    assert "4001" in body
    connection.set_tenant(towns["nakatosa"])
    event = AuditEvent.objects.filter(action="payroll.run_lines").latest("seq")
    assert event.purpose == "定期監査"


def test_lines_without_purpose_are_refused(locked: dict[str, Any], client_for: Any) -> None:
    connection.set_schema_to_public()
    response = client_for("auditor", "nakatosa").get(f"/api/v1/payroll/runs/{locked['run'].public_id}/lines/")
    assert response.status_code == 400


def test_runs_api_lists_totals(locked: dict[str, Any], client_for: Any) -> None:
    connection.set_schema_to_public()
    response = client_for("auditor", "nakatosa").get("/api/v1/payroll/runs/")
    assert response.status_code == 200
    assert response.json()["results"][0]["totals"]["count"] == 2


def test_auditor_cannot_approve_or_lock(locked: dict[str, Any], client_for: Any) -> None:
    connection.set_schema_to_public()
    response = client_for("auditor", "nakatosa").post(f"/payroll/runs/{locked['run'].public_id}/calculate/")
    assert response.status_code == 403


def test_own_payslip_pdf(locked: dict[str, Any], client_for: Any) -> None:
    connection.set_schema_to_public()
    response = client_for("mine_staff", "nakatosa").get(f"/payslips/{locked['mine'].public_id}/pdf/")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_someone_elses_payslip_pdf_is_not_found(locked: dict[str, Any], client_for: Any) -> None:
    connection.set_schema_to_public()
    response = client_for("mine_staff", "nakatosa").get(f"/payslips/{locked['theirs'].public_id}/pdf/")
    assert response.status_code == 404


def test_own_withholding_statement_pdf(locked: dict[str, Any], client_for: Any) -> None:
    connection.set_schema_to_public()
    response = client_for("mine_staff", "nakatosa").get("/payslips/statements/2026/pdf/")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_annual_statement_sums_the_locked_runs(locked: dict[str, Any], towns: Any) -> None:
    from payroll.selectors import annual_statements

    connection.set_tenant(towns["nakatosa"])
    mine = locked["mine"]
    statement = next(s for s in annual_statements(year=2026) if s.staff_number == "4001")
    assert statement.paid == mine.taxable
    assert statement.tax == mine.lines.get(code="income_tax").amount


def test_payment_report_api_csv(locked: dict[str, Any], client_for: Any) -> None:
    connection.set_schema_to_public()
    response = client_for("auditor", "nakatosa").get(
        "/api/v1/payroll/reports/2026/?format=csv&purpose=給与支払報告書の確認"
    )
    assert response.status_code == 200
    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert rows[0].startswith("職員番号")
    assert len(rows) == 3  # header + the two town-paid staff (not the 県費負担教職員)


def test_run_lists_page(locked: dict[str, Any], client_for: Any) -> None:
    connection.set_schema_to_public()
    body = client_for("auditor", "nakatosa").get(f"/payroll/runs/{locked['run'].public_id}/lists/").content.decode()
    assert "事業主負担" in body


def test_finance_post_without_finance_is_explained(locked: dict[str, Any], new_person: Any) -> None:
    officer = new_person("kyuyo_post", nakatosa="payroll_officer")
    connection.set_schema_to_public()
    from tests.conftest import make_client

    response = make_client("nakatosa.localhost", officer).post(f"/payroll/runs/{locked['run'].public_id}/post_finance/")
    try:
        import finance.services.external  # noqa: F401
    except ImportError:
        assert "財務会計モジュールが導入されていない" in response.content.decode()
    else:
        assert response.status_code in (302, 400)


def test_module_policy() -> None:
    from tenants.access import MODULES
    from tenants.models import Role

    assert MODULES["payroll"].roles == {Role.PAYROLL_OFFICER, Role.PERSONNEL_OFFICER, Role.AUDITOR}
    assert Role.TEACHER in MODULES["payslips"].roles  # every staff member sees their own payslips
    assert Role.VENDOR not in MODULES["payslips"].roles
    assert Role.COUNCIL_STAFF not in MODULES["payslips"].roles


def test_a_payment_report_for_an_impossible_year_is_refused_with_a_clear_error(client_for: Any) -> None:
    """Found by the API fuzz test: a year past what a date can hold answered 500."""
    response = client_for("auditor", "nakatosa").get("/api/v1/payroll/reports/99999999/?purpose=監査")
    assert response.status_code == 400
    assert response.json()["code"] == "report_year_invalid"
