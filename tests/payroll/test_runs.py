"""例月 and 賞与 runs (docs/domain/payroll.md §5–§7): amounts, review, approval, lock, corrections."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from common.models import AuditEvent
from payroll.errors import NegativeHours, PayrollInputError, RunLocked, RunStateError, SelfApproval, StepOutsideTable
from payroll.models import Payslip, PayslipLine, ResidentTaxNotice
from payroll.services import runs
from payroll.services.staff import record_appointment
from payroll.withholding import monthly_tax
from tests.payroll.factories import hire

JUNE = date(2026, 6, 1)
PAID = date(2026, 6, 19)


def lines(slip: Payslip) -> dict[str, int]:
    return {line.code: line.amount for line in slip.lines.all()}


def calculated(officer: Any, month: date = JUNE, paid_on: date = PAID, kind: str = "regular") -> Any:
    run = runs.create_run(actor=officer, kind=kind, pay_month=month, paid_on=paid_on)
    return runs.calculate_run(actor=officer, run=run)


def test_regular_pay_of_a_general_staff_member(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "1001", children=2, parents=1, rent=40_000, transit_pass=200_000)
    ResidentTaxNotice.objects.create(
        staff=staff, fiscal_year=2026, city_code="394017", city_name="中土佐町", annual=100_000
    )
    run = calculated(officer)
    slip = Payslip.objects.get(run=run, staff=staff)
    amounts = lines(slip)
    base = 150_000 + 10 * 1_500
    assert amounts["base"] == base
    assert amounts["family"] == 2 * 13_000 + 6_500
    # 住居: 27,000 − 16,000 = 11,000 plus half of 13,000 = 6,500 → 17,500.
    assert amounts["housing"] == 17_500
    assert amounts["commute"] == 150_000  # the pass capped
    assert amounts["resident_tax"] == 8_700  # June: 100,000 → 8,700 + 11 × 8,300
    assert "kyosai_care" not in amounts  # born 1990: not yet 40
    social = sum(v for k, v in amounts.items() if k.startswith("kyosai_"))
    assert amounts["income_tax"] == monthly_tax(slip.taxable - social, 0, PAID)
    assert slip.net == slip.gross - slip.deductions


def test_kyosai_uses_the_standard_remuneration_and_the_rates(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "1002", birth_date=date(1980, 1, 1))
    slip = Payslip.objects.get(run=calculated(officer), staff=staff)
    amounts = lines(slip)
    # 報酬 165,000 → 標準報酬月額 170,000 (165,000 … 175,000).
    assert slip.standard_remuneration == 170_000
    assert amounts["kyosai_short"] == int(Decimal(170_000) * Decimal("47.79") / 1000)
    assert amounts["kyosai_care"] == int(Decimal(170_000) * Decimal("8.9") / 1000)
    assert amounts["kyosai_pension"] == int(Decimal(170_000) * Decimal("91.5") / 1000)


def test_no_kyosai_during_childcare_leave(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "1003")
    record_appointment(actor=officer, staff=staff, effective_on=date(2026, 5, 1), kind="childcare")
    amounts = lines(Payslip.objects.get(run=calculated(officer), staff=staff))
    assert not [code for code in amounts if code.startswith("kyosai_")]
    assert amounts["base"] == 0


def test_prefectural_teachers_are_not_on_town_payroll(officers: Any, table: Any) -> None:
    officer, _ = officers
    teacher = hire(officer, "1004", job_type="pref_teacher", table_code="", grade=None, step=None)
    run = calculated(officer)
    assert not Payslip.objects.filter(run=run, staff=teacher).exists()


def test_hourly_fiscal_year_staff_with_employment_insurance(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(
        officer,
        "1005",
        job_type="fiscal_part_hourly",
        table_code="",
        grade=None,
        step=None,
        hourly_rate=1_100,
        employment_insurance=True,
    )
    runs.record_monthly_input(actor=officer, staff=staff, pay_month=JUNE, hours_worked=Decimal("80"))
    amounts = lines(Payslip.objects.get(run=calculated(officer), staff=staff))
    assert amounts["base"] == 88_000
    assert amounts["employment"] == 484  # 88,000 × 5.5‰
    assert "kyosai_short" not in amounts


def test_overtime(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "1006")
    runs.record_monthly_input(
        actor=officer, staff=staff, pay_month=JUNE, hours_125=Decimal("10"), hours_night=Decimal("2")
    )
    amounts = lines(Payslip.objects.get(run=calculated(officer), staff=staff))
    hourly = 165_000 * 12 // (3875 * 52 // 100)  # 165,000 × 12 ÷ 2,015 = 982
    assert hourly == 982
    assert amounts["overtime_hours_125"] == 12_275  # 10 × 982 × 1.25
    assert amounts["overtime_hours_night"] == 491  # 2 × 982 × 0.25


def test_negative_hours_are_refused_and_nothing_written(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "1007")
    with pytest.raises(NegativeHours):
        runs.record_monthly_input(actor=officer, staff=staff, pay_month=JUNE, hours_125=Decimal("-1"))
    assert not staff.monthly_inputs.exists()


def test_recalculation_is_idempotent(officers: Any, table: Any) -> None:
    officer, _ = officers
    hire(officer, "1008")
    run = calculated(officer)
    first = list(PayslipLine.objects.filter(payslip__run=run).values_list("code", "amount").order_by("code"))
    runs.calculate_run(actor=officer, run=run)
    again = list(PayslipLine.objects.filter(payslip__run=run).values_list("code", "amount").order_by("code"))
    assert again == first
    assert Payslip.objects.filter(run=run).count() == 1


def test_no_self_approval(officers: Any, table: Any) -> None:
    officer, _ = officers
    hire(officer, "1009")
    run = calculated(officer)
    with pytest.raises(SelfApproval):
        runs.approve_run(actor=officer, run=run)


def test_a_locked_run_never_changes(officers: Any, table: Any) -> None:
    officer, approver = officers
    hire(officer, "1010")
    run = calculated(officer)
    runs.approve_run(actor=approver, run=run)
    runs.lock_run(actor=approver, run=run)
    with pytest.raises(RunLocked):
        runs.calculate_run(actor=officer, run=run)
    with pytest.raises(RunLocked):
        runs.create_run(actor=officer, kind="regular", pay_month=JUNE, paid_on=PAID)


def test_lock_needs_approval(officers: Any, table: Any) -> None:
    officer, _ = officers
    hire(officer, "1011")
    with pytest.raises(RunStateError):
        runs.lock_run(actor=officer, run=calculated(officer))


def test_correction_is_paid_visibly_in_the_next_run(officers: Any, table: Any) -> None:
    officer, approver = officers
    staff = hire(officer, "1012")
    june = calculated(officer)
    runs.approve_run(actor=approver, run=june)
    runs.lock_run(actor=approver, run=june)
    runs.record_correction(actor=officer, staff=staff, corrects_run=june, label="6月分給料の不足", amount=3_000)
    july = calculated(officer, date(2026, 7, 1), date(2026, 7, 17))
    slip = Payslip.objects.get(run=july, staff=staff)
    line = slip.lines.get(code="correction")
    assert line.amount == 3_000
    assert line.label == "過誤調整: 6月分給料の不足"
    assert {"code": "correction", "before": 0, "after": 3_000, "reason": "過誤調整・差額支給"} in slip.changes


def test_review_highlights_a_raise_with_its_reason(officers: Any, table: Any) -> None:
    officer, approver = officers
    staff = hire(officer, "1013")
    june = calculated(officer)
    runs.approve_run(actor=approver, run=june)
    runs.lock_run(actor=approver, run=june)
    record_appointment(actor=officer, staff=staff, effective_on=date(2026, 7, 1), kind="raise", step=14)
    slip = Payslip.objects.get(run=calculated(officer, date(2026, 7, 1), date(2026, 7, 17)), staff=staff)
    change = next(c for c in slip.changes if c["code"] == "base")
    assert change["after"] - change["before"] == 4 * 1_500
    assert change["reason"] == "発令(昇給 2026-07-01)"


def test_a_step_outside_the_table_is_refused(officers: Any, table: Any) -> None:
    officer, _ = officers
    with pytest.raises(StepOutsideTable):
        hire(officer, "1014", step=99)


def test_the_run_is_audited_as_personal_data(officers: Any, table: Any) -> None:
    officer, _ = officers
    hire(officer, "1015")
    run = calculated(officer)
    event = AuditEvent.objects.filter(action="payroll.run_calculate", object_id=str(run.pk)).get()
    assert event.purpose == "給与計算"


def test_bonus_run(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "1016", children=1, hired_on=date(2026, 1, 1))
    run = calculated(officer, kind="bonus")
    amounts = lines(Payslip.objects.get(run=run, staff=staff))
    # hired 1 January: 在職期間 5 months → 80 %; 期末 = (165,000 + 13,000) × 1.25 × 0.8. 勤務期間 5箇月1日 → 期間率
    # 90/100 (勤勉手当期間率表, §5.6a); 勤勉 = 165,000 × 1.05 × 0.9.
    assert amounts["kimatsu"] == 178_000
    assert amounts["kinben"] == 155_925
    # no salary paid in the previous month: the 月額表 on a sixth of the bonus (§1.5), under 105,000 → 0.
    assert amounts["income_tax"] == 0


def test_calculation_runs_as_a_background_job(officers: Any, table: Any) -> None:
    from common import jobs

    officer, _ = officers
    hire(officer, "1017")
    run = runs.create_run(actor=officer, kind="regular", pay_month=JUNE, paid_on=PAID)
    job = runs.start_calculation(actor=officer, run=run)
    finished = jobs.run_job(job.pk)
    assert finished is not None
    assert finished.result["payslips"] == 1
    assert Payslip.objects.filter(run=run).count() == 1


def test_monthly_inputs_from_csv(officers: Any, table: Any) -> None:
    officer, _ = officers
    first = hire(officer, "1018")
    hire(officer, "1019")
    text = "職員番号,125%,135%,150%,175%,深夜,勤務時間,成績率\n1018,10,,,,2,,\n1019,0,4,,,,,1.1\n"
    assert runs.record_monthly_inputs_csv(actor=officer, pay_month=JUNE, text=text) == 2
    row = first.monthly_inputs.get()
    assert row.hours_125 == Decimal(10)
    assert row.kinben_rate is None


def test_monthly_inputs_csv_with_a_negative_hour_writes_nothing(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "1020")
    text = "1020,5\n1020x,1\n"
    with pytest.raises(PayrollInputError):
        runs.record_monthly_inputs_csv(actor=officer, pay_month=JUNE, text="1020,5\n1020,-1\n")
    with pytest.raises(PayrollInputError):
        runs.record_monthly_inputs_csv(actor=officer, pay_month=JUNE, text=text)
    assert not staff.monthly_inputs.exists()
