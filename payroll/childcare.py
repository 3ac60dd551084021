"""育児休業中の共済掛金の免除 (docs/domain/payroll.md §6.1a): which months and which bonuses carry no 掛金.

Pure functions over the staff member's 育児休業 periods, derived from the 発令 history (``leave_periods``):
- 例月: a month is exempt when its **last day** falls in a 育児休業, or when 育児休業 that **begin and end within the
  month** (the day after the end still in the month) add up to **14 days or more** (暦日);
- 賞与: exempt only when the 育児休業 holds the last day of the month in which the bonus is paid **and** lasts
  **more than one month**.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from payroll.proration import month_end

CHILDCARE = "childcare"
MIN_DAYS_WITHIN_MONTH = 14


@dataclass(frozen=True)
class LeavePeriod:
    """One 育児休業 from ``start`` to ``end`` (both included); ``end`` None while no 復職 or 退職 is recorded."""

    start: date
    end: date | None


def leave_periods(appointments: Iterable[Any]) -> list[LeavePeriod]:
    """The 育児休業 periods of one staff member from their 発令 (any order): a period starts with the first 発令 in
    the 育児休業 state after another state and ends the day before the next 発令 in another state (復職, 退職, 休職)."""
    periods: list[LeavePeriod] = []
    start: date | None = None
    for appointment in sorted(appointments, key=lambda a: a.effective_on):
        on_leave = appointment.status == CHILDCARE
        if on_leave and start is None:
            start = appointment.effective_on
        elif not on_leave and start is not None:
            periods.append(LeavePeriod(start, appointment.effective_on - timedelta(days=1)))
            start = None
    if start is not None:
        periods.append(LeavePeriod(start, None))
    return periods


def _holds(period: LeavePeriod, day: date) -> bool:
    return period.start <= day and (period.end is None or day <= period.end)


def days_within_month(periods: Iterable[LeavePeriod], month: date) -> int:
    """The 暦日 of the 育児休業 that begin in the month and end before its last day (§6.1a (b)), added together."""
    first, last = month.replace(day=1), month_end(month)
    return sum(
        (period.end - period.start).days + 1
        for period in periods
        if period.end is not None and first <= period.start and period.end < last
    )


def monthly_exemption(periods: list[LeavePeriod], month: date) -> str:
    """The reason the month's 共済掛金 are not due (§6.1a), or "" when they are."""
    last = month_end(month)
    if any(_holds(period, last) for period in periods):
        return f"育児休業(月末 {last.isoformat()} を含む)"
    days = days_within_month(periods, month)
    if days >= MIN_DAYS_WITHIN_MONTH:
        return f"育児休業(月内 {days}日、14日以上)"
    return ""


def _one_month_after(start: date) -> date:
    """The last day of a period of one month from ``start`` (民法143条: the day before the same day of the next
    month; when the next month has no such day, its last day)."""
    following = month_end(start) + timedelta(days=1)
    if start.day > month_end(following).day:
        return month_end(following)
    return following.replace(day=start.day) - timedelta(days=1)


def bonus_exemption(periods: list[LeavePeriod], paid_on: date) -> str:
    """The reason the 共済掛金 on a bonus paid on ``paid_on`` are not due (§6.1a), or "" when they are: the 育児休業
    holds the last day of the payment month and lasts more than one month (an open-ended one counts as longer)."""
    last = month_end(paid_on)
    for period in periods:
        if _holds(period, last) and (period.end is None or period.end > _one_month_after(period.start)):
            return f"育児休業(支給月の月末を含み1か月超: {period.start.isoformat()}〜)"
    return ""
