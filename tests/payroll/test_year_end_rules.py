"""年末調整 rule functions (docs/domain/payroll.md §13), with worked examples computed by hand in the comments."""

from __future__ import annotations

import pytest

from payroll import year_end as ye
from payroll.year_end_errors import YearEndInputError, YearEndYearUnsupported

# --- 給与所得控除後の金額 (§13.2) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pay", "year", "expected"),
    [
        (550_999, 2023, 0),  # under 551,000: 0
        (551_000, 2023, 1_000),  # 551,000 − 550,000
        (1_618_999, 2023, 1_068_999),
        (1_619_500, 2023, 1_069_000),  # 別表第五's own rows
        (1_621_000, 2023, 1_070_000),
        (1_623_999, 2023, 1_072_000),
        (1_625_000, 2023, 1_074_000),
        (1_628_000, 2023, 1_076_800),  # 407,000 × 2.4 + 100,000
        (1_800_000, 2023, 1_180_000),  # 450,000 × 2.8 − 80,000
        (3_000_000, 2023, 2_020_000),  # 750,000 × 2.8 − 80,000
        (3_600_000, 2023, 2_440_000),  # 900,000 × 3.2 − 440,000
        (3_603_999, 2023, 2_440_000),  # same 4,000-yen row
        (6_599_999, 2023, 4_836_800),  # 1,649,999 → 1,649,000 × 3.2 − 440,000
        (6_600_000, 2023, 4_840_000),  # × 0.9 − 1,100,000
        (7_777_777, 2023, 5_899_999),  # 6,999,999.3 → 6,999,999 − 1,100,000
        (9_000_000, 2023, 7_050_000),  # − 1,950,000
        (650_999, 2026, 0),  # 令和7年分以降: under 651,000: 0
        (651_000, 2026, 1_000),
        (1_625_000, 2026, 975_000),  # the 65万 minimum, no odd rows any more
        (1_899_999, 2026, 1_249_999),
        (1_900_000, 2026, 1_250_000),  # 475,000 × 2.8 − 80,000
        (4_800_000, 2026, 3_400_000),  # 1,200,000 × 3.2 − 440,000
    ],
)
def test_employment_income(pay: int, year: int, expected: int) -> None:
    assert ye.employment_income(pay, year) == expected


def test_income_adjustment_is_ten_percent_over_850man_capped_at_1000man() -> None:
    assert ye.income_adjustment(9_000_000, eligible=True) == 50_000
    assert ye.income_adjustment(12_000_000, eligible=True) == 150_000
    assert ye.income_adjustment(8_500_005, eligible=True) == 1  # 0.5 → 1円未満切上げ
    assert ye.income_adjustment(9_000_000, eligible=False) == 0


# --- 所得控除 (§13.3–§13.5) -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("income", "year", "expected"),
    [
        (1_320_000, 2026, 950_000),
        (1_320_001, 2026, 880_000),
        (3_360_000, 2026, 880_000),
        (4_890_000, 2026, 680_000),
        (6_550_000, 2026, 630_000),
        (6_550_001, 2026, 580_000),
        (23_500_001, 2026, 480_000),
        (25_000_001, 2026, 0),
        (1_000_000, 2023, 480_000),
        (24_000_001, 2023, 320_000),
    ],
)
def test_basic_deduction(income: int, year: int, expected: int) -> None:
    assert ye.basic_deduction(income, year) == expected


@pytest.mark.parametrize(
    ("taxpayer", "spouse", "elderly", "year", "expected"),
    [
        (3_000_000, 0, False, 2026, 380_000),  # 配偶者控除
        (3_000_000, 580_000, False, 2026, 380_000),  # 58万以下 (令和7年分以降)
        (3_000_000, 580_000, False, 2023, 380_000),  # 配偶者特別控除 48万超95万以下: also 38万
        (3_000_000, 1_000_000, False, 2026, 360_000),
        (9_200_000, 0, True, 2026, 320_000),  # 老人控除対象配偶者, 900万超950万以下
        (9_800_000, 1_320_000, False, 2026, 10_000),
        (3_000_000, 1_330_001, False, 2026, 0),
        (10_000_001, 0, False, 2026, 0),
    ],
)
def test_spouse_deduction(taxpayer: int, spouse: int, elderly: bool, year: int, expected: int) -> None:
    assert ye.spouse_deduction(taxpayer_income=taxpayer, spouse_income=spouse, elderly=elderly, year=year) == expected


