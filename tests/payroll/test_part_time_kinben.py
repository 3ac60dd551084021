"""勤勉手当 of part-time 会計年度任用職員 (docs/domain/payroll.md §5.9): from 令和6年度 (地方自治法 §203の2 ④ as
amended by 令和5年法律第19号), under the town's settings per fiscal year — the months, the weekly hours and the 任期.

The hourly staff work 80 hours in April and 100 in May 2026 at 1,000 yen: an average monthly 報酬 of 90,000 yen.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from common.errors import ApplicationError
from common.models import TownSetting
from payroll import part_time
from payroll.models import Payslip, Staff
from payroll.services import runs
from tests.payroll.factories import hire, hire_hourly
from tests.payroll.test_month_rules import amounts, locked_month, slip_of

JUNE = date(2026, 6, 1)


def setting(key: str, value: str, since: date) -> None:
    TownSetting.objects.create(key=f"payroll.bonus.{key}", value=value, effective_from=since)


def part_timer(officer: Any, number: str, *, weekly: str = "20", term: date | None = date(2026, 9, 30)) -> Staff:
    return hire_hourly(officer, number, weekly_hours=weekly, term_ends_on=term)


def worked(officers: Any, staff: list[Staff]) -> None:
    for month, hours in ((4, 80), (5, 100)):
        for member in staff:
            runs.record_monthly_input(
                actor=officers[0], staff=member, pay_month=date(2026, month, 1), hours_worked=Decimal(hours)
            )
        locked_month(officers, date(2026, month, 1))


def test_the_term_is_counted_in_whole_months() -> None:
    assert part_time.term_months(date(2026, 4, 1), date(2027, 3, 31)) == 12
    assert part_time.term_months(date(2025, 10, 1), date(2026, 3, 31)) == 6
    assert part_time.term_months(date(2025, 12, 15), date(2026, 6, 10)) == 5


def test_kinben_is_paid_by_the_months_of_the_fiscal_year(officers: Any, table: Any) -> None:
    setting("part_time_kinben_months", "1.0", date(2025, 4, 1))
    setting("part_time_kinben_months", "0.95", date(2026, 4, 1))  # 令和8年度: the ordinance's new months
    staff = part_timer(officers[0], "9201")
    worked(officers, [staff])
    slip = slip_of(officers[0], staff, JUNE, "bonus")
    paid = amounts(slip)
    assert paid["kimatsu"] == 112_500  # 90,000 × 1.25 × 1
    assert paid["kinben"] == 85_500  # 90,000 × 0.95 × 1
    assert slip.lines.get(code="kinben").note == "報酬の月平均 90000円 × 成績率 0.95 × 期間率 1"


def test_no_kinben_unless_the_town_sets_its_months(officers: Any, table: Any) -> None:
    staff = part_timer(officers[0], "9202")
    worked(officers, [staff])
    paid = amounts(slip_of(officers[0], staff, JUNE, "bonus"))
    assert paid["kimatsu"] == 112_500
    assert "kinben" not in paid


def test_the_recorded_rate_is_used(officers: Any, table: Any) -> None:
    setting("part_time_kinben_months", "1.0", date(2024, 4, 1))
    staff = part_timer(officers[0], "9203")
    worked(officers, [staff])
    runs.record_monthly_input(actor=officers[0], staff=staff, pay_month=JUNE, kinben_rate=Decimal("1.2"))
    assert amounts(slip_of(officers[0], staff, JUNE, "bonus"))["kinben"] == 108_000


def test_the_weekly_hours_and_the_term_decide(officers: Any, table: Any) -> None:
    setting("part_time_kinben_months", "1.0", date(2024, 4, 1))
    setting("part_time_kinben_min_weekly_hours", "20", date(2024, 4, 1))
    short_week = part_timer(officers[0], "9204", weekly="19.5")
    no_term = part_timer(officers[0], "9205", term=None)
    short_term = part_timer(officers[0], "9206", term=date(2026, 2, 28))  # 5 months from 2025-10-01
    worked(officers, [short_week, no_term, short_term])
    for member in (short_week, no_term):
        paid = amounts(slip_of(officers[0], member, JUNE, "bonus"))
        assert "kimatsu" in paid  # the 期末手当 keeps its own threshold (15.5 hours), an unrecorded 任期 as before
        assert "kinben" not in paid
    run = runs.create_run(actor=officers[0], kind="bonus", pay_month=JUNE, paid_on=date(2026, 6, 30))
    assert not Payslip.objects.filter(run=run, staff=short_term).exists()  # a 任期 under 6 months: neither


def test_a_monthly_part_timer_gets_kinben_only_under_the_part_time_rule(officers: Any, table: Any) -> None:
    officer, _ = officers
    values = {"job_type": "fiscal_part_monthly", "table_code": "", "grade": None, "step": None}
    values |= {"monthly_amount": 132_000, "hired_on": date(2023, 4, 1)}
    before = hire(officer, "9207", **values, weekly_hours=Decimal(29), term_ends_on=date(2024, 3, 31))
    setting("part_time_kinben_months", "1.0", date(2020, 4, 1))
    # 令和5年度 (基準日 2023-12-01): the statute allowed no 勤勉手当 to part-time staff yet, whatever the setting.
    december = amounts(slip_of(officer, before, date(2023, 12, 1), "bonus"))
    assert december["kimatsu"] == 165_000  # 報酬月額 132,000 × 1.25 × 在職期間率 1
    assert "kinben" not in december
    after = hire(officer, "9208", **values | {"hired_on": date(2025, 4, 1)}, weekly_hours=Decimal(29),
                 term_ends_on=date(2026, 9, 30))  # fmt: skip
    assert amounts(slip_of(officer, after, JUNE, "bonus"))["kinben"] == 132_000


@pytest.mark.parametrize(
    ("job_type", "term"), [("general", date(2027, 3, 31)), ("fiscal_part_hourly", date(2025, 9, 30))]
)
def test_a_bad_term_is_refused_and_nothing_written(officers: Any, table: Any, job_type: str, term: date) -> None:
    with pytest.raises(ApplicationError) as caught:
        hire(officers[0], "9209", job_type=job_type, hired_on=date(2025, 10, 1), term_ends_on=term)
    assert caught.value.code == "payroll_invalid_term"
    assert not Staff.objects.filter(number="9209").exists()


def test_a_monthly_part_timer_needs_the_weekly_hours_for_kimatsu(officers: Any, table: Any) -> None:
    """§5.9: the 期末手当 of 月額 staff checks the same weekly hours as that of 時間額 staff (the town's
    `part_time_min_weekly_hours`, 15.5 by default); before, a 月額 part-timer of 15 hours a week was paid it."""
    officer, _ = officers
    values = {"job_type": "fiscal_part_monthly", "table_code": "", "grade": None, "step": None}
    values |= {"monthly_amount": 100_000, "hired_on": date(2025, 10, 1), "term_ends_on": date(2026, 9, 30)}
    short = hire(officer, "9210", **values, weekly_hours=Decimal(15))
    enough = hire(officer, "9211", **values, weekly_hours=Decimal("15.5"))
    assert amounts(slip_of(officer, enough, JUNE, "bonus"))["kimatsu"] == 125_000  # 100,000 × 1.25 × 在職期間率 1
    assert not Payslip.objects.filter(run__kind="bonus", staff=short).exists()


def test_one_condition_for_both_allowances() -> None:
    unmet = part_time.condition_unmet
    common = {"min_weekly": Decimal("15.5"), "min_term": 6}
    assert unmet(weekly=Decimal(15), term=12, term_required=False, **common) == "週の勤務時間 15時間 < 15.5時間"
    assert unmet(weekly=Decimal(20), term=5, term_required=False, **common) == "任期 5月 < 6月"
    assert unmet(weekly=Decimal(20), term=None, term_required=False, **common) == ""
    assert unmet(weekly=Decimal(20), term=None, term_required=True, **common) == "任期の末日が記録されていません"
    assert unmet(weekly=Decimal("15.5"), term=6, term_required=True, **common) == ""
