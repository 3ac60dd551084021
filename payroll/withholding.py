"""源泉徴収税額 (income-tax withholding) on salaries and bonuses: the rules of docs/domain/payroll.md §1.

``monthly_tax`` reads the 月額表 (甲欄・乙欄) in force on the payment date, or computes the 電算機計算の特例 when the
town elected it; ``bonus_tax`` applies the 賞与に対する源泉徴収税額の算出率の表. The tables are versioned data in
``payroll/data/withholding/`` (a copy of the NTA tables, README there), chosen by the payment date, never code.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from payroll.errors import PayrollInputError, UnknownDependents, WithholdingTableMissing

DATA_DIR = Path(__file__).resolve().parent / "data" / "withholding"

KO = "甲"
OTSU = "乙"
COLUMNS = (KO, OTSU)
TABLE = "table"
MACHINE = "machine"
METHODS = (TABLE, MACHINE)


# --- rounding rules (named, each citing docs/domain/payroll.md) -------------------------------------------------


def truncate_yen(value: Decimal) -> int:
    """1円未満切捨て: the percentage part of the top 月額表 rows and the 算出率 of bonuses (§1.3, §1.5)."""
    return int(value.to_integral_value(rounding=ROUND_DOWN))


def round_up_yen(value: Decimal) -> int:
    """1円未満切上げ: the 給与所得控除の額 of the 電算機計算の特例 (§1.4 step 2)."""
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def round_half_up_10_yen(value: Decimal) -> int:
    """10円未満四捨五入: the tax of the 電算機計算の特例 (§1.4 step 6)."""
    return int((value / 10).to_integral_value(rounding=ROUND_HALF_UP)) * 10


# --- the tables as data ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthlyRow:
    lower: int
    amounts: tuple[int, ...]  # 甲欄: 0..7 dependents; 乙欄: one amount
    rate: Decimal | None  # overLowerLimitRate: (amount − lower) × rate is added


@dataclass(frozen=True)
class MonthlyTable:
    effective_from: date
    per_extra_dependent: int
    max_dependents: int
    ko: tuple[MonthlyRow, ...]
    otsu: tuple[MonthlyRow, ...]


@dataclass(frozen=True)
class BonusBand:
    lower: int
    rate: Decimal


@dataclass(frozen=True)
class BonusTable:
    effective_from: date
    ko: tuple[tuple[BonusBand, ...], ...]  # by dependents 0..7 (7 = 7人以上)
    otsu: tuple[BonusBand, ...]


def _effective_from(path: Path) -> date:
    match = re.search(r"_(\d{4}-\d{2}-\d{2})\.yaml$", path.name)
    if match is None:  # pragma: no cover - a misnamed data file is a packaging error
        raise ValueError(f"withholding table without a date in its name: {path.name}")
    return date.fromisoformat(match.group(1))


def _load(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader (C or Python)


def _rate(raw: Any) -> Decimal | None:
    # The YAML holds rates as floats; str() gives back the printed digits (0.2042), never a binary expansion.
    return None if raw is None else Decimal(str(raw))


@cache
def monthly_tables() -> tuple[MonthlyTable, ...]:
    tables = []
    for path in sorted(DATA_DIR.glob("monthly-tables_*.yaml")):
        data = _load(path)
        ko = tuple(
            MonthlyRow(
                lower=int(row["lowerLimit"]),
                amounts=tuple(int(d["amount"]) for d in sorted(row["dependents"], key=lambda d: d["count"])),
                rate=_rate(row.get("overLowerLimitRate")),
            )
            for row in data["general"]
        )
        otsu = tuple(
            MonthlyRow(
                lower=int(row["lowerLimit"]), amounts=(int(row["amount"]),), rate=_rate(row.get("overLowerLimitRate"))
            )
            for row in data["default"]
        )
        meta = data["metadata"]
        tables.append(
            MonthlyTable(
                effective_from=_effective_from(path),
                per_extra_dependent=int(meta["dependentsOverMaxAdjustment"]["perExtraDependentDeduction"]),
                max_dependents=int(meta["maxDependents"]),
                ko=ko,
                otsu=otsu,
            )
        )
    return tuple(sorted(tables, key=lambda table: table.effective_from))


@cache
def bonus_tables() -> tuple[BonusTable, ...]:
    tables = []
    for path in sorted(DATA_DIR.glob("bonus-tables_*.yaml")):
        data = _load(path)

        def bands(rows: list[dict[str, Any]]) -> tuple[BonusBand, ...]:
            return tuple(BonusBand(lower=int(row["lowerLimit"] or 0), rate=Decimal(str(row["rate"]))) for row in rows)

        ko = tuple(bands(data[f"dependents{count}"]) for count in range(8))
        tables.append(BonusTable(effective_from=_effective_from(path), ko=ko, otsu=bands(data["unknown"])))
    return tuple(sorted(tables, key=lambda table: table.effective_from))


def _in_force(tables: tuple[Any, ...], paid_on: date, label: str) -> Any:
    chosen = None
    for table in tables:
        if table.effective_from <= paid_on:
            chosen = table
    if chosen is None:
        raise WithholdingTableMissing(
            f"支払日 {paid_on.isoformat()} に適用される{label}がありません(収録: "
            + "、".join(t.effective_from.isoformat() for t in tables)
            + " 以降)。",
            details={"paid_on": paid_on.isoformat()},
        )
    return chosen


def monthly_table_in_force(paid_on: date) -> MonthlyTable:
    """The 月額表 for a payment date (§1.1): the latest table whose first day is not after ``paid_on``."""
    return _in_force(monthly_tables(), paid_on, "源泉徴収税額表(月額表)")


def bonus_table_in_force(paid_on: date) -> BonusTable:
    """The 算出率の表 for a payment date (§1.1), chosen like the 月額表: the latest file
    ``bonus-tables_<施行日>.yaml`` whose 施行日 is not after ``paid_on``."""
    return _in_force(bonus_tables(), paid_on, "賞与に対する源泉徴収税額の算出率の表")


def bonus_table_note(paid_on: date) -> str:
    """Which 算出率の表 a bonus paid on ``paid_on`` used, flagged when it is older than the 月額表 in force (the
    newer year's 算出率の表 has not been loaded as data yet, §1.1)."""
    table = bonus_table_in_force(paid_on)
    note = f"算出率の表 {table.effective_from.isoformat()}版"
    if table.effective_from < monthly_table_in_force(paid_on).effective_from:
        note += "(支払年の表が未収録)"
    return note


# --- input checks ------------------------------------------------------------------------------------------------


def _check(amount: int, dependents: int, column: str, method: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise PayrollInputError(
            "社会保険料等控除後の給与等の金額は0円以上の整数で入力してください。",
            code="payroll_invalid_amount",
            details={"field": "amount"},
        )
    if isinstance(dependents, bool) or not isinstance(dependents, int) or dependents < 0:
        raise UnknownDependents(details={"field": "dependents"})
    if column not in COLUMNS:
        raise PayrollInputError(
            "税額表の欄は「甲」または「乙」を指定してください。",
            code="payroll_invalid_column",
            details={"field": "column"},
        )
    if method not in METHODS:
        raise PayrollInputError(
            "計算方法は table(税額表)または machine(電算機計算の特例)を指定してください。",
            code="payroll_invalid_method",
            details={"field": "method"},
        )
    if method == MACHINE and column == OTSU:
        raise PayrollInputError(
            "電算機計算の特例は甲欄にだけ適用できます(乙欄は税額表によります)。",
            code="payroll_machine_otsu",
            details={"field": "method"},
        )


# --- 月額表 -----------------------------------------------------------------------------------------------------


def _row(rows: tuple[MonthlyRow, ...], amount: int) -> MonthlyRow:
    lowers = [row.lower for row in rows]
    return rows[bisect.bisect_right(lowers, amount) - 1]


def _row_amount(row: MonthlyRow, index: int, amount: int) -> int:
    base = row.amounts[index]
    if row.rate is None:
        return base
    return base + truncate_yen(Decimal(amount - row.lower) * row.rate)


def table_tax(amount: int, dependents: int, paid_on: date, column: str = KO) -> int:
    """The 月額表 lookup (§1.3): the band ``[lower, next lower)`` holding ``amount``; 8 or more dependents take
    the 7-dependent tax less 1,610 yen per extra person; 乙欄 less 1,610 yen per dependent; never below 0."""
    table = monthly_table_in_force(paid_on)
    if column == OTSU:
        tax = _row_amount(_row(table.otsu, amount), 0, amount)
        return max(0, tax - table.per_extra_dependent * dependents)
    row = _row(table.ko, amount)
    capped = min(dependents, table.max_dependents)
    tax = _row_amount(row, capped, amount)
    extra = dependents - capped
    return max(0, tax - table.per_extra_dependent * extra)


# --- 電算機計算の特例 (甲欄) ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MachineParameters:
    """One version of the 電算機計算の特例's 別表 (§1.4). The bands are (upper bound inclusive, …)."""

    effective_from: date
    # 別表第一: (upper A, rate, addition) — deduction = A × rate + addition; a rate of 0 means a fixed amount.
    employment_income_deduction: tuple[tuple[int | None, Decimal, int], ...]
    per_dependent: int  # 別表第二
    basic_deduction: tuple[tuple[int | None, int], ...]  # 別表第三: (upper A, amount)
    tax_rates: tuple[tuple[int | None, Decimal, int], ...]  # 別表第四: (upper B, rate, subtraction)


_TAX_RATES = (
    (162_500, Decimal("0.05105"), 0),
    (275_000, Decimal("0.10210"), 8_296),
    (579_166, Decimal("0.20420"), 36_374),
    (750_000, Decimal("0.23483"), 54_113),
    (1_500_000, Decimal("0.33693"), 130_688),
    (3_333_333, Decimal("0.40840"), 237_893),
    (None, Decimal("0.45945"), 408_061),
)

MACHINE_PARAMETERS = (
    MachineParameters(
        effective_from=date(2020, 1, 1),
        employment_income_deduction=(
            (135_416, Decimal(0), 45_834),
            (149_999, Decimal("0.4"), -8_333),
            (299_999, Decimal("0.3"), 6_667),
            (549_999, Decimal("0.2"), 36_667),
            (708_330, Decimal("0.1"), 91_667),
            (None, Decimal(0), 162_500),
        ),
        per_dependent=31_667,
        basic_deduction=((2_162_499, 40_000), (2_204_166, 26_667), (2_245_833, 13_334), (None, 0)),
        tax_rates=_TAX_RATES,
    ),
    MachineParameters(
        effective_from=date(2026, 1, 1),
        employment_income_deduction=(
            (158_333, Decimal(0), 54_167),
            (299_999, Decimal("0.3"), 6_667),
            (549_999, Decimal("0.2"), 36_667),
            (708_330, Decimal("0.1"), 91_667),
            (None, Decimal(0), 162_500),
        ),
        per_dependent=31_667,
        basic_deduction=(
            (2_120_833, 48_334),
            (2_162_499, 40_000),
            (2_204_166, 26_667),
            (2_245_833, 13_334),
            (None, 0),
        ),
        tax_rates=_TAX_RATES,
    ),
)


def _band(bands: tuple[Any, ...], value: int) -> Any:
    for band in bands:
        if band[0] is None or value <= band[0]:
            return band
    raise AssertionError("the last band is open")  # pragma: no cover


def machine_tax(amount: int, dependents: int, paid_on: date) -> int:
    """The 電算機計算の特例 (§1.4): A − 給与所得控除 − 扶養控除等 − 基礎控除 = B; B × rate − subtraction, rounded
    to 10 yen. There is no 88,000/105,000 yen floor: the formula is the method."""
    params = _in_force(MACHINE_PARAMETERS, paid_on, "電算機計算の特例の別表")
    _, rate, addition = _band(params.employment_income_deduction, amount)
    employment = round_up_yen(Decimal(amount) * rate + addition) if rate else addition
    basic = _band(params.basic_deduction, amount)[1]
    taxable = amount - employment - params.per_dependent * dependents - basic
    if taxable <= 0:
        return 0
    _, tax_rate, subtraction = _band(params.tax_rates, taxable)
    return max(0, round_half_up_10_yen(Decimal(taxable) * tax_rate - subtraction))


def monthly_tax(amount: int, dependents: int, paid_on: date, method: str = TABLE, column: str = KO) -> int:
    """源泉徴収税額 of one month's salary (§1): ``amount`` is the 社会保険料等控除後の給与等の金額 in yen,
    ``dependents`` the 扶養親族等の数 of the 扶養控除等申告書 (乙欄: of the 従たる給与の申告書), the table or the
    machine parameters in force on ``paid_on``. ``method`` is the town's choice (``table`` or ``machine``)."""
    _check(amount, dependents, column, method)
    if method == MACHINE:
        return machine_tax(amount, dependents, paid_on)
    return table_tax(amount, dependents, paid_on, column)


# --- 賞与 (算出率の表) ----------------------------------------------------------------------------------------------


def bonus_rate(previous_month_amount: int, dependents: int, paid_on: date, column: str = KO) -> Decimal:
    """The 算出率 for a bonus (§1.5): the band of the previous month's 社会保険料等控除後の給与等の金額 in the column
    of the dependents (7 = 7人以上) or the 乙欄."""
    table = bonus_table_in_force(paid_on)
    bands = table.otsu if column == OTSU else table.ko[min(dependents, 7)]
    lowers = [band.lower for band in bands]
    return bands[bisect.bisect_right(lowers, previous_month_amount) - 1].rate


def bonus_tax(
    bonus_amount: int,
    previous_month_amount: int,
    dependents: int,
    paid_on: date,
    column: str = KO,
    *,
    method: str = TABLE,
    period_months: int = 6,
) -> int:
    """源泉徴収税額 of a bonus (§1.5). ``bonus_amount`` is the bonus less its 社会保険料等, ``previous_month_amount``
    the previous month's salary less its 社会保険料等. When there was no salary in the previous month, or the bonus
    exceeds ten times it, the 月額表 applies to a sixth (a twelfth for a 計算期間 over six months) of the bonus
    plus the previous month's salary, and the difference is multiplied back (NTA note on the 算出率の表)."""
    _check(bonus_amount, dependents, column, method)
    _check(previous_month_amount, dependents, column, method)
    if period_months not in (6, 12):
        raise PayrollInputError("賞与の計算期間は6か月または12か月で指定してください。", code="payroll_invalid_period")
    if previous_month_amount == 0 or bonus_amount > previous_month_amount * 10:
        divisor = 12 if period_months == 12 else 6
        share = bonus_amount // divisor
        whole = monthly_tax(share + previous_month_amount, dependents, paid_on, method=method, column=column)
        already = monthly_tax(previous_month_amount, dependents, paid_on, method=method, column=column)
        return max(0, (whole - already) * divisor)
    return truncate_yen(Decimal(bonus_amount) * bonus_rate(previous_month_amount, dependents, paid_on, column))
