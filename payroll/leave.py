"""有給休職 (docs/domain/payroll.md §4b): the share of pay a 休職 keeps, by its reason.

The 給与条例 of the towns copy 一般職給与法 §23: a 休職 for 公務災害・通勤災害 keeps 100/100 of
給料・扶養手当・地域手当・住居手当 (and 期末手当) for the whole leave; 結核性疾患 80/100 until the leave
reaches two full years; 心身の故障 80/100 until one full year; 刑事休職 up to 60/100; 研究等 up to 70/100;
any other 休職 nothing. The ratios and periods are the town's setting ``payroll.leave.pay_rules`` (施行日);
the 発令 records the ratio it grants (within the maximum) and the last day it applies, so that a later change
of the setting does not rewrite a 発令 already made.

Pure functions: nothing here reads the database.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from payroll.errors import PayrollInputError
from payroll.models import Status

FULL = 100  # 100分の100: a day in service


@dataclass(frozen=True)
class LeavePayRule:
    """One reason's terms: the ratio a 発令 gets unless it states one, the ordinance's maximum, and the months of
    leave it applies for (0: the whole leave)."""

    default: int
    maximum: int
    months: int


def parse_rules(text: str) -> dict[str, LeavePayRule]:
    """``事由:既定:上限:月数;…`` (ratios in 100分の, 月数 0 = the whole leave); a malformed item is a bad setting."""
    rules: dict[str, LeavePayRule] = {}
    for item in text.replace("\n", ";").split(";"):
        if not item.strip():
            continue
        parts = [part.strip() for part in item.split(":")]
        numbers = parts[1:]
        if len(parts) != 4 or not parts[0] or not all(number.isdigit() for number in numbers):
            raise _bad_setting(item)
        default, maximum, months = (int(number) for number in numbers)
        if not default <= maximum <= FULL:
            raise _bad_setting(item)
        rules[parts[0]] = LeavePayRule(default=default, maximum=maximum, months=months)
    return rules


def _bad_setting(item: str) -> PayrollInputError:
    return PayrollInputError(
        f"休職中の給与の設定「{item.strip()}」が正しくありません(事由:既定の割合:上限の割合:月数、割合は0〜100)。",
        code="payroll_bad_setting",
    )


def paid_until(start: date, months: int) -> date | None:
    """The last day a ratio limited to ``months`` full months of leave applies (None: no limit).

    民法143条: a period of months from ``start`` (the first day of leave counts) ends the day before the day of the
    same number ``months`` later; when that month has no such day, it ends on that month's last day.
    """
    if months <= 0:
        return None
    years, index = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, index + 1
    last = monthrange(year, month)[1]
    if start.day > last:
        return date(year, month, last)
    return date(year, month, start.day) - timedelta(days=1)


def share_on(appointment: Any, day: date) -> int:
    """The share of pay (100分の) a 発令 gives on ``day``: 100 in service, the 休職's ratio until its limit, else 0."""
    if appointment.status == Status.ACTIVE:
        return FULL
    if appointment.status != Status.LEAVE:
        return 0
    until = appointment.leave_pay_until
    return appointment.leave_pay_ratio if until is None or day <= until else 0


def paid_spans(appointment: Any, start: date, end: date) -> list[tuple[date, date, int]]:
    """The days from ``start`` to ``end`` under one 発令 that are paid, as (first day, last day, share): in service
    the whole span at 100; in a paid 休職 up to the ratio's last day; nothing otherwise."""
    share = share_on(appointment, start)
    if share == 0:
        return []
    if appointment.status == Status.LEAVE and appointment.leave_pay_until is not None:
        end = min(end, appointment.leave_pay_until)
    return [(start, end, share)]


def deducted_leave_days(history: list[Any], start: date, end: date) -> int:
    """Days of 休職 from ``start`` to ``end`` (both included) that the 期末手当's 在職期間 and the 勤勉手当's 勤務期間
    deduct (§5.6): every 休職 except one for 公務災害・通勤災害 (人事院規則9-40 第5条・第11条 pattern: 「公務傷病等に
    よる休職者であった期間を除く」). ``history`` is the staff member's 発令 in date order, including the one in force
    on ``start``."""
    days = 0
    for current, following in pairwise([*history, None]):
        if current.status != Status.LEAVE or current.leave_reason == "duty_injury":
            continue
        first = max(current.effective_on, start)
        last = min(following.effective_on - timedelta(days=1), end) if following else end
        days += max(0, (last - first).days + 1)
    return days


def ratio_text(appointment: Any) -> str:
    """「休職(心身の故障(病気休職)) 100分の80(2027-04-14まで)」 for the payslip and the 発令 pages."""
    if appointment.status != Status.LEAVE:
        return ""
    label = appointment.get_leave_reason_display() or "事由未記録"
    until = f"({appointment.leave_pay_until.isoformat()}まで)" if appointment.leave_pay_until else ""
    return f"休職({label}) 100分の{appointment.leave_pay_ratio}{until}"


def shared(amount: int, share: int) -> int:
    """An amount × share / 100, 1円未満切捨て (the ordinances print no rounding; as §4a.2)."""
    return amount * share // FULL
