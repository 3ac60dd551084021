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


@dataclass(frozen=True)
class Eligibility:
    kimatsu: bool
    kinben: bool
    kinben_note: str  # why no 勤勉手当 (empty when it is paid)


def eligibility(*, appointment: Any, hired_on: date, base_day: date, params: dict[str, Any]) -> Eligibility:
    """§5.9: the 期末手当 needs (hourly staff) the weekly hours and, when a 任期 is recorded, the minimum term; the
    勤勉手当 needs the statute in force, a number of months set by the town, the weekly hours of its own threshold and
    a recorded 任期 of at least the minimum term."""
    weekly = Decimal(appointment.weekly_hours)
    term = term_months(hired_on, appointment.term_ends_on) if appointment.term_ends_on else None
    term_short = term is not None and term < params["pt_min_term"]
    hourly = appointment.job_type == JobType.FISCAL_PART_HOURLY
    kimatsu = not term_short and (not hourly or weekly >= params["min_weekly"])
    if base_day < KINBEN_FROM or params["pt_kinben"] <= 0:
        why = "勤勉手当: 条例の定めなし(支給月数 0)" if base_day >= KINBEN_FROM else "勤勉手当: 令和6年度前"
    elif weekly < params["pt_kinben_weekly"]:
        why = f"勤勉手当: 週の勤務時間 {weekly}時間 < {params['pt_kinben_weekly']}時間"
    elif term is None:
        why = "勤勉手当: 任期の末日が記録されていません"
    elif term_short:
        why = f"勤勉手当: 任期 {term}月 < {params['pt_min_term']}月"
    else:
        why = ""
    return Eligibility(kimatsu=kimatsu, kinben=not why, kinben_note=why)
