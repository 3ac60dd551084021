"""休職 in the six months before the 基準日 of the 期末・勤勉手当 (docs/domain/payroll.md §5.6): the 期末手当's 在職期間
deducts half of it (人事院規則9-40 第5条 pattern), the 勤勉手当's 勤務期間 all of it (第11条 pattern); a 休職 for
公務災害・通勤災害 deducts nothing.

基準日 2026-06-01: the period is 2025-12-02 … 2026-06-01. A 休職 from 2026-01-05 with 復職 on 2026-03-05 is 59 days:
期末 deducts 29 (the period starts 2025-12-31: 5 whole months → 80 %), 勤勉 59 (starts 2026-01-30: 4 months → 60 %).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from payroll import leave, rules
from payroll.services.staff import record_appointment
from tests.payroll.factories import hire
from tests.payroll.test_month_rules import amounts, slip_of

JUNE = date(2026, 6, 1)
WINDOW = date(2025, 12, 2)


def away_and_back(officer: Any, staff: Any, reason: str) -> None:
    common = {"actor": officer, "staff": staff}
    record_appointment(**common, effective_on=date(2026, 1, 5), kind="leave", leave_reason=reason)
    record_appointment(**common, effective_on=date(2026, 3, 5), kind="return")


def test_half_the_leave_is_deducted_from_the_service_period() -> None:
    assert rules.bonus_ratios(date(2024, 4, 1), JUNE, 0) == (Decimal(1), Decimal(1))
    # 勤勉: 59 days → from 2026-01-30, 4箇月3日 → 期間率 70/100 (別表第二 pattern).
    assert rules.bonus_ratios(date(2024, 4, 1), JUNE, 59) == (Decimal("0.8"), Decimal("0.7"))
    # half a day is not deducted from the 在職期間; the 勤務期間 is 5箇月30日 → 95/100.
    assert rules.bonus_ratios(date(2024, 4, 1), JUNE, 1) == (Decimal(1), Decimal("0.95"))
    # hired 2026-03-01: 在職期間 3 months (60/100), 勤務期間 3箇月1日 (50/100).
    assert rules.bonus_ratios(date(2026, 3, 1), JUNE, 0) == (Decimal("0.6"), Decimal("0.5"))


def test_a_leave_after_the_hire_in_the_period_moves_the_start(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "9301", hired_on=date(2026, 1, 1))
    record_appointment(actor=officer, staff=staff, effective_on=date(2026, 2, 1), kind="leave", leave_reason="unpaid")
    record_appointment(actor=officer, staff=staff, effective_on=date(2026, 3, 3), kind="return")
    # hired 2026-01-01 (5 months), 30 days of leave: 期末 from 2026-01-16 (4 months), 勤勉 from 2026-01-31 (4箇月2日).
    assert rules.bonus_ratios(date(2026, 1, 1), JUNE, 30) == (Decimal("0.6"), Decimal("0.7"))
    slip = slip_of(officer, staff, JUNE, "bonus")
    assert slip.lines.get(code="kimatsu").note == "在職期間率 0.6"


@pytest.mark.parametrize(
    ("reason", "kimatsu_ratio", "kinben_ratio"),
    [("illness", Decimal("0.8"), Decimal("0.7")), ("duty_injury", Decimal(1), Decimal(1))],
)
def test_a_leave_in_the_period_reduces_kimatsu_by_half_and_kinben_in_full(
    officers: Any, table: Any, reason: str, kimatsu_ratio: Decimal, kinben_ratio: Decimal
) -> None:
    officer, _ = officers
    staff = hire(officer, "9302")
    away_and_back(officer, staff, reason)
    slip = slip_of(officer, staff, JUNE, "bonus")
    paid = amounts(slip)
    months = {line.code: line for line in slip.lines.all()}
    assert paid["kimatsu"] == rules.kimatsu(base=165_000, family=0, months=Decimal("1.25"), ratio=kimatsu_ratio)
    assert paid["kinben"] == rules.kinben(base=165_000, rate=Decimal("1.05"), ratio=kinben_ratio)
    assert months["kimatsu"].note == f"在職期間率 {kimatsu_ratio}"
    assert months["kinben"].note.endswith(f"期間率 {kinben_ratio}")


def test_the_leave_days_are_counted_inside_the_period_only(officers: Any, table: Any) -> None:
    officer, _ = officers
    staff = hire(officer, "9303")
    record_appointment(actor=officer, staff=staff, effective_on=date(2025, 11, 1), kind="leave", leave_reason="illness")
    record_appointment(
        actor=officer,
        staff=staff,
        effective_on=date(2025, 12, 12),
        kind="transfer",
        unit_code="0102",
        unit_name="税務課",
    )  # fmt: skip  (a 発令 during the leave keeps it)
    record_appointment(actor=officer, staff=staff, effective_on=date(2026, 1, 1), kind="return")
    history = list(staff.appointments.order_by("effective_on"))
    assert leave.deducted_leave_days(history, WINDOW, JUNE) == 30  # 2025-12-02 … 2025-12-31


@pytest.mark.parametrize(
    ("hired_on", "span", "rate"),
    [
        (date(2025, 12, 2), (6, 0), "1"),  # the whole period
        (date(2025, 12, 18), (5, 15), "0.95"),
        (date(2025, 12, 19), (5, 14), "0.9"),
        (date(2026, 1, 2), (5, 0), "0.9"),
        (date(2026, 1, 3), (4, 30), "0.8"),
        (date(2026, 2, 1), (4, 1), "0.7"),
        (date(2026, 2, 17), (3, 16), "0.6"),
        (date(2026, 3, 2), (3, 0), "0.5"),
        (date(2026, 3, 18), (2, 15), "0.4"),
        (date(2026, 4, 2), (2, 0), "0.3"),
        (date(2026, 4, 18), (1, 15), "0.2"),
        (date(2026, 5, 2), (1, 0), "0.15"),
        (date(2026, 5, 18), (0, 15), "0.1"),
        (date(2026, 6, 1), (0, 1), "0.05"),  # hired on the 基準日
        (date(2026, 6, 2), (0, 0), "0"),  # after it
    ],
)
def test_the_kinben_period_rate_follows_the_table(hired_on: date, span: tuple[int, int], rate: str) -> None:
    assert rules.service_span(hired_on, JUNE) == span
    assert rules.kinben_period_rate(*span) == Decimal(rate)