def test_dependant_deduction_by_kind() -> None:
    # 38万 + 63万 × 2 + 58万 + 48万 = 2,700,000
    assert ye.dependant_deduction(general=1, specific=2, elderly_cohabiting=1, elderly_other=1) == 2_700_000


def test_specific_relative_deduction_from_2025_only() -> None:
    # 60万 → 63万; 1,000,000 → 41万; 1,230,001 → none; 500,000 (扶養控除 instead) → none.
    assert ye.specific_relative_deduction([600_000, 1_000_000, 1_230_001, 500_000], 2025) == 1_040_000
    assert ye.specific_relative_deduction([600_000], 2023) == 0


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"new_general": 20_000}, 20_000),
        ({"new_general": 30_001}, 25_001),  # 15,000.5 → 15,001 (切上げ) + 10,000
        ({"new_general": 50_000}, 32_500),  # 12,500 + 20,000
        ({"new_general": 100_000}, 40_000),
        ({"old_general": 60_000}, 40_000),  # 15,000 + 25,000
        ({"old_general": 120_000}, 50_000),
        # both contracts: old alone 40,000 vs min(40,000, 32,500 + 40,000) — 40,000
        ({"new_general": 50_000, "old_general": 60_000}, 40_000),
        # old alone 50,000 beats both together (capped at 40,000)
        ({"new_general": 10_000, "old_general": 120_000}, 50_000),
        ({"new_general": 100_000, "new_care": 100_000, "old_pension": 120_000}, 120_000),  # 130,000 → 120,000
    ],
)
def test_life_insurance_deduction(kwargs: dict[str, int], expected: int) -> None:
    values = {"new_general": 0, "old_general": 0, "new_care": 0, "new_pension": 0, "old_pension": 0, **kwargs}
    assert ye.life_insurance_deduction(**values) == expected


@pytest.mark.parametrize(
    ("earthquake", "old", "expected"),
    [(30_000, 0, 30_000), (80_000, 0, 50_000), (0, 15_001, 12_501), (0, 30_000, 15_000), (45_000, 15_000, 50_000)],
)
def test_earthquake_insurance_deduction(earthquake: int, old: int, expected: int) -> None:
    assert ye.earthquake_insurance_deduction(earthquake=earthquake, old_long_term=old) == expected


# --- tax (§13.6–§13.7) ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("taxable", "expected"),
    [(1_000, 50), (1_949_000, 97_450), (1_950_000, 97_500), (3_982_000, 368_900), (7_000_000, 974_000),
     (20_000_000, 5_204_000), (50_000_000, 17_704_000)],
)  # fmt: skip
def test_income_tax_rate_table(taxable: int, expected: int) -> None:
    assert ye.income_tax(taxable) == expected


def test_reconstruction_tax_is_102_1_percent_floored_to_100_yen() -> None:
    assert ye.reconstruction_tax_included(59_500) == 60_700  # 60,749.5
    assert ye.reconstruction_tax_included(0) == 0


# --- whole adjustments: worked examples ---------------------------------------------------------------------------


def test_worked_example_refund_2026() -> None:
    """支払金額 4,800,000, withheld 120,000, 共済 700,000; spouse without income, one child of 17; 一般生命保険料
    (新) 100,000; 地震保険料 30,000.
    給与所得 3,400,000 (1,200,000 × 3.2 − 440,000); 合計所得 3,400,000 → 基礎控除 68万.
    控除 = 700,000 + 40,000 + 30,000 + 380,000 (配偶者) + 380,000 (扶養) + 680,000 = 2,210,000.
    課税 1,190,000 → 5 % = 59,500 → × 102.1 % = 60,749.5 → 60,700; 過不足 120,000 − 60,700 = 59,300 還付."""
    figures = ye.adjust(
        ye.YearEndInput(year=2026, pay=4_800_000, withheld=120_000, social_withheld=700_000, has_spouse=True,
                        dependants_general=1, life_new_general=100_000, earthquake=30_000)
    )  # fmt: skip
    assert figures.employment_income == 3_400_000
    assert figures.basic == 680_000
    assert figures.deductions == 2_210_000
    assert figures.taxable == 1_190_000
    assert figures.computed_tax == 59_500
    assert figures.annual_tax == 60_700
    assert figures.difference == 59_300


