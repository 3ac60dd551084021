"""滞納整理 (docs/domain/water_billing.md §7): the next step for a customer in arrears, and each claim's 時効."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from water_billing.models import Bill

PRIVATE_LAW_REFORM = date(2020, 4, 1)  # 民法 第166条 (改正法の施行日), §7
DUNNING_AFTER_DAYS = 20
STOP_NOTICE_AFTER_DAYS = 90


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def prescription_date(*, service: str, due_on: date) -> date:
    """時効: water 2 years (旧民法 第173条) for claims due before 2020-04-01, else 5 years (民法 第166条); sewer
    5 years (地方自治法 第236条). Counted from the day after the 納期限."""
    if service == "water" and due_on < PRIVATE_LAW_REFORM:
        return _add_years(due_on, 2)
    return _add_years(due_on, 5)


def next_step(bills: Sequence[Bill], *, today: date) -> str:
    """The next step of 滞納整理 for a customer's overdue bills (oldest first)."""
    if not bills:
        return ""
    oldest = min(b.due_on for b in bills)
    days = (today - oldest).days
    if days <= DUNNING_AFTER_DAYS:
        return "督促状の発付"
    if days <= STOP_NOTICE_AFTER_DAYS:
        return "催告書の送付"
    return "給水停止予告"
