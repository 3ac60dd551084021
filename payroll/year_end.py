"""年末調整 (year-end adjustment of income tax) as plain, typed rule functions: docs/domain/payroll.md §13.

``adjust(YearEndInput) -> YearEndFigures`` is the whole calculation for one staff member and year; every step is
a named function that anyone can call and check against the NTA's 年末調整のしかた. All amounts are integer yen.
The year-dependent amounts (給与所得控除の最低額, 基礎控除, the income limit of 配偶者・扶養親族, 特定親族特別控除)
come from ``rules_for(year)``; a year without verified rules is refused (§13.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from payroll.year_end_errors import YearEndInputError, YearEndYearUnsupported

# --- the rules of each year (§13.1) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearRules:
    year: int
    salary_deduction_minimum: int  # 給与所得控除の最低額 (所得税法28条3項)
    relative_income_limit: int  # 同一生計配偶者・扶養親族の合計所得金額の上限 (所得税法2条1項33号・34号)
    basic: tuple[
        tuple[int, int], ...
    ]  # 基礎控除: (合計所得金額 以下, 控除額), ascending (所得税法86条, 措置法41条の16の2)
    specific_relative: bool  # 特定親族特別控除 (所得税法84条の2, 令和7年分から)
    working_student_limit: int  # 勤労学生の合計所得金額の上限 (所得税法2条1項32号)


_BASIC_2020 = ((24_000_000, 480_000), (24_500_000, 320_000), (25_000_000, 160_000))
# 令和7年分・8年分: 58万 plus the 特例 additions by 合計所得金額 (措置法41条の16の2) — 95/88/68/63/58万.
_BASIC_2025 = (
    (1_320_000, 950_000),
    (3_360_000, 880_000),
    (4_890_000, 680_000),
    (6_550_000, 630_000),
    (23_500_000, 580_000),
    (24_000_000, 480_000),
    (24_500_000, 320_000),
    (25_000_000, 160_000),
)
_RULES_2020 = YearRules(2020, 550_000, 480_000, _BASIC_2020, False, 750_000)
_RULES_2025 = YearRules(2025, 650_000, 580_000, _BASIC_2025, True, 850_000)
# 令和6年分 is refused: its 定額減税 (年調減税額) is not implemented (§13.9).
SUPPORTED_YEARS = {2020: _RULES_2020, 2021: _RULES_2020, 2022: _RULES_2020, 2023: _RULES_2020,
                   2025: _RULES_2025, 2026: _RULES_2025}  # fmt: skip


def rules_for(year: int) -> YearRules:
    """The rules of 年分 ``year`` (§13.1); a year without verified rules is refused."""
    rules = SUPPORTED_YEARS.get(year)
    if rules is None:
        raise YearEndYearUnsupported(
            f"{year}年分の年末調整の計算規則はありません(対応: "
            + "・".join(f"{y}年" for y in sorted(SUPPORTED_YEARS))
            + ")。",
            details={"year": year},
        )
    return rules


# --- rounding (named) ---------------------------------------------------------------------------------------------


def ceil_div(amount: int, divisor: int) -> int:
    """1円未満切上げ of amount ÷ divisor: 生命保険料控除・地震保険料控除・所得金額調整控除 (§13.4, §13.5)."""
    return -(-amount // divisor)


def floor_to(amount: int, unit: int) -> int:
    """``unit`` 未満切捨て: 1,000円 (課税給与所得金額, 別表第五's ÷4), 100円 (年調年税額) — §13.6, §13.7."""
    return amount // unit * unit


# --- 給与所得控除後の金額 (§13.2) -----------------------------------------------------------------------------------

# 所得税法別表第五 (令和2年分以降), 1,619,000 … 1,627,999 円: the table's own rows (not a formula).
_TABLE_ROWS_2020 = ((1_619_000, 1_069_000), (1_620_000, 1_070_000), (1_622_000, 1_072_000), (1_624_000, 1_074_000))


def employment_income(pay: int, year: int) -> int:
    """給与所得控除後の金額 of the year's 給与等の支払金額 ``pay`` (所得税法28条, 別表第五; §13.2).

    Under 6,600,000 yen 別表第五 is a table of 1,000/2,000/4,000-yen rows; it is computed here as the NTA's own
    formula for it: pay ÷ 4, 1,000円未満切捨て (= the row's lower limit), × 2.4 + 100,000 / × 2.8 − 80,000 /
    × 3.2 − 440,000; the four odd rows 1,619,000–1,627,999 (令和2–6年分) are the table's values.
    """
    if pay < 0:
        raise YearEndInputError("給与等の支払金額が負です。", details={"field": "pay"})
    rules = rules_for(year)
    minimum = rules.salary_deduction_minimum
    if pay < minimum + 1_000:
        return 0
    quarter = floor_to(pay // 4, 1_000)
    if minimum == 550_000:
        if pay < 1_619_000:
            return pay - minimum
        if pay < 1_628_000:
            return next(value for lower, value in reversed(_TABLE_ROWS_2020) if pay >= lower)
        if pay < 1_800_000:
            return quarter * 24 // 10 + 100_000
    elif pay < 1_900_000:  # 令和7年分以降: the 65万 minimum covers every row below 1,900,000
        return pay - minimum
    if pay < 3_600_000:
        return quarter * 28 // 10 - 80_000
    if pay < 6_600_000:
        return quarter * 32 // 10 - 440_000
    if pay < 8_500_000:
        return pay * 9 // 10 - 1_100_000  # 1円未満切捨て
    return pay - 1_950_000


def income_adjustment(pay: int, *, eligible: bool) -> int:
    """所得金額調整控除 (措置法41条の3の3第1項, §13.2): pay over 8,500,000 yen and a 23歳未満の扶養親族 or a
    特別障害者 in the household — (min(pay, 10,000,000) − 8,500,000) × 10 %, 1円未満切上げ."""
    if not eligible or pay <= 8_500_000:
        return 0
    return ceil_div(min(pay, 10_000_000) - 8_500_000, 10)


# --- 所得控除 (§13.3–§13.5) -----------------------------------------------------------------------------------------


def basic_deduction(total_income: int, year: int) -> int:
    """基礎控除 by the staff member's 合計所得金額 (所得税法86条, 措置法41条の16の2; §13.3)."""
    for upper, amount in rules_for(year).basic:
        if total_income <= upper:
            return amount
    return 0


_SPOUSE_SPECIAL = (  # 配偶者の合計所得金額 以下 → 控除額 by the staff member's 合計所得金額 (≤900万, ≤950万, ≤1,000万)
    (950_000, (380_000, 260_000, 130_000)),
    (1_000_000, (360_000, 240_000, 120_000)),
    (1_050_000, (310_000, 210_000, 110_000)),
    (1_100_000, (260_000, 180_000, 90_000)),
    (1_150_000, (210_000, 140_000, 70_000)),
    (1_200_000, (160_000, 110_000, 60_000)),
    (1_250_000, (110_000, 80_000, 40_000)),
    (1_300_000, (60_000, 40_000, 20_000)),
    (1_330_000, (30_000, 20_000, 10_000)),
)


def spouse_deduction(*, taxpayer_income: int, spouse_income: int, elderly: bool, year: int) -> int:
    """配偶者控除 (所得税法83条) or 配偶者特別控除 (83条の2) (§13.3): by the staff member's 合計所得金額 (up to
    10,000,000 yen) and the spouse's; 老人控除対象配偶者 (70歳以上) 48/32/16万 instead of 38/26/13万."""
    if taxpayer_income > 10_000_000 or spouse_income > 1_330_000:
        return 0
    column = 0 if taxpayer_income <= 9_000_000 else 1 if taxpayer_income <= 9_500_000 else 2
    if spouse_income <= rules_for(year).relative_income_limit:
        return (480_000, 320_000, 160_000)[column] if elderly else (380_000, 260_000, 130_000)[column]
    return next(amounts[column] for upper, amounts in _SPOUSE_SPECIAL if spouse_income <= upper)


def dependant_deduction(*, general: int, specific: int, elderly_cohabiting: int, elderly_other: int) -> int:
    """扶養控除 (所得税法84条, 措置法41条の16; §13.3): 一般 38万, 特定扶養親族 (19–22歳) 63万, 同居老親等 58万,
    その他の老人扶養親族 (70歳以上) 48万. Children under 16 are not 控除対象扶養親族."""
    return general * 380_000 + specific * 630_000 + elderly_cohabiting * 580_000 + elderly_other * 480_000


_SPECIFIC_RELATIVE = (  # 特定親族の合計所得金額 以下 → 控除額 (所得税法84条の2)
    (850_000, 630_000), (900_000, 610_000), (950_000, 510_000), (1_000_000, 410_000), (1_050_000, 310_000),
    (1_100_000, 210_000), (1_150_000, 110_000), (1_200_000, 60_000), (1_230_000, 30_000),
)  # fmt: skip


def specific_relative_deduction(incomes: list[int], year: int) -> int:
    """特定親族特別控除 (令和7年分から; §13.3): per 特定親族 (19–22歳, 合計所得金額 58万超123万以下), by that
    relative's income; the staff member's own income must be 1,000万 or less (checked by ``adjust``)."""
    rules = rules_for(year)
    if not rules.specific_relative:
        return 0
    total = 0
    for income in incomes:
        if rules.relative_income_limit < income <= 1_230_000:
            total += next(amount for upper, amount in _SPECIFIC_RELATIVE if income <= upper)
    return total


def personal_deductions(
    *, disabled: int, special: int, special_cohabiting: int, widow: bool, single_parent: bool, working_student: bool
) -> int:
    """障害者控除 27万 / 特別障害者 40万 / 同居特別障害者 75万 per person (所得税法79条), 寡婦控除 27万 (80条),
    ひとり親控除 35万 (81条), 勤労学生控除 27万 (82条) (§13.3)."""
    return (
        disabled * 270_000
        + special * 400_000
        + special_cohabiting * 750_000
        + (270_000 if widow else 0)
        + (350_000 if single_parent else 0)
        + (270_000 if working_student else 0)
    )


def _new_contract(premium: int) -> int:
    """新契約 (平成24年以後) per kind: ≤20,000 全額; ≤40,000 ½+10,000; ≤80,000 ¼+20,000; above 40,000."""
    if premium <= 20_000:
        return premium
    if premium <= 40_000:
        return ceil_div(premium, 2) + 10_000
    if premium <= 80_000:
        return ceil_div(premium, 4) + 20_000
    return 40_000


def _old_contract(premium: int) -> int:
    """旧契約 per kind: ≤25,000 全額; ≤50,000 ½+12,500; ≤100,000 ¼+25,000; above 50,000."""
    if premium <= 25_000:
        return premium
    if premium <= 50_000:
        return ceil_div(premium, 2) + 12_500
    if premium <= 100_000:
        return ceil_div(premium, 4) + 25_000
    return 50_000


def _kind(new: int, old: int) -> int:
    """One kind with both contracts: the old alone (up to 50,000) or both together up to 40,000, the larger."""
    if not new:
        return _old_contract(old)
    if not old:
        return _new_contract(new)
    return max(_old_contract(old), min(40_000, _new_contract(new) + _old_contract(old)))


def life_insurance_deduction(
    *, new_general: int, old_general: int, new_care: int, new_pension: int, old_pension: int
) -> int:
    """生命保険料控除 (所得税法76条; §13.4): 一般・介護医療・個人年金 each by the new/old formulas, at most 120,000."""
    return min(120_000, _kind(new_general, old_general) + _new_contract(new_care) + _kind(new_pension, old_pension))


def earthquake_insurance_deduction(*, earthquake: int, old_long_term: int) -> int:
    """地震保険料控除 (所得税法77条; §13.5): 地震保険料 up to 50,000; 旧長期損害保険料 ≤10,000 全額, ≤20,000
    ½+5,000, above 15,000; together at most 50,000."""
    old = old_long_term if old_long_term <= 10_000 else ceil_div(old_long_term, 2) + 5_000
    return min(50_000, min(earthquake, 50_000) + min(old, 15_000))


# --- tax (§13.6–§13.8) --------------------------------------------------------------------------------------------

_RATES = (  # 課税所得金額 以下 → (税率 %, 控除額) (所得税法89条の速算表)
    (1_949_000, 5, 0), (3_299_000, 10, 97_500), (6_949_000, 20, 427_500), (8_999_000, 23, 636_000),
    (17_999_000, 33, 1_536_000), (39_999_000, 40, 2_796_000),
)  # fmt: skip


def income_tax(taxable: int) -> int:
    """算出所得税額 of a 課税給与所得金額 (1,000-yen multiple) by the 速算表 (所得税法89条; §13.6)."""
    for upper, rate, subtract in _RATES:
        if taxable <= upper:
            return taxable * rate // 100 - subtract
    return taxable * 45 // 100 - 4_796_000


def reconstruction_tax_included(income_tax_amount: int) -> int:
    """年調年税額 = 年調所得税額 × 102.1 % (復興特別所得税を含む), 100円未満切捨て (復興財源確保法13条; §13.7)."""
    return floor_to(income_tax_amount * 1021 // 1000, 100)


# --- the whole adjustment -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearEndInput:
    """What the 年末調整 of one staff member and year starts from: the year's pay and withholding (the locked runs)
    and the declarations (扶養控除等申告書, 基礎控除申告書 etc., 保険料控除申告書, 住宅借入金等特別控除申告書)."""

    year: int
    pay: int  # 給与等の支払金額 (taxable pay of the locked runs paid in the year)
    withheld: int  # 源泉徴収税額 of those runs
    social_withheld: int  # 社会保険料等 deducted in those runs (共済掛金, 雇用保険料)
    social_declared: int = 0  # 社会保険料 paid by the staff member (国民年金 etc., 保険料控除申告書)
    small_enterprise: int = 0  # 小規模企業共済等掛金 (iDeCo etc.)
    other_income: int = 0  # 給与所得以外の所得の見積額 (基礎控除申告書)
    adjustment_eligible: bool = False  # 所得金額調整控除申告書
    has_spouse: bool = False
    spouse_income: int = 0
    spouse_elderly: bool = False
    dependants_general: int = 0
    dependants_specific: int = 0
    dependants_elderly_cohabiting: int = 0
    dependants_elderly_other: int = 0
    specific_relative_incomes: tuple[int, ...] = field(default_factory=tuple)
    disabled: int = 0
    disabled_special: int = 0
    disabled_special_cohabiting: int = 0
    widow: bool = False
    single_parent: bool = False
    working_student: bool = False
    life_new_general: int = 0
    life_old_general: int = 0
    life_new_care: int = 0
    life_new_pension: int = 0
    life_old_pension: int = 0
    earthquake: int = 0
    old_long_term: int = 0
    housing_loan_credit: int = 0  # 住宅借入金等特別控除額 (申告書の金額)


def validate(inp: YearEndInput) -> None:
    """The declarations' own rules (§13.8): no negative amount or count, 寡婦 and ひとり親 not both, no 配偶者
    amounts without a spouse. Raises YearEndInputError naming the field."""
    rules_for(inp.year)
    for item in fields(inp):
        value = getattr(inp, item.name)
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise YearEndInputError(f"「{LABELS.get(item.name, item.name)}」に負の値は入力できません。",
                                    details={"field": item.name})  # fmt: skip
    if any(income < 0 for income in inp.specific_relative_incomes):
        raise YearEndInputError(
            "特定親族の所得に負の値は入力できません。", details={"field": "specific_relative_incomes"}
        )
    if inp.widow and inp.single_parent:
        raise YearEndInputError("寡婦控除とひとり親控除は同時に受けられません。", details={"field": "widow"})
    if not inp.has_spouse and (inp.spouse_income or inp.spouse_elderly):
        raise YearEndInputError("配偶者がいない場合、配偶者の所得・老人区分は入力できません。",
                                details={"field": "spouse_income"})  # fmt: skip


LABELS = {
    "pay": "給与等の支払金額", "withheld": "源泉徴収税額", "social_withheld": "社会保険料等(給与から控除)",
    "social_declared": "社会保険料(申告分)", "small_enterprise": "小規模企業共済等掛金",
    "other_income": "給与所得以外の所得の見積額", "spouse_income": "配偶者の合計所得金額(見積額)",
    "dependants_general": "一般の控除対象扶養親族", "dependants_specific": "特定扶養親族",
    "dependants_elderly_cohabiting": "同居老親等", "dependants_elderly_other": "同居老親等以外の老人扶養親族",
    "disabled": "一般の障害者", "disabled_special": "特別障害者", "disabled_special_cohabiting": "同居特別障害者",
    "life_new_general": "一般の生命保険料(新)", "life_old_general": "一般の生命保険料(旧)",
    "life_new_care": "介護医療保険料", "life_new_pension": "個人年金保険料(新)",
    "life_old_pension": "個人年金保険料(旧)",
    "earthquake": "地震保険料", "old_long_term": "旧長期損害保険料", "housing_loan_credit": "住宅借入金等特別控除額",
}  # fmt: skip


@dataclass(frozen=True)
class YearEndFigures:
    """Every figure of the 年末調整 of one staff member (the columns of the 源泉徴収簿's 年末調整 part)."""

    pay: int  # 給与等の支払金額
    withheld: int  # 源泉徴収税額 (withheld during the year)
    employment_income: int  # 給与所得控除後の金額
    income_adjustment: int  # 所得金額調整控除
    social: int  # 社会保険料等控除 (withheld + declared + 小規模企業共済等掛金)
    life_insurance: int
    earthquake_insurance: int
    spouse: int  # 配偶者(特別)控除
    dependants: int  # 扶養控除 + 特定親族特別控除
    personal: int  # 障害者等の控除
    basic: int  # 基礎控除
    deductions: int  # 所得控除の額の合計
    taxable: int  # 差引課税給与所得金額 (1,000円未満切捨て)
    computed_tax: int  # 算出所得税額
    housing_credit: int  # (特定増改築等)住宅借入金等特別控除額 applied
    income_tax: int  # 年調所得税額
    annual_tax: int  # 年調年税額 (102.1 %, 100円未満切捨て)
    difference: int  # 過不足額: withheld − annual_tax (> 0 超過額 = refund, < 0 不足額 = collected)


def adjust(inp: YearEndInput) -> YearEndFigures:
    """The 年末調整 of one staff member (§13): validate, deduct, tax, compare with what was withheld."""
    validate(inp)
    year = inp.year
    salary_income = employment_income(inp.pay, year)
    adjustment = min(salary_income, income_adjustment(inp.pay, eligible=inp.adjustment_eligible))
    net_salary = salary_income - adjustment
    total_income = net_salary + inp.other_income  # 合計所得金額 (見積額)
    social = inp.social_withheld + inp.social_declared + inp.small_enterprise
    life = life_insurance_deduction(new_general=inp.life_new_general, old_general=inp.life_old_general,
                                    new_care=inp.life_new_care, new_pension=inp.life_new_pension,
                                    old_pension=inp.life_old_pension)  # fmt: skip
    quake = earthquake_insurance_deduction(earthquake=inp.earthquake, old_long_term=inp.old_long_term)
    spouse = 0
    if inp.has_spouse:
        spouse = spouse_deduction(taxpayer_income=total_income, spouse_income=inp.spouse_income,
                                  elderly=inp.spouse_elderly, year=year)  # fmt: skip
    dependants = dependant_deduction(general=inp.dependants_general, specific=inp.dependants_specific,
                                     elderly_cohabiting=inp.dependants_elderly_cohabiting,
                                     elderly_other=inp.dependants_elderly_other)  # fmt: skip
    if total_income <= 10_000_000:
        dependants += specific_relative_deduction(list(inp.specific_relative_incomes), year)
    personal = personal_deductions(disabled=inp.disabled, special=inp.disabled_special,
                                   special_cohabiting=inp.disabled_special_cohabiting,
                                   widow=inp.widow and total_income <= 5_000_000,
                                   single_parent=inp.single_parent and total_income <= 5_000_000,
                                   working_student=inp.working_student
                                   and total_income <= rules_for(year).working_student_limit)  # fmt: skip
    basic = basic_deduction(total_income, year)
    deductions = social + life + quake + spouse + dependants + personal + basic
    taxable = floor_to(max(0, net_salary - deductions), 1_000)
    computed = income_tax(taxable)
    credit = min(computed, inp.housing_loan_credit)
    annual = reconstruction_tax_included(computed - credit)
    return YearEndFigures(
        pay=inp.pay, withheld=inp.withheld, employment_income=salary_income, income_adjustment=adjustment,
        social=social, life_insurance=life, earthquake_insurance=quake, spouse=spouse, dependants=dependants,
        personal=personal, basic=basic, deductions=deductions, taxable=taxable, computed_tax=computed,
        housing_credit=credit, income_tax=computed - credit, annual_tax=annual, difference=inp.withheld - annual,
    )  # fmt: skip
