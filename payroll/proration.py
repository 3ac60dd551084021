"""日割計算 (docs/domain/payroll.md §4a): the 給料 of a month in which the pay-relevant state changes on a day
other than the 1st — hiring, leaving, 休職・育児休業 start or end, a 級号給 change.

Pure functions: a month is split into periods by the 発令 that take effect in it; each period earns its own monthly
amount × its days ÷ the month's days, counted by the town's basis (setting ``payroll.prorate_basis``):
- ``working`` (default): 現日数から週休日(土曜日・日曜日)の日数を差し引いた日数 — the wording of the 給与条例 of most
  towns (the pattern of 一般職給与法); 休日 (祝日・年末年始) are paid days and stay in the count;
- ``calendar``: 暦日 (every day of the month).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from payroll.errors import PayrollInputError
from payroll.rules import truncate

WORKING = "working"
CALENDAR = "calendar"
BASES = {WORKING: "勤務日(現日数−週休日)", CALENDAR: "暦日"}
SATURDAY = 5


def month_end(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def counted_days(start: date, end: date, basis: str) -> int:
    """The days from ``start`` to ``end`` (both included) counted by the basis (§4a.1)."""
    if basis not in BASES:
        raise PayrollInputError(
            f"日割の基礎日数の設定「{basis}」が正しくありません(working または calendar)。",
            code="payroll_bad_setting",
        )
    if end < start:
        return 0
    days = (end - start).days + 1
    if basis == CALENDAR:
        return days
    weeks, rest = divmod(days, 7)
    weekend = weeks * 2 + sum(1 for i in range(rest) if (start + timedelta(days=i)).weekday() >= SATURDAY)
    return days - weekend


@dataclass(frozen=True)
class Period:
    """Part of a pay month under one 発令 (``appointment``), from ``start`` to ``end`` (both included)."""

    start: date
    end: date
    appointment: Any


def periods(first: Any | None, within: Iterable[Any], month: date) -> list[Period]:
    """The month split by the 発令 in force on the 1st (``first``, or None before hiring) and those taking effect on
    a later day of the month (``within``, ordered by date)."""
    end = month_end(month)
    changes = sorted((a for a in within if month < a.effective_on <= end), key=lambda a: a.effective_on)
    result: list[Period] = []
    current, start = first, month
    for appointment in changes:
        if current is not None:
            result.append(Period(start=start, end=appointment.effective_on - timedelta(days=1), appointment=current))
        current, start = appointment, appointment.effective_on
    if current is not None:
        result.append(Period(start=start, end=end, appointment=current))
    return result


def whole_month(parts: list[Period], month: date) -> bool:
    """True when one 発令 covers the whole month (no 日割)."""
    return len(parts) == 1 and parts[0].start == month.replace(day=1) and parts[0].end == month_end(month)


def prorated(amounts: Sequence[tuple[int | Decimal, int]], basis_days: int) -> int:
    """Σ monthly amount × paid days ÷ the month's days, 1円未満切捨て once (§4a.2); ``amounts`` as (amount, days)."""
    if basis_days <= 0:
        return 0
    return truncate(sum((Decimal(amount) * days for amount, days in amounts), Decimal(0)) / basis_days)
