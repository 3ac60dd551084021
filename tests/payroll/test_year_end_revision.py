"""再年末調整 (docs/domain/payroll.md §13.11): a locked 年末調整 done again for one staff member — recomputed from the
revised declaration, approved by a second person, locked, settled in a later 例月; the earlier result kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from common.models import AuditEvent
from payroll import year_end as rules
from payroll.models import Payslip, YearEndResult, YearEndRevision, YearEndRun
from payroll.selectors import annual_statements
from payroll.services import runs
from payroll.services import year_end as service
from payroll.services import year_end_revision as revision_service
from payroll.year_end_errors import (
    YearEndInputError,
    YearEndReadjustmentDeadline,
    YearEndSelfApproval,
    YearEndStateError,
)
from tests.conftest import make_client
from tests.payroll.factories import hire
from tests.payroll.test_year_end import locked_run
from tests.payroll.test_year_end_views import declaration_data

YEAR = 2026
JANUARY = date(2027, 1, 1)
FEBRUARY = date(2027, 2, 1)


@pytest.fixture(autouse=True)
def in_january() -> Iterator[None]:
    """The 再年末調整 of 2026 is made in January 2027, before its deadline (§13.11), whatever day the suite runs."""
    with time_machine.travel(datetime(2027, 1, 15, 10, tzinfo=ZoneInfo("Asia/Tokyo")), tick=False):
        yield


@pytest.fixture
def locked_year(officers: Any, table: Any) -> dict[str, Any]:
    """A staff member adjusted with one dependant, the 2026 年末調整 locked and settled in January."""
    officer, approver = officers
    # a 特別職 on a 報酬月額 of 2,000,000: enough pay in two months for an income tax to adjust
    staff = hire(officer, "5101", birth_date=date(1980, 4, 1), job_type="special", table_code="", grade=None,
                 step=None, monthly_amount=2_000_000)  # fmt: skip
    undeclared = hire(officer, "5102")
    service.record_declaration(actor=officer, staff=staff, year=YEAR, dependants_general=1)
    locked_run(officer, approver, date(2026, 11, 1), date(2026, 11, 20))
    locked_run(officer, approver, date(2026, 12, 1), date(2026, 12, 18))
    run = service.create_year_end_run(actor=officer, year=YEAR, settle_month=JANUARY)
    run = service.calculate_year_end(actor=officer, run=run)
    run = service.lock_year_end(actor=approver, run=service.approve_year_end(actor=approver, run=run))
    return {"run": run, "staff": staff, "undeclared": undeclared}


def readjusted(officer: Any, locked_year: dict[str, Any], **values: Any) -> YearEndRevision:
    return revision_service.calculate_readjustment(
        actor=officer, run=locked_year["run"], staff=locked_year["staff"], reason="12月の扶養親族の異動",
        settle_month=FEBRUARY, **values,
    )  # fmt: skip


def test_a_readjustment_recomputes_and_keeps_the_locked_result(officers: Any, locked_year: dict[str, Any]) -> None:
    officer, _ = officers
    staff = locked_year["staff"]
    before = YearEndResult.objects.get(run=locked_year["run"], staff=staff)
    snapshot = {f.name: getattr(before, f.name) for f in YearEndResult._meta.concrete_fields}
    revision = readjusted(officer, locked_year, dependants_general=2, life_new_general=80_000)
    expected = rules.adjust(rules.YearEndInput(year=YEAR, pay=before.pay, withheld=before.withheld,
                                               social_withheld=before.social, dependants_general=2,
                                               life_new_general=80_000))  # fmt: skip
    assert revision.sequence == 1
    assert revision.annual_tax == expected.annual_tax
    assert revision.previous_tax == before.annual_tax
    assert revision.difference == before.annual_tax - expected.annual_tax
    assert revision.difference > 0  # one more dependant and a 生命保険料控除: a refund
    assert revision.declaration["dependants_general"] == 2
    after = YearEndResult.objects.get(pk=before.pk)
    assert {f.name: getattr(after, f.name) for f in YearEndResult._meta.concrete_fields} == snapshot
    event = AuditEvent.objects.get(action="payroll.year_end_readjust")
    assert event.personal_data
    assert event.purpose == "再年末調整"


def test_recalculating_an_open_revision_replaces_it(officers: Any, locked_year: dict[str, Any]) -> None:
    officer, _ = officers
    readjusted(officer, locked_year, dependants_general=2)
    revision = readjusted(officer, locked_year, dependants_general=3)
    assert YearEndRevision.objects.count() == 1
    assert revision.declaration["dependants_general"] == 3


def test_the_revision_is_settled_in_its_month_and_the_statement_shows_it(
    officers: Any, locked_year: dict[str, Any]
) -> None:
    officer, approver = officers
    staff = locked_year["staff"]
    revision = readjusted(officer, locked_year, dependants_general=2)
    with pytest.raises(YearEndSelfApproval):
        revision_service.approve_readjustment(actor=officer, revision=revision)
    with pytest.raises(YearEndStateError):
        revision_service.lock_readjustment(actor=approver, revision=revision)
    revision = revision_service.approve_readjustment(actor=approver, revision=revision)
    revision = revision_service.lock_readjustment(actor=approver, revision=revision)
    locked_run(officer, approver, JANUARY, date(2027, 1, 20))
    february = runs.calculate_run(
        actor=officer, run=runs.create_run(actor=officer, kind="regular", pay_month=FEBRUARY, paid_on=date(2027, 2, 19))
    )
    line = Payslip.objects.get(run=february, staff=staff).lines.get(code="year_end_retax")
    assert line.amount == -revision.difference
    assert line.label == "再年末調整 還付(超過額)"
    assert line.note == "2026年分の再年末調整(第1回)"
    statement = next(s for s in annual_statements(year=YEAR) if s.staff_number == staff.number)
    assert statement.tax == revision.annual_tax
    # a second revision starts from the first one's 年税額 and declaration
    second = readjusted(officer, locked_year, dependants_general=2, earthquake=50_000)
    assert second.sequence == 2
    assert second.previous_tax == revision.annual_tax


def test_a_late_declaration_readjusts_someone_left_out(officers: Any, locked_year: dict[str, Any]) -> None:
    officer, _ = officers
    result = YearEndResult.objects.get(run=locked_year["run"], staff=locked_year["undeclared"])
    assert not result.adjusted
    revision = revision_service.calculate_readjustment(
        actor=officer, run=locked_year["run"], staff=locked_year["undeclared"], reason="申告書の遅延提出",
        settle_month=FEBRUARY,
    )  # fmt: skip
    assert revision.previous_tax == result.withheld
    assert revision.difference == result.withheld - revision.annual_tax


def test_refusals_write_nothing(officers: Any, locked_year: dict[str, Any], table: Any) -> None:
    officer, approver = officers
    events = AuditEvent.objects.count()
    with pytest.raises(YearEndInputError):  # no reason
        revision_service.calculate_readjustment(actor=officer, run=locked_year["run"], staff=locked_year["staff"],
                                                reason=" ", settle_month=FEBRUARY)  # fmt: skip
    with pytest.raises(YearEndInputError):  # a negative premium
        readjusted(officer, locked_year, earthquake=-1)
    with pytest.raises(YearEndInputError):  # a locked 例月 as the settlement month
        locked_run(officer, approver, JANUARY, date(2027, 1, 20))
        revision_service.calculate_readjustment(actor=officer, run=locked_year["run"], staff=locked_year["staff"],
                                                reason="証明書の追加", settle_month=JANUARY)  # fmt: skip
    assert not YearEndRevision.objects.exists()
    assert AuditEvent.objects.filter(action="payroll.year_end_readjust").count() == 0
    assert AuditEvent.objects.count() >= events


def test_an_open_year_end_is_not_readjusted(officers: Any, table: Any) -> None:
    officer, approver = officers
    staff = hire(officer, "5103")
    service.record_declaration(actor=officer, staff=staff, year=YEAR)
    locked_run(officer, approver, date(2026, 12, 1), date(2026, 12, 18))
    run = service.calculate_year_end(
        actor=officer, run=service.create_year_end_run(actor=officer, year=YEAR, settle_month=JANUARY)
    )
    with pytest.raises(YearEndStateError):
        revision_service.calculate_readjustment(actor=officer, run=run, staff=staff, reason="扶養の異動",
                                                settle_month=FEBRUARY)  # fmt: skip
    assert YearEndRun.objects.get(pk=run.pk).state == YearEndRun.State.REVIEW


def test_the_readjustment_page(officers: Any, locked_year: dict[str, Any], towns: Any) -> None:
    officer, approver = officers
    staff = locked_year["staff"]
    connection.set_schema_to_public()
    url = f"/payroll/year-end/{YEAR}/readjust/{staff.public_id}/"
    client = make_client("nakatosa.localhost", officer)
    page = client.get(url).content.decode()
    assert "精算済みの年税額" in page
    data = declaration_data(dependants_general="2", reason="12月の扶養親族の異動", settle_month="2027-02-01")
    response = client.post(url, data)
    assert response.status_code == 302
    approver_client = make_client("nakatosa.localhost", approver)
    assert approver_client.post(f"{url}approve/").status_code == 302
    assert approver_client.post(f"{url}lock/").status_code == 302
    connection.set_tenant(towns["nakatosa"])
    revision = YearEndRevision.objects.get(staff=staff)
    assert revision.locked
    assert revision.declaration["dependants_general"] == 2
    connection.set_schema_to_public()
    detail = client.get(f"/payroll/year-end/{YEAR}/").content.decode()
    assert "第1回" in detail


# --- the deadline: 31 January of the next year (§13.11) -------------------------------------------------------------


def test_the_deadline_is_31_january_moved_off_a_weekend() -> None:
    assert revision_service.readjustment_deadline(2024) == date(2025, 1, 31)  # a Friday
    assert revision_service.readjustment_deadline(2025) == date(2026, 2, 2)  # Saturday 31 → Monday (国税通則法10条②)
    assert revision_service.readjustment_deadline(2026) == date(2027, 2, 1)  # Sunday 31 → Monday


def test_a_readjustment_after_the_deadline_is_refused_and_nothing_written(
    officers: Any, locked_year: dict[str, Any]
) -> None:
    officer, _ = officers
    with pytest.raises(YearEndReadjustmentDeadline) as caught:
        readjusted(officer, locked_year, dependants_general=2, today=date(2027, 2, 2))
    assert caught.value.code == "payroll_year_end_readjust_deadline"
    assert "2026年分の再年末調整は2027年2月1日" in caught.value.message
    assert not YearEndRevision.objects.exists()
    assert not AuditEvent.objects.filter(action="payroll.year_end_readjust").exists()


def test_a_readjustment_on_the_last_day_is_made(officers: Any, locked_year: dict[str, Any]) -> None:
    officer, _ = officers
    assert readjusted(officer, locked_year, dependants_general=2, today=date(2027, 2, 1)).sequence == 1


def test_approval_and_lock_after_the_deadline_are_refused(officers: Any, locked_year: dict[str, Any]) -> None:
    officer, approver = officers
    revision = readjusted(officer, locked_year, dependants_general=2)
    with pytest.raises(YearEndReadjustmentDeadline):
        revision_service.approve_readjustment(actor=approver, revision=revision, today=date(2027, 2, 2))
    assert YearEndRevision.objects.get(pk=revision.pk).state == YearEndRevision.State.REVIEW
    revision = revision_service.approve_readjustment(actor=approver, revision=revision)
    with pytest.raises(YearEndReadjustmentDeadline):
        revision_service.lock_readjustment(actor=approver, revision=revision, today=date(2027, 2, 2))
    assert YearEndRevision.objects.get(pk=revision.pk).state == YearEndRevision.State.APPROVED
    assert not AuditEvent.objects.filter(action="payroll.year_end_readjust_lock").exists()


def test_the_page_refuses_a_readjustment_after_the_deadline(
    officers: Any, locked_year: dict[str, Any], towns: Any
) -> None:
    officer, _ = officers
    url = f"/payroll/year-end/{YEAR}/readjust/{locked_year['staff'].public_id}/"
    data = declaration_data(dependants_general="2", reason="12月の扶養親族の異動", settle_month="2027-03-01")
    with time_machine.travel(datetime(2027, 2, 2, 9, tzinfo=ZoneInfo("Asia/Tokyo")), tick=False):
        connection.set_schema_to_public()
        response = make_client("nakatosa.localhost", officer).post(url, data)
    assert response.status_code == 400
    assert "期限を過ぎたため、再年末調整はできません" in response.content.decode()
    connection.set_tenant(towns["nakatosa"])
    assert not YearEndRevision.objects.exists()
