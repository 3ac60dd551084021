"""有給休職 (docs/domain/payroll.md §4b): a 休職 pays the share its reason gives (一般職給与法 §23 pattern), by the
setting ``payroll.leave.pay_rules``; the 発令 records the ratio and the last day it applies.

The table of tests.payroll.factories pays 1級10号給 165,000 yen. April 2026 has 22 勤務日 (30 days less 8
Saturdays and Sundays); 1–14 April hold 10 of them, 15–30 April 12.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from common.errors import ApplicationError
from common.models import AuditEvent, TownSetting
from payroll import leave, rules
from payroll.models import Appointment
from payroll.services.staff import record_appointment
from tests.payroll.factories import hire
from tests.payroll.test_month_rules import amounts, locked_month, slip_of

BASE = 165_000


def on_leave(officer: Any, staff: Any, day: date, reason: str, **terms: Any) -> Appointment:
    return record_appointment(actor=officer, staff=staff, effective_on=day, kind="leave", leave_reason=reason, **terms)


def test_the_ratio_limit_ends_the_day_before_the_same_day_a_year_later() -> None:
    assert leave.paid_until(date(2025, 4, 15), 12) == date(2026, 4, 14)
    assert leave.paid_until(date(2025, 4, 1), 24) == date(2027, 3, 31)
    assert leave.paid_until(date(2025, 4, 15), 0) is None


def test_a_limit_ending_in_a_shorter_month_ends_on_its_last_day() -> None:
    # 民法143条②: no corresponding day in the last month → the period ends on that month's last day.
    assert leave.paid_until(date(2025, 3, 31), 11) == date(2026, 2, 28)
    assert leave.paid_until(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_the_setting_is_checked() -> None:
    with pytest.raises(ApplicationError) as caught:
        leave.parse_rules("illness:90:80:12")
    assert caught.value.code == "payroll_bad_setting"


# --- the 発令 -------------------------------------------------------------------------------------------------------


def test_the_leave_records_the_default_ratio_and_its_last_day(officers: Any, table: Any) -> None:
    officer, _ = officers
    appointment = on_leave(officer, hire(officer, "9101"), date(2026, 4, 15), "illness")
    assert (appointment.leave_pay_ratio, appointment.leave_pay_until) == (80, date(2027, 4, 14))
    audit = AuditEvent.objects.filter(action="payroll.appointment").latest("id")
    assert audit.details["leave_pay_ratio"] == 80


def test_a_duty_injury_leave_has_no_limit(officers: Any, table: Any) -> None:
    officer, _ = officers
    appointment = on_leave(officer, hire(officer, "9102"), date(2026, 4, 1), "duty_injury")
    assert (appointment.leave_pay_ratio, appointment.leave_pay_until) == (100, None)


def test_the_appointment_may_state_a_lower_ratio(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "9103")
    assert on_leave(officer, staff, date(2026, 3, 1), "criminal", leave_pay_ratio=40).leave_pay_ratio == 40
    assert amounts(slip_of(officer, staff))["base"] == BASE * 40 // 100


@pytest.mark.parametrize(("reason", "ratio"), [("criminal", 70), ("illness", 81), ("unpaid", 1), ("research", -1)])
def test_a_ratio_above_the_ordinance_is_refused_and_nothing_written(
    officers: Any, table: Any, reason: str, ratio: int
) -> None:
    officer, _ = officers
    staff = hire(officer, "9104")
    with pytest.raises(ApplicationError) as caught:
        on_leave(officer, staff, date(2026, 4, 1), reason, leave_pay_ratio=ratio)
    assert caught.value.code == "payroll_leave_ratio_out_of_range"
    assert "100分の" in caught.value.message
    assert list(staff.appointments.values_list("kind", flat=True)) == ["hire"]


def test_a_leave_without_a_reason_is_refused(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "9105")
    with pytest.raises(ApplicationError) as caught:
        record_appointment(actor=officer, staff=staff, effective_on=date(2026, 4, 1), kind="leave")
    assert caught.value.code == "payroll_invalid_leave_reason"
    assert staff.appointments.count() == 1


def test_a_ratio_on_another_kind_of_appointment_is_refused(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "9106")
    with pytest.raises(ApplicationError) as caught:
        record_appointment(actor=officer, staff=staff, effective_on=date(2026, 4, 1), kind="raise", leave_pay_ratio=80)
    assert caught.value.code == "payroll_unknown_field"


def test_a_return_ends_the_terms_and_a_raise_during_leave_keeps_them(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "9107")
    on_leave(officer, staff, date(2026, 1, 1), "illness")
    kept = record_appointment(actor=officer, staff=staff, effective_on=date(2026, 2, 1), kind="raise", step=14)
    assert (kept.status, kept.leave_pay_ratio, kept.leave_pay_until) == ("leave", 80, date(2026, 12, 31))
    back = record_appointment(actor=officer, staff=staff, effective_on=date(2026, 3, 1), kind="return")
    assert (back.leave_reason, back.leave_pay_ratio, back.leave_pay_until) == ("", 0, None)


def test_the_towns_setting_decides_the_period(officers: Any, table: Any) -> None:
    officer, _ = officers
    TownSetting.objects.create(
        key="payroll.leave.pay_rules", value="illness:80:80:6;unpaid:0:0:0", effective_from=date(2026, 1, 1)
    )
    appointment = on_leave(officer, hire(officer, "9108"), date(2026, 4, 15), "illness")
    assert appointment.leave_pay_until == date(2026, 10, 14)


# --- the run ---------------------------------------------------------------------------------------------------------


def test_a_whole_month_of_paid_leave_pays_the_share(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "9111", children=1, rent=30_000, transit_pass=10_000)
    on_leave(officer, staff, date(2026, 3, 1), "illness")
    slip = slip_of(officer, staff)
    paid = amounts(slip)
    assert paid["base"] == BASE * 80 // 100
    assert paid["family"] == 13_000 * 80 // 100
    assert paid["housing"] == rules.housing_allowance(30_000) * 80 // 100
    assert "commute" not in paid  # no 通勤 during a 休職
    assert slip.lines.get(code="base").note == "gyosei1 休職(心身の故障(病気休職)) 100分の80(2027-02-28まで)"
    assert "100分の80" in slip.lines.get(code="family").note
    # A paid 休職 contributes to the 共済 on the 標準報酬 (§4b, 地共済法 §114).
    assert paid["kyosai_short"] > 0


def test_an_unpaid_leave_pays_nothing_and_no_kyosai(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "9112", children=1)
    on_leave(officer, staff, date(2026, 3, 1), "unpaid")
    paid = amounts(slip_of(officer, staff))
    assert paid["base"] == 0
    assert "family" not in paid
    assert not any(code.startswith("kyosai_") for code in paid)


def test_a_duty_injury_leave_pays_in_full_but_no_manager_allowance(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "9113")
    record_appointment(
        actor=officer, staff=staff, effective_on=date(2026, 1, 1), kind="promotion", manager_allowance=30_000
    )
    on_leave(officer, staff, date(2026, 3, 1), "duty_injury")
    paid = amounts(slip_of(officer, staff))
    assert paid["base"] == BASE
    assert "manager" not in paid


def test_a_paid_leave_from_mid_month_prorates_each_share(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "9114", children=1)
    on_leave(officer, staff, date(2026, 4, 15), "illness")
    slip = slip_of(officer, staff)
    paid = amounts(slip)
    # 1–14 April: 10 勤務日 in service; 15–30 April: 12 at 80/100; 1円未満切捨て once.
    assert paid["base"] == (BASE * 10 + BASE * 80 // 100 * 12) // 22
    assert paid["family"] == 13_000  # the state on the 1st (§4a.3)
    assert slip.lines.get(code="base").note.startswith("gyosei1 日割 22/22日")


def test_the_first_year_limit_ends_the_pay_by_the_day(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "9115", children=1)
    on_leave(officer, staff, date(2025, 4, 15), "illness")  # 80/100 until 2026-04-14
    slip = slip_of(officer, staff)
    paid = amounts(slip)
    # 1–14 April 2026: 10 of 22 勤務日 at 80/100; nothing from 15 April.
    assert paid["base"] == BASE * 80 // 100 * 10 // 22
    assert paid["family"] == 13_000 * 80 // 100  # the 1st was still in the paid period
    assert not any(code.startswith("kyosai_") for code in paid)  # the month ends in an unpaid 休職
    reason = next(change["reason"] for change in slip.changes if change["code"] == "prorate")
    assert "休職の支給期間の満了 2026-04-14" in reason
    may = amounts(slip_of(officer, staff, date(2026, 5, 1)))
    assert may["base"] == 0
    assert "family" not in may


def test_a_paid_leave_on_the_base_day_gets_its_share_of_kimatsu_only(officers: Any, table: Any) -> None:
    officer, _ = officers
    active, away = hire(officer, "9116"), hire(officer, "9117")
    on_leave(officer, away, date(2026, 5, 1), "illness")
    full = amounts(slip_of(officer, active, date(2026, 6, 1), "bonus"))
    slip = slip_of(officer, away, date(2026, 6, 1), "bonus")
    # 32 days of 休職 up to the 基準日: half of them off the 在職期間 (5 whole months → 80 %, §5.6), then its share.
    assert full["kimatsu"] == rules.kimatsu(base=BASE, family=0, months=Decimal("1.25"), ratio=Decimal(1))
    assert (
        amounts(slip)["kimatsu"]
        == rules.kimatsu(base=BASE, family=0, months=Decimal("1.25"), ratio=Decimal("0.8")) * 80 // 100
    )
    assert "kinben" not in amounts(slip)
    assert "100分の80" in slip.lines.get(code="kimatsu").note


def test_the_review_names_the_leave_as_the_reason_of_the_pay_change(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "9118")
    locked_month(officers, date(2026, 3, 1))
    on_leave(officer, staff, date(2026, 4, 1), "illness")
    changes = {change["code"]: change for change in slip_of(officer, staff).changes}
    assert changes["base"]["reason"] == "休職(心身の故障(病気休職)) 100分の80(2027-03-31まで)"
    assert "prorate" not in changes  # a whole month at one ratio is not a 日割