def test_worked_example_high_income_with_loan_credit_2026() -> None:
    """支払金額 9,000,000 with a child under 23 (所得金額調整控除), withheld 250,000, 共済 1,300,000.
    給与所得 7,050,000 − 調整控除 50,000 = 7,000,000 → 基礎控除 58万.
    配偶者の所得 1,000,000 → 配偶者特別控除 36万. 特定扶養 1 → 63万.
    生命: 一般 max(old 60,000 → 40,000, min(40,000, 32,500 + 40,000)) = 40,000; 介護医療 30,000 → 25,000;
    個人年金(旧) 120,000 → 50,000; total 115,000. 地震 20,000 + 旧長期 15,000 → 12,500 = 32,500.
    控除 = 1,300,000 + 115,000 + 32,500 + 360,000 + 630,000 + 580,000 = 3,017,500.
    課税 3,982,500 → 3,982,000 → × 20 % − 427,500 = 368,900; 住宅 200,000 → 168,900;
    × 102.1 % = 172,446.9 → 172,400; 過不足 250,000 − 172,400 = 77,600 還付."""
    figures = ye.adjust(
        ye.YearEndInput(year=2026, pay=9_000_000, withheld=250_000, social_withheld=1_300_000,
                        adjustment_eligible=True, has_spouse=True, spouse_income=1_000_000, dependants_specific=1,
                        life_new_general=50_000, life_old_general=60_000, life_new_care=30_000,
                        life_old_pension=120_000, earthquake=20_000, old_long_term=15_000,
                        housing_loan_credit=200_000)
    )  # fmt: skip
    assert figures.income_adjustment == 50_000
    assert figures.spouse == 360_000
    assert figures.life_insurance == 115_000
    assert figures.earthquake_insurance == 32_500
    assert figures.deductions == 3_017_500
    assert figures.taxable == 3_982_000
    assert figures.computed_tax == 368_900
    assert figures.housing_credit == 200_000
    assert figures.annual_tax == 172_400
    assert figures.difference == 77_600


def test_worked_example_additional_collection_2023() -> None:
    """令和5年分: 支払金額 3,000,000, 共済 450,000, withheld 50,000, no declarations.
    給与所得 2,020,000; 基礎控除 48万; 課税 2,020,000 − 930,000 = 1,090,000 → 54,500 → 55,644.5 → 55,600;
    過不足 50,000 − 55,600 = −5,600 (不足額を徴収)."""
    figures = ye.adjust(ye.YearEndInput(year=2023, pay=3_000_000, withheld=50_000, social_withheld=450_000))
    assert figures.annual_tax == 55_600
    assert figures.difference == -5_600


def test_a_part_timer_under_the_2025_basic_deduction_owes_nothing() -> None:
    """令和7年分: 1,500,000 → 給与所得 850,000, 基礎控除 95万 → 課税 0; the 3,000 withheld is refunded."""
    figures = ye.adjust(ye.YearEndInput(year=2025, pay=1_500_000, withheld=3_000, social_withheld=0))
    assert figures.annual_tax == 0
    assert figures.difference == 3_000


def test_the_housing_credit_never_exceeds_the_tax() -> None:
    figures = ye.adjust(
        ye.YearEndInput(year=2026, pay=3_000_000, withheld=40_000, social_withheld=450_000, housing_loan_credit=400_000)
    )
    assert figures.housing_credit == figures.computed_tax
    assert figures.annual_tax == 0


def test_negative_premiums_are_refused() -> None:
    with pytest.raises(YearEndInputError) as error:
        ye.adjust(ye.YearEndInput(year=2026, pay=3_000_000, withheld=0, social_withheld=0, life_new_general=-1))
    assert error.value.details["field"] == "life_new_general"


def test_widow_and_single_parent_together_are_refused() -> None:
    with pytest.raises(YearEndInputError):
        ye.validate(ye.YearEndInput(year=2026, pay=0, withheld=0, social_withheld=0, widow=True, single_parent=True))


def test_2024_is_refused_for_its_fixed_tax_cut() -> None:
    with pytest.raises(YearEndYearUnsupported):
        ye.rules_for(2024)
