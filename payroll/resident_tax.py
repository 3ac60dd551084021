"""住民税の特別徴収 (special collection of the resident tax from salary): docs/domain/payroll.md §2."""

from __future__ import annotations

from datetime import date

from payroll.errors import PayrollInputError

# The collection year runs June to May (地方税法 第321条の5 第1項).
MONTHS = (6, 7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5)


def instalments(annual: int) -> list[int]:
    """The 12 monthly amounts of an annual 特別徴収税額, June first: each month the annual amount divided by 12 and
    rounded down to 100 yen, the remainder (the parts under 100 yen) added to June (§2.1)."""
    if isinstance(annual, bool) or not isinstance(annual, int) or annual < 0:
        raise PayrollInputError(
            "住民税の年税額は0円以上の整数で入力してください。",
            code="payroll_invalid_resident_tax",
            details={"field": "annual"},
        )
    monthly = annual // 12 // 100 * 100
    return [annual - monthly * 11, *([monthly] * 11)]


def instalment_for(annual: int, month: date) -> int:
    """The instalment due in the calendar month of ``month`` (June = the first)."""
    return instalments(annual)[MONTHS.index(month.month)]


def remaining_after(annual: int, month: date) -> int:
    """What is left to collect after ``month``'s instalment: on leaving, collected in one sum or switched to
    普通徴収 (§2.2)."""
    index = MONTHS.index(month.month)
    return sum(instalments(annual)[index + 1 :])
