"""共済掛金 during 育児休業 (docs/domain/payroll.md §6.1a): the 月末 rule, the 14-day rule within a month, and the
bonus rule (the payment month's last day and more than one month)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from payroll import childcare
from payroll.childcare import LeavePeriod
from payroll.models import Payslip
from payroll.services import runs
from payroll.services.staff import record_appointment
from tests.payroll.factories import hire

JUNE = date(2026, 6, 1)


def kyosai_codes(officer: Any, staff: Any, *, kind: str = "regular", paid_on: date = date(2026, 6, 19)) -> list[str]:
    run = runs.create_run(actor=officer, kind=kind, pay_month=JUNE, paid_on=paid_on)
    run = runs.calculate_run(actor=officer, run=run)
    slip = Payslip.objects.get(run=run, staff=staff)
    return sorted(line.code for line in slip.lines.all() if line.code.startswith("kyosai_"))


def childcare_leave(officer: Any, staff: Any, start: date, back: date | None) -> None:
    record_appointment(actor=officer, staff=staff, effective_on=start, kind="childcare")
    if back is not None:
        record_appointment(actor=officer, staff=staff, effective_on=back, kind="return")


# --- the rule functions ------------------------------------------------------------------------------------------


def test_leave_periods_from_the_appointments() -> None:
    rows = [
        SimpleNamespace(effective_on=date(2026, 1, 1), status="active"),
        SimpleNamespace(effective_on=date(2026, 6, 8), status="childcare"),
        SimpleNamespace(effective_on=date(2026, 6, 15), status="childcare"),  # a 給与改定 during the leave
        SimpleNamespace(effective_on=date(2026, 6, 22), status="active"),
        SimpleNamespace(effective_on=date(2026, 9, 1), status="childcare"),
    ]
    assert childcare.leave_periods(rows) == [
        LeavePeriod(date(2026, 6, 8), date(2026, 6, 21)),
        LeavePeriod(date(2026, 9, 1), None),
    ]


def test_month_end_and_fourteen_days() -> None:
    assert childcare.monthly_exemption([LeavePeriod(date(2026, 6, 30), None)], JUNE)  # holds 30 June
    assert childcare.monthly_exemption([LeavePeriod(date(2026, 6, 8), date(2026, 6, 21))], JUNE)  # 14 days
    assert not childcare.monthly_exemption([LeavePeriod(date(2026, 6, 8), date(2026, 6, 20))], JUNE)  # 13 days
    # two short leaves in the month are added together: 7 + 7 days
    two = [LeavePeriod(date(2026, 6, 1), date(2026, 6, 7)), LeavePeriod(date(2026, 6, 15), date(2026, 6, 21))]
    assert childcare.days_within_month(two, JUNE) == 14
    assert childcare.monthly_exemption(two, JUNE)
    # a leave that began in May and ends in June: June is neither 月末 nor a leave within June
    assert not childcare.monthly_exemption([LeavePeriod(date(2026, 5, 10), date(2026, 6, 25))], JUNE)


def test_bonus_only_when_the_leave_holds_the_month_end_and_exceeds_one_month() -> None:
    paid = date(2026, 6, 30)
    # 10 June – 9 July is exactly one month (民法143条): not more than one month
    assert not childcare.bonus_exemption([LeavePeriod(date(2026, 6, 10), date(2026, 7, 9))], paid)
    assert childcare.bonus_exemption([LeavePeriod(date(2026, 6, 10), date(2026, 7, 10))], paid)
    assert childcare.bonus_exemption([LeavePeriod(date(2026, 6, 10), None)], paid)
    # 14 days within June exempt the 例月 but never a bonus
    assert not childcare.bonus_exemption([LeavePeriod(date(2026, 6, 8), date(2026, 6, 21))], paid)
    assert childcare._one_month_after(date(2026, 1, 31)) == date(2026, 2, 28)


# --- in the runs -------------------------------------------------------------------------------------------------


def test_fourteen_days_of_leave_within_the_month_carry_no_kyosai(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "6101")
    childcare_leave(officer, staff, date(2026, 6, 8), date(2026, 6, 22))  # 8–21 June: 14 days
    assert kyosai_codes(officer, staff) == []


def test_thirteen_days_of_leave_within_the_month_pay_kyosai(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "6102")
    childcare_leave(officer, staff, date(2026, 6, 8), date(2026, 6, 21))  # 8–20 June: 13 days
    assert "kyosai_short" in kyosai_codes(officer, staff)


def test_a_return_in_the_month_pays_the_month(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "6103")
    childcare_leave(officer, staff, date(2026, 5, 10), date(2026, 6, 26))
    assert "kyosai_short" in kyosai_codes(officer, staff)


def test_the_review_names_the_exemption(officers: Any, table: Any) -> None:
    officer, approver = officers
    staff = hire(officer, "6104")
    may = runs.calculate_run(
        actor=officer,
        run=runs.create_run(actor=officer, kind="regular", pay_month=date(2026, 5, 1), paid_on=date(2026, 5, 19)),
    )
    runs.approve_run(actor=approver, run=may)
    runs.lock_run(actor=officer, run=may)
    childcare_leave(officer, staff, date(2026, 6, 8), date(2026, 6, 22))
    run = runs.calculate_run(
        actor=officer, run=runs.create_run(actor=officer, kind="regular", pay_month=JUNE, paid_on=date(2026, 6, 19))
    )
    slip = Payslip.objects.get(run=run, staff=staff)
    reasons = {change["code"]: change["reason"] for change in slip.changes}
    assert reasons["kyosai_short"] == "共済掛金の免除: 育児休業(月内 14日、14日以上)"


def test_a_bonus_in_a_leave_longer_than_a_month_carries_no_kyosai(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "6105")
    childcare_leave(officer, staff, date(2026, 6, 10), date(2026, 7, 11))  # 10 June – 10 July
    assert kyosai_codes(officer, staff, kind="bonus", paid_on=date(2026, 6, 30)) == []


def test_a_bonus_in_a_leave_of_one_month_pays_kyosai(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "6106")
    childcare_leave(officer, staff, date(2026, 6, 10), date(2026, 7, 10))  # 10 June – 9 July: one month
    assert "kyosai_short" in kyosai_codes(officer, staff, kind="bonus", paid_on=date(2026, 6, 30))
