"""延滞金 (docs/domain/water_billing.md §7.2): a pure calculation from the unpaid balance day by day and the town's
rates in force on each day (地方自治法 第231条の3 第2項 and the town's 督促手数料及び延滞金徴収条例, built like
地方税法 第20条の4の2 and 附則 第3条の2: 1,000-yen floor of the base, 100-yen floor of the result, nothing under
1,000 yen, 365 days a year even in a leap year)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

BASE_UNIT = 1000  # 延滞金の計算の基礎となる額: 1,000円未満切捨て
RESULT_UNIT = 100  # 延滞金の額: 100円未満切捨て
MIN_FEE = 1000  # 1,000円未満の延滞金は徴収しない
DAYS_A_YEAR = 365


@dataclass(frozen=True)
class Rates:
    """Annual rates in per mille, each a schedule of (施行日, rate) oldest first: ``first`` from the day after the
    納期限 until one month has passed, ``after`` from then on."""

    first: Sequence[tuple[date, int]]
    after: Sequence[tuple[date, int]]

    def on(self, day: date, *, first_month: bool) -> int:
        versions = self.first if first_month else self.after
        index = bisect.bisect_right([start for start, _ in versions], day) - 1
        return versions[max(index, 0)][1]


@dataclass(frozen=True)
class LateFee:
    amount: int
    days: int = 0
    spans: list[dict[str, object]] = field(default_factory=list)  # the basis, for the claim's record

    def basis(self) -> dict[str, object]:
        return {"days": self.days, "spans": self.spans}


def first_month_ends(due_on: date) -> date:
    """「納期限の翌日から1月を経過する日」: the same day of the next month (the month's last day if it has none)."""
    return due_on + relativedelta(months=1)


def late_fee(
    *, principal: int, due_on: date, until: date, payments: Sequence[tuple[date, int]], rates: Rates, min_base: int
) -> LateFee:
    """The 延滞金 of a claim of ``principal`` yen due on ``due_on``, counted from the next day through ``until``
    (the day of the payment that settles it, or today for an estimate). ``payments`` are (day, amount): a payment
    lowers the balance from the next day on. A principal under ``min_base`` bears none."""
    if principal < min_base or until <= due_on:
        return LateFee(0)
    first_end = first_month_ends(due_on)
    numerator = 0
    spans: list[dict[str, object]] = []
    day = due_on + timedelta(days=1)
    while day <= until:
        paid = sum(amount for paid_on, amount in payments if paid_on < day)
        base = max(principal - paid, 0) // BASE_UNIT * BASE_UNIT
        rate = rates.on(day, first_month=day <= first_end)
        numerator += base * rate
        last = spans[-1] if spans else None
        if last is not None and last["base"] == base and last["rate"] == rate:
            last["to"] = day.isoformat()
            last["days"] = int(str(last["days"])) + 1
        else:
            spans.append({"from": day.isoformat(), "to": day.isoformat(), "days": 1, "base": base, "rate": rate})
        day += timedelta(days=1)
    fee = numerator // (1000 * DAYS_A_YEAR) // RESULT_UNIT * RESULT_UNIT
    return LateFee(fee if fee >= MIN_FEE else 0, (until - due_on).days, spans)
