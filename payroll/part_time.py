"""期末手当・勤勉手当 of part-time 会計年度任用職員 (docs/domain/payroll.md §5.9): who is paid.

地方自治法 §203の2 ④ lets a town pay its part-time 会計年度任用職員 a 期末手当 (since 2020-04-01) and, as amended by
令和5年法律第19号, also a 勤勉手当 from 2024-04-01 (令和6年度), each under its own ordinance's conditions **[K]**.
The conditions are the town's settings in force on the 基準日 (per fiscal year by their 施行日); the only date here
is the statute's own.

Pure functions: nothing here reads the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from payroll.models import JobType

# 地方自治法の一部を改正する法律(令和5年法律第19号)の施行日: no 勤勉手当 for part-time staff before it.
KINBEN_FROM = date(2024, 4, 1)
PART_TIME_JOB_TYPES = frozenset({JobType.FISCAL_PART_MONTHLY, JobType.FISCAL_PART_HOURLY})


def term_months(hired_on: date, term_ends_on: date) -> int:
    """Whole months of the 任期 from the 採用日 to the 任期の末日 (both included): 2026-04-01 … 2027-03-31 → 12."""
    after = term_ends_on + timedelta(days=1)
    months = (after.year - hired_on.year) * 12 + after.month - hired_on.month
    return months - 1 if after.day < hired_on.day else months


def condition_unmet(
    *, weekly: Decimal, min_weekly: Decimal, term: int | None, min_term: int, term_required: bool
) -> str:
    """The one condition of both allowances (§5.9): the weekly hours of the 発令 reach the town's threshold and the
    任期 is at least the minimum — the national 非常勤職員 pattern the 総務省 manual gives for part-time
    会計年度任用職員 (「任期が6月以上」かつ「1週間当たりの勤務時間が15時間30分以上」) **[K]**, the same for 月額 and
    時間額 staff. Each allowance has its own threshold setting; an unrecorded 任期 stops only what needs one.
    Returns why the condition is not met ("" when it is)."""
    if weekly < min_weekly:
        return f"週の勤務時間 {weekly}時間 < {min_weekly}時間"
    if term is None:
        return "任期の末日が記録されていません" if term_required else ""
    if term < min_term:
        return f"任期 {term}月 < {min_term}月"
    return ""


@dataclass(frozen=True)
class Eligibility:
    kimatsu: bool
    kinben: bool
    kimatsu_note: str  # why no 期末手当 (empty when it is paid)
    kinben_note: str  # why no 勤勉手当 (empty when it is paid)


def eligibility(*, appointment: Any, hired_on: date, base_day: date, params: dict[str, Any]) -> Eligibility:
    """§5.9: the 期末手当 needs the weekly hours of its threshold and, when a 任期 is recorded, the minimum term; the
    勤勉手当 needs the statute in force, a number of months set by the town, the weekly hours of its own threshold and
    a recorded 任期 of at least the minimum term."""
    weekly = Decimal(appointment.weekly_hours)
    term = term_months(hired_on, appointment.term_ends_on) if appointment.term_ends_on else None
    unmet = partial(condition_unmet, weekly=weekly, term=term, min_term=params["pt_min_term"])
    kimatsu = unmet(min_weekly=params["min_weekly"], term_required=False)
    if base_day < KINBEN_FROM or params["pt_kinben"] <= 0:
        kinben = "条例の定めなし(支給月数 0)" if base_day >= KINBEN_FROM else "令和6年度前"
    else:
        kinben = unmet(min_weekly=params["pt_kinben_weekly"], term_required=True)
    return Eligibility(
        kimatsu=not kimatsu,
        kinben=not kinben,
        kimatsu_note=f"期末手当: {kimatsu}" if kimatsu else "",
        kinben_note=f"勤勉手当: {kinben}" if kinben else "",
    )
