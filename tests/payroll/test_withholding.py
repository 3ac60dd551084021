"""源泉徴収 (docs/domain/payroll.md §1): table lookups, 8+ dependents, 乙欄, the 電算機計算の特例 and bonuses.

Expected values come from the NTA tables as printed (rows cited in docs/domain/payroll.md §1) and from the
machine method worked by hand, step by step, in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from payroll.errors import PayrollInputError, UnknownDependents, WithholdingTableMissing
from payroll.withholding import bonus_rate, bonus_tax, monthly_table_in_force, monthly_tax

R7 = date(2025, 6, 20)  # 令和7年: the 令和2年分以降 table
R8 = date(2026, 6, 19)  # 令和8年: the new table


@pytest.mark.parametrize(
    ("amount", "dependents", "paid_on", "expected"),
    [
        # R2–R7: zero band under 88,000; the 88,000 and 89,000 rows.
        (87_999, 0, R7, 0),
        (88_000, 0, R7, 130),
        (88_999, 0, R7, 130),
        (89_000, 0, R7, 180),
        # R8: zero band under 105,000; first rows.
        (104_999, 0, R8, 0),
        (105_000, 0, R8, 170),
        (107_000, 0, R8, 280),
        (105_000, 1, R8, 0),
        # R8 199,000 row: 4,340 / 2,730 / 1,100 / 0.
        (199_000, 0, R8, 4_340),
        (199_000, 1, R8, 2_730),
        (199_000, 2, R8, 1_100),
        (199_000, 3, R8, 0),
        # R8 base rows of the formula bands.
        (740_000, 0, R8, 71_680),
        (790_000, 0, R8, 81_890),
        (960_000, 0, R8, 121_820),
        # 740,000 band: 71,680 + (789,999 − 740,000) × 20.42% = 71,680 + 10,209.79… → 81,889 (1円未満切捨て).
        (789_999, 0, R8, 81_889),
        # 960,000 band: 121,820 + 40,000 × 33.693% = 121,820 + 13,477.2 → 135,297.
        (1_000_000, 0, R8, 135_297),
        # 7 dependents at 740,000 (R8): 26,410; 8 dependents: 26,410 − 1,610; 9: − 3,220.
        (740_000, 7, R8, 26_410),
        (740_000, 8, R8, 24_800),
        (740_000, 9, R8, 23_190),
        # many dependents never push the tax below zero.
        (300_000, 20, R8, 0),
        # the same amount under the two tables differs (the 2025 reform).
        (300_000, 2, R8, 4_700),
    ],
)
def test_table_ko(amount: int, dependents: int, paid_on: date, expected: int) -> None:
    assert monthly_tax(amount, dependents, paid_on) == expected


def test_the_table_in_force_is_chosen_by_the_payment_date() -> None:
    assert monthly_table_in_force(date(2025, 12, 31)).effective_from == date(2020, 1, 1)
    assert monthly_table_in_force(date(2026, 1, 1)).effective_from == date(2026, 1, 1)


def test_dec_2025_salary_uses_the_old_table_and_jan_2026_the_new() -> None:
    assert monthly_tax(100_000, 0, date(2025, 12, 25)) > 0
    assert monthly_tax(100_000, 0, date(2026, 1, 23)) == 0


@pytest.mark.parametrize(
    ("amount", "dependents", "paid_on", "expected"),
    [
        # 乙欄 under the first band: 3.063% of the amount. 104,999 × 3.063% = 3,216.1 → 3,216.
        (104_999, 0, R8, 3_216),
        (50_000, 0, R7, 1_531),
        (105_000, 0, R8, 3_800),
        # 乙欄 less 1,610 yen per dependent.
        (105_000, 1, R8, 2_190),
        (740_000, 0, R8, 259_200),
        # 1,710,000 band: 655,400 + 10,000 × 45.945% = 655,400 + 4,594.5 → 659,994.
        (1_720_000, 0, R8, 659_994),
    ],
)
def test_table_otsu(amount: int, dependents: int, paid_on: date, expected: int) -> None:
    assert monthly_tax(amount, dependents, paid_on, column="乙") == expected


@pytest.mark.parametrize(
    ("amount", "dependents", "paid_on", "expected"),
    [
        # R7, A = 87,999: 給与所得控除 45,834, 基礎 40,000, B = 2,165; × 5.105% = 110.5 → 110 (no 88,000 floor).
        (87_999, 0, R7, 110),
        # R7, A = 140,000 (40% band): 56,000 − 8,333 = 47,667; B = 140,000 − 47,667 − 40,000 = 52,333;
        # × 5.105% = 2,671.6 → 2,670.
        (140_000, 0, R7, 2_670),
        # R7, A = 135,417: 54,166.8 − 8,333 = 45,833.8 → 45,834 (切上げ); B = 49,583; × 5.105% = 2,531.2 → 2,530.
        (135_417, 0, R7, 2_530),
        # R8, A = 300,000, 2 dependents: 60,000 + 36,667 = 96,667; 扶養 63,334; 基礎 48,334; B = 91,665;
        # × 5.105% = 4,679.5 → 4,680 (the table gives 4,700).
        (300_000, 2, R8, 4_680),
        # R8, A = 800,000: 162,500; 基礎 48,334; B = 589,166; × 23.483% − 54,113 = 84,240.9 → 84,240.
        (800_000, 0, R8, 84_240),
        # R8, A = 158,333: the floor deduction 54,167; B = 158,333 − 54,167 − 48,334 = 55,832;
        # × 5.105% = 2,850.2 → 2,850.
        (158_333, 0, R8, 2_850),
        # R8, A = 2,130,000: 基礎 40,000 (2,120,834 … 2,162,499); B = 2,130,000 − 162,500 − 40,000 = 1,927,500;
        # × 40.84% − 237,893 = 787,191 − 237,893 = 549,298 → 549,300.
        (2_130_000, 0, R8, 549_300),
        # B ≤ 0: no tax.
        (100_000, 3, R8, 0),
    ],
)
def test_machine_method(amount: int, dependents: int, paid_on: date, expected: int) -> None:
    assert monthly_tax(amount, dependents, paid_on, method="machine") == expected


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"amount": -1, "dependents": 0}, PayrollInputError, "payroll_invalid_amount"),
        ({"amount": 100_000, "dependents": -1}, UnknownDependents, "payroll_unknown_dependents"),
        ({"amount": 100_000, "dependents": 0, "column": "丙"}, PayrollInputError, "payroll_invalid_column"),
        ({"amount": 100_000, "dependents": 0, "method": "guess"}, PayrollInputError, "payroll_invalid_method"),
        (
            {"amount": 100_000, "dependents": 0, "method": "machine", "column": "乙"},
            PayrollInputError,
            "payroll_machine_otsu",
        ),
    ],
)
def test_bad_input_is_refused_with_a_stable_code(kwargs: dict, error: type, code: str) -> None:
    with pytest.raises(error) as raised:
        monthly_tax(paid_on=R8, **kwargs)
    assert raised.value.code == code


def test_a_date_before_the_first_table_is_refused() -> None:
    with pytest.raises(WithholdingTableMissing):
        monthly_tax(100_000, 0, date(2019, 12, 25))


@pytest.mark.parametrize(
    ("previous", "dependents", "column", "expected"),
    [
        (67_999, 0, "甲", "0"),
        (68_000, 0, "甲", "0.02042"),
        (300_000, 0, "甲", "0.08168"),
        (94_000, 1, "甲", "0.02042"),
        (93_999, 1, "甲", "0"),
        (100_000, 0, "乙", "0.10210"),
        (222_000, 0, "乙", "0.20420"),
    ],
)
def test_bonus_rate(previous: int, dependents: int, column: str, expected: str) -> None:
    assert bonus_rate(previous, dependents, R7, column) == Decimal(expected)


def test_bonus_tax_by_the_rate_table() -> None:
    # 前月 300,000 (0 dependents): 8.168%; 600,000 × 8.168% = 49,008.
    assert bonus_tax(600_000, 300_000, 0, R7) == 49_008


def test_bonus_over_ten_times_the_previous_month_uses_the_monthly_table() -> None:
    # bonus 1,000,000, 前月 90,000 (R7, 0 dependents): 1,000,000 / 6 = 166,666; 月額表 at 256,666 (254,000 row)
    # minus the tax at 90,000, times 6.
    expected = (monthly_tax(256_666, 0, R7) - monthly_tax(90_000, 0, R7)) * 6
    assert bonus_tax(1_000_000, 90_000, 0, R7) == expected


def test_bonus_with_no_salary_in_the_previous_month() -> None:
    assert bonus_tax(600_000, 0, 0, R7) == monthly_tax(100_000, 0, R7) * 6


def test_command_prints_the_tax() -> None:
    out = StringIO()
    call_command("withholding", "--amount", "199000", "--dependents", "1", "--paid-on", "2026-06-19", stdout=out)
    assert out.getvalue().strip() == "2730"


def test_command_machine_method() -> None:
    out = StringIO()
    call_command(
        "withholding",
        "--amount",
        "300000",
        "--dependents",
        "2",
        "--paid-on",
        "2026-06-19",
        "--method",
        "machine",
        stdout=out,
    )
    assert out.getvalue().strip() == "4680"


def test_command_refuses_bad_input() -> None:
    with pytest.raises(CommandError, match="payroll_unknown_dependents"):
        call_command("withholding", "--amount", "1", "--dependents", "-2", "--paid-on", "2026-06-19", stdout=StringIO())
