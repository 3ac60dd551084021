"""The fixed rules of the general account (官公庁会計): fiscal years, 出納整理期間, the 27 歳出節, code formats.

Pure functions and constants, no database: the services and selectors call these, so that a rule exists once.
Statute references: docs/domain/finance.md.
"""

from __future__ import annotations

import re
from datetime import date

from finance.errors import InvalidAmount, InvalidBudgetCode

# 地方自治法施行規則 第15条 別記 (歳出予算に係る節の区分), in force since FY2020 (賃金 removed):
# docs/domain/finance.md §3.
EXPENDITURE_SETSU: dict[str, str] = {
    "01": "報酬",
    "02": "給料",
    "03": "職員手当等",
    "04": "共済費",
    "05": "災害補償費",
    "06": "恩給及び退職年金",
    "07": "報償費",
    "08": "旅費",
    "09": "交際費",
    "10": "需用費",
    "11": "役務費",
    "12": "委託料",
    "13": "使用料及び賃借料",
    "14": "工事請負費",
    "15": "原材料費",
    "16": "公有財産購入費",
    "17": "備品購入費",
    "18": "負担金補助及び交付金",
    "19": "扶助費",
    "20": "貸付金",
    "21": "補償補塡及び賠償金",
    "22": "償還金利子及び割引料",
    "23": "投資及び出資金",
    "24": "積立金",
    "25": "寄附金",
    "26": "公課費",
    "27": "繰出金",
}

# The 節 the cost sharing among the towns is posted to (負担金補助及び交付金).
SETSU_CONTRIBUTIONS = "18"

_TWO_DIGITS = re.compile(r"^[0-9]{2}$")
_BUDGET_CODE = re.compile(r"^[0-9]{2}(-[0-9]{2}){0,2}$")


def fiscal_year_of(day: date) -> int:
    """The 会計年度 a date falls in: 1 April to 31 March, named by the year it starts (地方自治法 第208条第1項)."""
    return day.year if day.month >= 4 else day.year - 1


def year_start(year: int) -> date:
    return date(year, 4, 1)


def year_end(year: int) -> date:
    return date(year + 1, 3, 31)


def closing_period_end(year: int) -> date:
    """The last day of the 出納整理期間: the accounts of a year close on 31 May of the next (地方自治法 第235条の5)."""
    return date(year + 1, 5, 31)


def in_year(year: int, day: date) -> bool:
    return year_start(year) <= day <= year_end(year)


def in_year_or_closing_period(year: int, day: date) -> bool:
    """Receipts and payments of what a year assessed or committed may be made until its 出納閉鎖 (31 May)."""
    return year_start(year) <= day <= closing_period_end(year)


def require_two_digits(value: str, *, what: str) -> str:
    value = (value or "").strip()
    if not _TWO_DIGITS.match(value):
        raise InvalidBudgetCode(f"{what}のコードは2桁の数字で入力してください(入力: {value or '空欄'})。")
    return value


def parse_budget_code(value: str) -> tuple[str, ...]:
    """ "02-01-01" -> ("02", "01", "01"): the 款, 項, 目 codes (fewer parts for a 款 or a 項)."""
    value = (value or "").strip()
    if not _BUDGET_CODE.match(value):
        raise InvalidBudgetCode(
            f"科目コードは「款-項-目」の2桁ずつ(例: 02-01-01)で入力してください(入力: {value or '空欄'})。"
        )
    return tuple(value.split("-"))


def require_setsu(code: str) -> str:
    code = require_two_digits(code, what="節")
    if code not in EXPENDITURE_SETSU:
        raise InvalidBudgetCode(f"歳出の節 {code} はありません(01 報酬 〜 27 繰出金)。")
    return code


def require_amount(value: object, *, allow_zero: bool = False) -> int:
    """Amounts are integer yen; a bool, a float, a string or a negative amount is refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(f"金額は円単位の整数で入力してください(入力: {value!r})。")
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidAmount(f"金額は1円以上で入力してください(入力: {value:,}円)。")
    return value


def wareki_year(year: int) -> str:
    """令和の年度名: 2026 -> 令和8年度 (令和元年 = 2019)."""
    return f"令和{year - 2018}年度" if year >= 2019 else f"{year}年度"
