"""日割 (docs/domain/payroll.md §4a), 地域手当 (§5.7), 特殊勤務手当 (§5.8), 期末手当 of hourly 会計年度任用職員
(§5.9) and the 発令 refused in a locked month (§3.6).

The table of tests.payroll.factories pays 1級10号給 165,000 yen and 1級14号給 171,000 yen. April 2026 has 30 days,
8 of them Saturdays or Sundays: 22 勤務日.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from common.models import TownSetting
from payroll import proration
from payroll.errors import AppointmentInLockedMonth, NegativeCount, UnknownSpecialDuty
from payroll.models import Appointment, Payslip, SpecialDutyEntry, Staff
from payroll.services import runs
from payroll.services.salary_tables import approve_salary_table, import_salary_table
from payroll.services.special_duty import record_special_duties_csv, record_special_duty
from payroll.services.staff import record_appointment
from tests.payroll.factories import TABLE, hire, hire_hourly, salary_csv

APRIL = date(2026, 4, 1)


def setting(key: str, value: str) -> None:
    TownSetting.objects.create(key=key, value=value, effective_from=date(2020, 1, 1))


def slip_of(officer: Any, staff: Any, month: date = APRIL, kind: str = "regular") -> Payslip:
    paid_on = month.replace(day=30) if kind == "bonus" else month.replace(day=17)
    run = runs.create_run(actor=officer, kind=kind, pay_month=month, paid_on=paid_on)
    return Payslip.objects.get(run=runs.calculate_run(actor=officer, run=run), staff=staff)


def amounts(slip: Payslip) -> dict[str, int]:
    return {line.code: line.amount for line in slip.lines.all()}


def locked_month(officers: Any, month: date) -> Any:
    officer, approver = officers
    run = runs.create_run(actor=officer, kind="regular", pay_month=month, paid_on=month.replace(day=17))
    run = runs.approve_run(actor=approver, run=runs.calculate_run(actor=officer, run=run))
    return runs.lock_run(actor=approver, run=run)


# --- 日割 (§4a) -----------------------------------------------------------------------------------------------------


def test_working_days_leave_out_saturdays_and_sundays() -> None:
    assert proration.counted_days(date(2026, 4, 1), date(2026, 4, 30), proration.WORKING) == 22


def test_a_public_holiday_stays_a_paid_day() -> None:
    # 2026-04-29 (昭和の日) is a Wednesday: counted (休日 are paid days; only 週休日 are left out).
    assert proration.counted_days(date(2026, 4, 27), date(2026, 4, 30), proration.WORKING) == 4


def test_calendar_days_count_every_day() -> None:
    assert proration.counted_days(date(2026, 4, 15), date(2026, 4, 30), proration.CALENDAR) == 16


def test_an_unknown_basis_is_a_bad_setting() -> None:
    with pytest.raises(Exception) as raised:
        proration.counted_days(APRIL, APRIL, "weekly")
    assert getattr(raised.value, "code", "") == "payroll_bad_setting"


def test_hired_after_the_first_is_paid_by_the_day(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "7001", hired_on=date(2026, 4, 15), children=1)
    slip = slip_of(officer, staff)
    assert amounts(slip)["base"] == 165_000 * 12 // 22  # 15–30 April: 12 勤務日 of 22 = 90,000


def test_a_mid_month_hire_gets_the_fixed_allowances_from_the_next_month(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "7002", hired_on=date(2026, 4, 15), children=1)
    assert "family" not in amounts(slip_of(officer, staff))


def test_the_review_shows_the_reason_of_the_day_rate(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "7003", hired_on=date(2026, 4, 15))
    slip = slip_of(officer, staff)
    reason = next(change["reason"] for change in slip.changes if change["code"] == "prorate")
    assert reason == "日割計算: 採用 2026-04-15(在職 12日 / 基礎 22日)"


def test_the_payslip_line_names_the_day_rate(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "7004", hired_on=date(2026, 4, 15))
    line = slip_of(officer, staff).lines.get(code="base")
    assert line.note == "gyosei1 日割 12/22日(勤務日(現日数−週休日))"


def test_the_calendar_basis_is_the_towns_choice(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting("payroll.prorate_basis", "calendar")
    staff = hire(officer, "7005", hired_on=date(2026, 4, 15))
    assert amounts(slip_of(officer, staff))["base"] == 165_000 * 16 // 30


def test_leaving_mid_month_pays_up_to_the_last_day(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "7006")
    record_appointment(actor=officer, staff=staff, effective_on=date(2026, 4, 16), kind="leaving")
    assert amounts(slip_of(officer, staff))["base"] == 165_000 * 11 // 22  # 1–15 April: 11 勤務日


def test_no_kyosai_in_the_month_membership_is_lost(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "7007")
    record_appointment(actor=officer, staff=staff, effective_on=date(2026, 4, 16), kind="leaving")
    assert "kyosai_short" not in amounts(slip_of(officer, staff))


def test_a_raise_mid_month_pays_each_amount_for_its_days(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "7008")
    record_appointment(actor=officer, staff=staff, effective_on=date(2026, 4, 15), kind="raise", step=14)
    # 1–14 April: 10 勤務日 at 165,000; 15–30 April: 12 at 171,000; 1円未満切捨て once.
    assert amounts(slip_of(officer, staff))["base"] == (165_000 * 10 + 171_000 * 12) // 22


def test_leave_from_mid_month_pays_the_days_before(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "7009")
    record_appointment(actor=officer, staff=staff, effective_on=date(2026, 4, 15), kind="leave", leave_reason="unpaid")
    assert amounts(slip_of(officer, staff))["base"] == 165_000 * 10 // 22


def test_return_from_leave_mid_month_pays_the_days_after(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "7010")
    record_appointment(actor=officer, staff=staff, effective_on=date(2026, 3, 1), kind="childcare")
    record_appointment(actor=officer, staff=staff, effective_on=date(2026, 4, 15), kind="return")
    assert amounts(slip_of(officer, staff))["base"] == 165_000 * 12 // 22


def test_a_whole_month_is_not_prorated(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "7011")
    assert slip_of(officer, staff).lines.get(code="base").note == "gyosei1"


def test_a_retroactive_table_pays_the_difference_of_a_month_paid_by_the_day(officers: Any, table: Any) -> None:
    officer, approver = officers
    hire(officer, "7012", hired_on=date(2026, 4, 15))
    locked_month(officers, APRIL)
    version = import_salary_table(
        actor=officer,
        table_code=TABLE,
        table_name="行政職給料表(一)",
        effective_from=APRIL,
        text=salary_csv(raise_=500),
    )
    differences = approve_salary_table(actor=approver, version=version)
    # 12 of 22 勤務日 at 165,500 instead of 165,000: 90,272 − 90,000.
    assert [d.amount for d in differences] == [165_500 * 12 // 22 - 165_000 * 12 // 22]


# --- 地域手当 (§5.7) ------------------------------------------------------------------------------------------------


def test_no_regional_allowance_by_default(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "7101", children=1)
    assert "regional" not in amounts(slip_of(officer, staff))


def test_regional_allowance_on_pay_family_and_manager_allowance(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting("payroll.regional.rate", "10")
    staff = hire(officer, "7102", children=1)
    assert amounts(slip_of(officer, staff))["regional"] == (165_000 + 13_000) // 10


def test_regional_allowance_enters_the_hourly_rate_of_overtime(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting("payroll.regional.rate", "10")
    staff = hire(officer, "7103", children=1)
    runs.record_monthly_input(actor=officer, staff=staff, pay_month=APRIL, hours_125=Decimal(10))
    # (165,000 + 16,500) × 12 ÷ (38.75 × 52) = 1,080 (切捨て); × 10 h × 1.25 = 13,500. 扶養手当 is not in the base.
    assert amounts(slip_of(officer, staff))["overtime_hours_125"] == 13_500


def test_regional_allowance_enters_the_kimatsu_base(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting("payroll.regional.rate", "10")
    staff = hire(officer, "7104", children=1)
    slip = slip_of(officer, staff, date(2026, 6, 1), "bonus")
    assert amounts(slip)["kimatsu"] == (165_000 + 13_000 + 17_800) * 125 // 100


def test_regional_allowance_enters_the_kinben_base(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting("payroll.regional.rate", "10")
    staff = hire(officer, "7105", children=1)
    slip = slip_of(officer, staff, date(2026, 6, 1), "bonus")
    assert amounts(slip)["kinben"] == (165_000 + 16_500) * 105 // 100


# --- 特殊勤務手当 (§5.8) --------------------------------------------------------------------------------------------

KINDS = "kiken:危険作業手当:day:290;bouei:防疫作業手当:time:1000"


def test_special_duty_is_paid_per_day(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting("payroll.special_duty.kinds", KINDS)
    staff = hire(officer, "7201")
    record_special_duty(actor=officer, staff=staff, pay_month=APRIL, kind_code="kiken", count=3)
    assert amounts(slip_of(officer, staff))["special:kiken"] == 870


def test_special_duty_line_shows_the_count_and_unit_amount(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting("payroll.special_duty.kinds", KINDS)
    staff = hire(officer, "7207")
    record_special_duty(actor=officer, staff=staff, pay_month=APRIL, kind_code="bouei", count=2)
    assert slip_of(officer, staff).lines.get(code="special:bouei").note == "2回 × 1000円"


def test_an_unknown_special_duty_kind_is_refused(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting("payroll.special_duty.kinds", KINDS)
    staff = hire(officer, "7202")
    with pytest.raises(UnknownSpecialDuty):
        record_special_duty(actor=officer, staff=staff, pay_month=APRIL, kind_code="tokushu", count=1)
    assert not SpecialDutyEntry.objects.exists()


def test_a_negative_special_duty_count_is_refused(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting("payroll.special_duty.kinds", KINDS)
    staff = hire(officer, "7203")
    with pytest.raises(NegativeCount):
        record_special_duty(actor=officer, staff=staff, pay_month=APRIL, kind_code="kiken", count=-1)
    assert not SpecialDutyEntry.objects.exists()


def test_special_duty_csv_writes_all_rows_or_none(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting("payroll.special_duty.kinds", KINDS)
    hire(officer, "7204")
    with pytest.raises(Exception) as raised:
        text = "職員番号,種類,回数\n7204,kiken,2\n7204,bouei,-1\n"
        record_special_duties_csv(actor=officer, pay_month=APRIL, text=text)
    assert getattr(raised.value, "code", "") == "payroll_special_duty_csv_invalid"
    assert not SpecialDutyEntry.objects.exists()


def test_special_duty_csv_records_the_month(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting("payroll.special_duty.kinds", KINDS)
    hire(officer, "7205")
    assert record_special_duties_csv(actor=officer, pay_month=APRIL, text="7205,kiken,2\n7205,bouei,1\n") == 2


def test_special_duty_in_a_locked_month_is_refused(officers: Any, table: Any) -> None:
    officer, _ = officers
    setting("payroll.special_duty.kinds", KINDS)
    staff = hire(officer, "7206")
    locked_month(officers, APRIL)
    with pytest.raises(Exception) as raised:
        record_special_duty(actor=officer, staff=staff, pay_month=APRIL, kind_code="kiken", count=1)
    assert getattr(raised.value, "code", "") == "payroll_run_locked"


# --- 期末手当 of hourly 会計年度任用職員 (§5.9) ---------------------------------------------------------------------


def hourly(officer: Any, number: str, weekly_hours: str) -> Any:
    return hire_hourly(officer, number, weekly_hours=weekly_hours)


@pytest.fixture
def hourly_staff(officers: Any, table: Any) -> dict[str, Any]:
    officer, _ = officers
    staff = {"long": hourly(officer, "7301", "20"), "short": hourly(officer, "7302", "10")}
    for month, hours in ((4, 80), (5, 100)):
        for member in staff.values():
            runs.record_monthly_input(
                actor=officer, staff=member, pay_month=date(2026, month, 1), hours_worked=Decimal(hours)
            )
        locked_month(officers, date(2026, month, 1))
    return staff


def test_hourly_staff_get_kimatsu_on_their_average_monthly_pay(officers: Any, hourly_staff: dict[str, Any]) -> None:
    officer, _ = officers
    slip = slip_of(officer, hourly_staff["long"], date(2026, 6, 1), "bonus")
    # (80,000 + 100,000) ÷ 2 months = 90,000 × 1.25 months × 在職期間率 1.
    assert amounts(slip)["kimatsu"] == 112_500


def test_hourly_staff_get_no_kinben(officers: Any, hourly_staff: dict[str, Any]) -> None:
    officer, _ = officers
    slip = slip_of(officer, hourly_staff["long"], date(2026, 6, 1), "bonus")
    assert "kinben" not in amounts(slip)


def test_hourly_staff_under_the_weekly_threshold_get_no_kimatsu(officers: Any, hourly_staff: dict[str, Any]) -> None:
    officer, _ = officers
    run = runs.create_run(actor=officer, kind="bonus", pay_month=date(2026, 6, 1), paid_on=date(2026, 6, 30))
    runs.calculate_run(actor=officer, run=run)
    assert not Payslip.objects.filter(run=run, staff=hourly_staff["short"]).exists()


# --- 発令 in a locked month (§3.6) ----------------------------------------------------------------------------------


def test_an_appointment_in_a_locked_month_is_refused(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "7401")
    locked_month(officers, APRIL)
    with pytest.raises(AppointmentInLockedMonth):
        record_appointment(actor=officer, staff=staff, effective_on=date(2026, 4, 20), kind="raise", step=14)
    assert Appointment.objects.filter(staff=staff).count() == 1


def test_a_hire_in_a_locked_month_is_refused(officers: Any, table: Any) -> None:
    officer, _ = officers
    locked_month(officers, APRIL)
    with pytest.raises(AppointmentInLockedMonth):
        hire(officer, "7402", hired_on=date(2026, 4, 20))
    assert not Staff.objects.filter(number="7402").exists()
