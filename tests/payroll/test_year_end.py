"""The 年末調整 run (docs/domain/payroll.md §13.8–§13.10): declarations, calculate → review → approval by a second
person → lock, the settlement in the next 例月, and the adjusted 源泉徴収票."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from common.models import AuditEvent
from payroll import year_end as rules
from payroll.models import PayRun, Payslip, PayslipLine, YearEndDeclaration, YearEndResult, YearEndRun
from payroll.selectors import annual_statements
from payroll.services import runs
from payroll.services import year_end as service
from payroll.services.staff import record_appointment
from payroll.year_end_errors import (
    YearEndInputError,
    YearEndLocked,
    YearEndNoLockedRuns,
    YearEndOpenRuns,
    YearEndSelfApproval,
    YearEndStateError,
    YearEndYearUnsupported,
)
from tests.payroll.factories import hire

YEAR = 2026
JANUARY = date(2027, 1, 1)


def locked_run(officer: Any, approver: Any, month: date, paid_on: date, kind: str = "regular") -> PayRun:
    run = runs.create_run(actor=officer, kind=kind, pay_month=month, paid_on=paid_on)
    run = runs.calculate_run(actor=officer, run=run)
    return runs.lock_run(actor=approver, run=runs.approve_run(actor=approver, run=run))


@pytest.fixture
def year(officers: Any, table: Any) -> dict[str, Any]:
    """Three staff paid in November and December 2026 (locked): one declared, one not, one on the 乙欄."""
    officer, approver = officers
    declared = hire(officer, "5001", birth_date=date(1980, 4, 1), rent=40_000)
    undeclared = hire(officer, "5002")
    second = hire(officer, "5003")
    second.withholding_column = "乙"
    second.save(update_fields=["withholding_column"])
    service.record_declaration(actor=officer, staff=declared, year=YEAR, has_spouse=True, dependants_general=1,
                               life_new_general=100_000, earthquake=30_000)  # fmt: skip
    service.record_declaration(actor=officer, staff=second, year=YEAR)
    locked_run(officer, approver, date(2026, 11, 1), date(2026, 11, 20))
    locked_run(officer, approver, date(2026, 12, 1), date(2026, 12, 18))
    return {"declared": declared, "undeclared": undeclared, "second": second}


def yearly(staff: Any, code: str) -> int:
    return sum(
        PayslipLine.objects.filter(payslip__staff=staff, payslip__run__paid_on__year=YEAR, code=code).values_list(
            "amount", flat=True
        )
    )


def calculated(officer: Any) -> YearEndRun:
    run = service.create_year_end_run(actor=officer, year=YEAR, settle_month=JANUARY)
    return service.calculate_year_end(actor=officer, run=run)


def test_the_adjustment_uses_the_locked_runs_and_the_declaration(officers: Any, year: dict[str, Any]) -> None:
    officer, _ = officers
    staff = year["declared"]
    result = YearEndResult.objects.get(run=calculated(officer), staff=staff)
    pay = sum(Payslip.objects.filter(staff=staff).values_list("taxable", flat=True))
    social = sum(yearly(staff, code) for code in ("kyosai_short", "kyosai_care", "kyosai_pension",
                                                  "kyosai_retirement", "kyosai_welfare"))  # fmt: skip
    expected = rules.adjust(rules.YearEndInput(year=YEAR, pay=pay, withheld=yearly(staff, "income_tax"),
                                               social_withheld=social, has_spouse=True, dependants_general=1,
                                               life_new_general=100_000, earthquake=30_000))  # fmt: skip
    assert result.adjusted
    assert result.pay == pay
    assert result.withheld == yearly(staff, "income_tax")
    assert result.social == social
    assert result.spouse == 380_000
    assert result.life_insurance == 40_000
    assert result.annual_tax == expected.annual_tax
    assert result.difference == result.withheld - result.annual_tax


def test_staff_without_declaration_or_on_the_otsu_column_are_listed_as_not_adjusted(
    officers: Any, year: dict[str, Any]
) -> None:
    officer, _ = officers
    run = calculated(officer)
    undeclared = YearEndResult.objects.get(run=run, staff=year["undeclared"])
    second = YearEndResult.objects.get(run=run, staff=year["second"])
    assert not undeclared.adjusted
    assert undeclared.excluded_reason == "年末調整の申告が未入力"
    assert second.excluded_reason.startswith("乙欄")
    assert run.totals["adjusted"] == 1


def test_staff_who_left_before_the_year_end_are_not_adjusted(officers: Any, table: Any) -> None:
    officer, approver = officers
    leaver = hire(officer, "5010")
    service.record_declaration(actor=officer, staff=leaver, year=YEAR)
    # Entered before November's run is locked: a 発令 dated in a locked month is refused (payroll.md §3.6).
    record_appointment(actor=officer, staff=leaver, effective_on=date(2026, 11, 30), kind="leaving")
    locked_run(officer, approver, date(2026, 11, 1), date(2026, 11, 20))
    result = YearEndResult.objects.get(run=calculated(officer), staff=leaver)
    assert result.excluded_reason.startswith("12月31日")


def test_a_year_with_an_open_run_is_refused_and_writes_nothing(officers: Any, year: dict[str, Any]) -> None:
    officer, _ = officers
    runs.create_run(actor=officer, kind="bonus", pay_month=date(2026, 12, 1), paid_on=date(2026, 12, 10))
    run = service.create_year_end_run(actor=officer, year=YEAR, settle_month=JANUARY)
    with pytest.raises(YearEndOpenRuns):
        service.calculate_year_end(actor=officer, run=run)
    assert not YearEndResult.objects.exists()


def test_a_year_without_locked_runs_is_refused(officers: Any, table: Any) -> None:
    officer, _ = officers
    run = service.create_year_end_run(actor=officer, year=2025, settle_month=date(2026, 1, 1))
    with pytest.raises(YearEndNoLockedRuns):
        service.calculate_year_end(actor=officer, run=run)
    assert not YearEndResult.objects.exists()


def test_an_unsupported_year_is_refused(officers: Any) -> None:
    with pytest.raises(YearEndYearUnsupported):
        service.create_year_end_run(actor=officers[0], year=2024, settle_month=date(2025, 1, 1))
    assert not YearEndRun.objects.exists()


def test_the_settlement_month_must_come_after_the_year(officers: Any) -> None:
    with pytest.raises(YearEndInputError):
        service.create_year_end_run(actor=officers[0], year=YEAR, settle_month=date(2026, 12, 1))
    assert not YearEndRun.objects.exists()


def test_the_calculator_cannot_approve(officers: Any, year: dict[str, Any]) -> None:
    officer, _ = officers
    run = calculated(officer)
    with pytest.raises(YearEndSelfApproval):
        service.approve_year_end(actor=officer, run=run)
    assert YearEndRun.objects.get(pk=run.pk).state == YearEndRun.State.REVIEW


def test_lock_needs_approval(officers: Any, year: dict[str, Any]) -> None:
    officer, _ = officers
    with pytest.raises(YearEndStateError):
        service.lock_year_end(actor=officer, run=calculated(officer))


def test_the_difference_is_settled_in_the_january_regular_run(officers: Any, year: dict[str, Any]) -> None:
    officer, approver = officers
    run = service.approve_year_end(actor=approver, run=calculated(officer))
    service.lock_year_end(actor=approver, run=run)
    result = YearEndResult.objects.get(run=run, staff=year["declared"])
    january = runs.calculate_run(
        actor=officer, run=runs.create_run(actor=officer, kind="regular", pay_month=JANUARY, paid_on=date(2027, 1, 20))
    )
    slip = Payslip.objects.get(run=january, staff=year["declared"])
    line = slip.lines.get(code="year_end_tax")
    assert result.difference != 0
    assert line.amount == -result.difference
    assert line.note == "2026年分の年末調整"
    assert not Payslip.objects.get(run=january, staff=year["undeclared"]).lines.filter(code="year_end_tax").exists()


def test_the_withholding_statement_shows_the_adjusted_tax(officers: Any, year: dict[str, Any]) -> None:
    officer, approver = officers
    run = service.lock_year_end(actor=approver, run=service.approve_year_end(actor=approver, run=calculated(officer)))
    result = YearEndResult.objects.get(run=run, staff=year["declared"])
    statement = next(s for s in annual_statements(year=YEAR) if s.staff_number == "5001")
    unadjusted = next(s for s in annual_statements(year=YEAR) if s.staff_number == "5002")
    assert statement.tax == result.annual_tax
    assert statement.year_end == result
    assert unadjusted.tax == yearly(year["undeclared"], "income_tax")


def test_a_locked_year_takes_no_more_declarations(officers: Any, year: dict[str, Any]) -> None:
    officer, approver = officers
    service.lock_year_end(actor=approver, run=service.approve_year_end(actor=approver, run=calculated(officer)))
    with pytest.raises(YearEndLocked):
        service.record_declaration(actor=officer, staff=year["undeclared"], year=YEAR)
    assert not YearEndDeclaration.objects.filter(staff=year["undeclared"]).exists()


def test_a_negative_premium_is_refused_and_writes_nothing(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "5020")
    events = AuditEvent.objects.count()
    with pytest.raises(YearEndInputError) as error:
        service.record_declaration(actor=officer, staff=staff, year=YEAR, earthquake=-5_000)
    assert error.value.details["field"] == "earthquake"
    assert not YearEndDeclaration.objects.filter(staff=staff).exists()
    assert AuditEvent.objects.count() == events


def test_a_declaration_is_audited_as_personal_data(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "5021")
    service.record_declaration(actor=officer, staff=staff, year=YEAR, dependants_specific=1)
    event = AuditEvent.objects.filter(action="payroll.year_end_declaration").latest("pk")
    assert event.personal_data
    assert event.purpose == "年末調整の申告の入力"


def test_approval_without_an_identified_second_person_is_refused(officers: Any, year: dict[str, Any]) -> None:
    from payroll.year_end_errors import YearEndApproverMissing

    run = calculated(officers[0])
    with pytest.raises(YearEndApproverMissing):
        service.approve_year_end(actor=None, run=run)
    assert YearEndRun.objects.get(pk=run.pk).approved_by_id is None


def test_recalculation_replaces_the_results(officers: Any, year: dict[str, Any]) -> None:
    officer, _ = officers
    run = calculated(officer)
    service.record_declaration(actor=officer, staff=year["undeclared"], year=YEAR)
    service.calculate_year_end(actor=officer, run=run)
    assert YearEndResult.objects.filter(run=run).count() == 3
    assert YearEndResult.objects.get(run=run, staff=year["undeclared"]).adjusted
