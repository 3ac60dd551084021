"""届出期間 (the periods the Family Register Act sets for a 報告的届出) and the 失期通知.

docs/domain/koseki.md (届出期間): the period counts the day of the event itself (戸籍法 第43条第1項); a period
that ends on a day the town office is closed (土日, 国民の祝日, 12月29日〜1月3日: 行政機関の休日に関する法律 第1条)
ends on the next open day (民法 第142条). A 届出 after the period is still accepted (the register must be
right), marked 期間経過, and reported to the 簡易裁判所 (失期通知, 戸籍法 第137条, 戸籍法施行規則 第65条).
創設的届出 (婚姻, 協議離婚, 縁組, 任意認知, 分籍, 転籍 …) take effect by being filed and have no period.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import jpholiday

from common import town_settings
from koseki.models import NotificationKind

# The 簡易裁判所 the 失期通知 goes to: the one with jurisdiction over the town (per-town setting).
SUMMARY_COURT = "koseki.summary_court"
SETTINGS = (
    town_settings.SettingSpec(
        SUMMARY_COURT, "失期通知の送付先(管轄簡易裁判所)", "text", "管轄簡易裁判所", "例: 須崎簡易裁判所"
    ),
)


@dataclass(frozen=True)
class Period:
    days: int = 0
    months: int = 0
    starts: str = ""  # what the period runs from, as the law words it
    article: str = ""


# The 報告的届出 handled here and their periods.
PERIODS: dict[str, Period] = {
    NotificationKind.BIRTH: Period(days=14, starts="出生の日", article="戸籍法第49条第1項"),
    NotificationKind.DEATH: Period(days=7, starts="死亡の事実を知った日", article="戸籍法第86条第1項"),
    # 裁判認知 and 裁判離縁 (判決・審判の確定): 10 days (第63条第1項, 第73条第1項); the 任意 ones have no period.
    NotificationKind.ACKNOWLEDGMENT: Period(days=10, starts="裁判が確定した日", article="戸籍法第63条第1項"),
    NotificationKind.DISSOLUTION: Period(days=10, starts="裁判が確定した日", article="戸籍法第73条第1項"),
    NotificationKind.NATIONALITY: Period(months=1, starts="国籍を取得した日", article="戸籍法第102条第1項"),
    NotificationKind.NATURALIZATION: Period(months=1, starts="帰化の告示の日", article="戸籍法第102条の2"),
}
# A birth or death abroad: three months (第49条第1項・第86条第1項の括弧書).
ABROAD = "abroad"
ABROAD_PERIODS: dict[str, Period] = {
    NotificationKind.BIRTH: Period(months=3, starts="出生の日(国外)", article="戸籍法第49条第1項"),
    NotificationKind.DEATH: Period(months=3, starts="死亡の事実を知った日(国外)", article="戸籍法第86条第1項"),
}


def office_closed(day: date) -> bool:
    """行政機関の休日 (法律第1条): Saturdays, Sundays, national holidays and 12月29日〜1月3日."""
    year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return day.weekday() >= 5 or year_end or jpholiday.is_holiday(day)


def months_end(start: date, months: int) -> date:
    """The last day of a period of ``months`` counted from ``start`` included: the day before the same date of
    the last month, or that month's last day when it has no such date (民法 第143条第2項)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    length = calendar.monthrange(year, month)[1]
    if start.day > length:
        return date(year, month, length)
    return date(year, month, start.day) - timedelta(days=1)


def period_of(kind: str, *, abroad: bool = False) -> Period | None:
    return ABROAD_PERIODS.get(kind) if abroad else PERIODS.get(kind)


def due_date(kind: str, start: date, *, abroad: bool = False) -> date | None:
    """The last day to file a 届出 of ``kind`` whose period runs from ``start`` (None: no period).

    The first day counts (第43条第1項): a child born on 11月1日 is notified by 11月14日."""
    period = period_of(kind, abroad=abroad)
    if period is None:
        return None
    last = months_end(start, period.months) if period.months else start + timedelta(days=period.days - 1)
    while office_closed(last):
        last += timedelta(days=1)
    return last


def is_late(kind: str, *, start: date | None, notified_on: date, abroad: bool = False) -> tuple[date | None, bool]:
    """(due date, filed after it) for a 届出 of ``kind`` filed on ``notified_on``."""
    due = due_date(kind, start, abroad=abroad) if start is not None else None
    return due, due is not None and notified_on > due
