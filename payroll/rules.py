"""Pay rules as plain functions (allowances, 共済, 雇用保険, 期末・勤勉): docs/domain/payroll.md §5–§6.

Each takes the parameters in force (payroll.parameters) as arguments, so the run, the preview and the tests apply
the same rule.
"""

from __future__ import annotations

import bisect
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

from payroll.errors import NegativeCount, NegativeHours, UnknownDependents

# --- rounding (named) ---------------------------------------------------------------------------------------------


def truncate(value: Decimal) -> int:
    """1円未満切捨て (共済掛金, 期末・勤勉手当, 勤務1時間当たりの給与額: §5.4, §5.6, §6.1)."""
    return int(value.to_integral_value(rounding=ROUND_DOWN))


def half_up(value: Decimal) -> int:
    """50銭以上切上げ (時間外勤務手当 per class, §5.4)."""
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def half_down(value: Decimal) -> int:
    """50銭以下切捨て (the employee's 雇用保険料, §6.3)."""
    return int(value.to_integral_value(rounding=ROUND_HALF_DOWN))


# --- allowances ---------------------------------------------------------------------------------------------------


def family_allowance(
    *, children: int, children_specific: int, parents: int, child: int, specific: int, parent: int
) -> int:
    """扶養手当 (§5.1): per child, the 特定期間 addition per child aged 16–22, per parent."""
    for count in (children, children_specific, parents):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise UnknownDependents("扶養親族の数は0以上の整数で入力してください。")
    if children_specific > children:
        raise UnknownDependents("特定期間の子の数が扶養する子の数を超えています。")
    return children * child + children_specific * specific + parents * parent


def housing_allowance(rent: int) -> int:
    """住居手当 (§5.2): rent over 16,000 yen; the part up to 27,000 in full, half of the rest; at most 28,000."""
    if rent <= 16_000:
        return 0
    first = min(rent, 27_000) - 16_000
    second = max(0, rent - 27_000) // 2
    return min(28_000, first + second)


def commute_allowance(*, transit_pass: int, car_km: Decimal, cap: int, car_bands: list[tuple[Decimal, int]]) -> int:
    """通勤手当 (§5.3): the pass price up to the cap, plus the car band of the one-way distance."""
    car = 0
    lowers = [km for km, _ in car_bands]
    index = bisect.bisect_right(lowers, car_km) - 1
    if index >= 0:
        car = car_bands[index][1]
    return min(transit_pass, cap) + car


OVERTIME_RATES = {
    "hours_125": Decimal("1.25"),
    "hours_135": Decimal("1.35"),
    "hours_150": Decimal("1.50"),
    "hours_175": Decimal("1.75"),
    "hours_night": Decimal("0.25"),
}
OVERTIME_LABELS = {
    "hours_125": "時間外勤務手当(125%)",
    "hours_135": "休日勤務手当(135%)",
    "hours_150": "時間外勤務手当(60時間超150%)",
    "hours_175": "時間外勤務手当(60時間超深夜175%)",
    "hours_night": "夜間勤務手当(深夜25%)",
}


def hourly_pay(monthly_base: int) -> int:
    """勤務1時間当たりの給与額 (§5.4): monthly × 12 ÷ (38.75 × 52), 1円未満切捨て."""
    return truncate(Decimal(monthly_base) * 12 / (Decimal("38.75") * 52))


def overtime(hours: dict[str, Decimal], hourly: int) -> dict[str, int]:
    """時間外勤務手当 per class (§5.4). Negative hours are refused."""
    result = {}
    for key, rate in OVERTIME_RATES.items():
        value = Decimal(hours.get(key) or 0)
        if value < 0:
            raise NegativeHours(details={"field": key})
        if value:
            result[key] = half_up(value * hourly * rate)
    return result


def regional_allowance(base: int, rate_percent: Decimal) -> int:
    """地域手当 (§5.7): (給料 + 扶養手当 + 管理職手当) × the town's rate (%), 1円未満切捨て. ``base`` is that sum."""
    return truncate(Decimal(base) * rate_percent / 100)


def with_regional(amount: int, rate_percent: Decimal) -> int:
    """An amount and its 地域手当 (これに対する地域手当, §5.4, §5.6): the base of the hourly rate and of 期末・勤勉."""
    return amount + regional_allowance(amount, rate_percent)


def special_duty(count: int, unit_amount: int) -> int:
    """特殊勤務手当 of one kind (§5.8): days or occurrences × the unit amount. A negative count is refused."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise NegativeCount(details={"field": "count"})
    return count * unit_amount


# --- 期末・勤勉 ----------------------------------------------------------------------------------------------------


def months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier (days after the 28th become the 28th)."""
    years, index = divmod(day.month - 1 - months, 12)
    return date(day.year + years, index + 1, min(day.day, 28))


def service_months(hired_on: date, base_day: date, *, deducted_days: int = 0) -> int:
    """Whole months of service in the six months up to the 基準日 (§5.6); ``deducted_days`` (休職, §5.6) move the
    start of the period later by as many days before the whole months are counted."""
    window = months_before(base_day, 6) + timedelta(days=1)  # 基準日以前6箇月以内
    start = max(hired_on, window) + timedelta(days=deducted_days)
    if start <= window:
        return 6
    months = (base_day.year - start.year) * 12 + (base_day.month - start.month)
    if start.day > base_day.day:
        months -= 1
    return max(0, min(6, months))


def service_span(hired_on: date, base_day: date, *, deducted_days: int = 0) -> tuple[int, int]:
    """The 勤務期間 in the six months up to the 基準日 as (months, days) (§5.6a): from the later of the 採用日 and the
    period's first day, moved ``deducted_days`` later, to the 基準日 inclusive; (6, 0) for the whole period."""
    window = months_before(base_day, 6) + timedelta(days=1)  # 基準日以前6箇月以内
    start = max(hired_on, window) + timedelta(days=deducted_days)
    if start <= window:
        return 6, 0
    if start > base_day:
        return 0, 0
    span = relativedelta(base_day + timedelta(days=1), start)
    return min(6, span.years * 12 + span.months), span.days


# 勤勉手当期間率表 (人事院規則9-40 別表第二 pattern, 一般の職員 [K]): (months, days) at least → 期間率, longest first.
KINBEN_PERIOD_RATES: tuple[tuple[int, int, Decimal], ...] = (
    (6, 0, Decimal(1)),
    (5, 15, Decimal("0.95")),
    (5, 0, Decimal("0.9")),
    (4, 15, Decimal("0.8")),
    (4, 0, Decimal("0.7")),
    (3, 15, Decimal("0.6")),
    (3, 0, Decimal("0.5")),
    (2, 15, Decimal("0.4")),
    (2, 0, Decimal("0.3")),
    (1, 15, Decimal("0.2")),
    (1, 0, Decimal("0.15")),
    (0, 15, Decimal("0.1")),
    (0, 1, Decimal("0.05")),
)


def kinben_period_rate(months: int, days: int) -> Decimal:
    """The 勤勉手当's 期間率 for a 勤務期間 of ``months`` and ``days`` (§5.6a); 0 for none."""
    for least_months, least_days, rate in KINBEN_PERIOD_RATES:
        if (months, days) >= (least_months, least_days):
            return rate
    return Decimal(0)


def bonus_ratios(hired_on: date, base_day: date, leave_days: int) -> tuple[Decimal, Decimal]:
    """The 期末手当's 在職期間 ratio and the 勤勉手当's 期間率 (§5.6, §5.6a): the 在職期間 less **half** of the deducted
    休職 days (人事院規則9-40 第5条 pattern: 休職期間の2分の1を除算; half a day is not deducted) on the 在職期間 table;
    the 勤務期間 less all of them (第11条 pattern) on the 勤勉手当期間率表."""
    kimatsu = service_ratio(service_months(hired_on, base_day, deducted_days=leave_days // 2))
    return kimatsu, kinben_period_rate(*service_span(hired_on, base_day, deducted_days=leave_days))


def service_ratio(months: int) -> Decimal:
    """在職期間 ratio of the 期末手当 (§5.6): 6 → 100 %, 5 → 80 %, 3–4 → 60 %, under 3 → 30 %."""
    if months >= 6:
        return Decimal(1)
    if months >= 5:
        return Decimal("0.8")
    if months >= 3:
        return Decimal("0.6")
    return Decimal("0.3")


def kimatsu(*, base: int, family: int, months: Decimal, ratio: Decimal, regional: Decimal = Decimal(0)) -> int:
    """期末手当 (§5.6): (給料 + 扶養手当 + これらに対する地域手当) × months × 在職期間 ratio."""
    return truncate(Decimal(with_regional(base + family, regional)) * months * ratio)


def kinben(*, base: int, rate: Decimal, ratio: Decimal, regional: Decimal = Decimal(0)) -> int:
    """勤勉手当 (§5.6): (給料 + これに対する地域手当) × 成績率 × ratio."""
    return truncate(Decimal(with_regional(base, regional)) * rate * ratio)


def part_time_kimatsu(*, average: int, months: Decimal, ratio: Decimal) -> int:
    """期末手当 of an hourly 会計年度任用職員 (§5.9): the average monthly 報酬 of the six months before the 基準日 ×
    months × 在職期間 ratio, 1円未満切捨て."""
    return truncate(Decimal(average) * months * ratio)


# --- 共済 ----------------------------------------------------------------------------------------------------------

# 標準報酬の等級表 (§6.2) [K]: (報酬月額 lower bound, 標準報酬月額). 短期・介護・福祉 use all 50 grades; 厚生年金 and
# 退職等年金 grades 88,000 … 650,000.
_GRADES = (
    (0, 58_000), (63_000, 68_000), (73_000, 78_000), (83_000, 88_000), (93_000, 98_000), (101_000, 104_000),
    (107_000, 110_000), (114_000, 118_000), (122_000, 126_000), (130_000, 134_000), (138_000, 142_000),
    (146_000, 150_000), (155_000, 160_000), (165_000, 170_000), (175_000, 180_000), (185_000, 190_000),
    (195_000, 200_000), (210_000, 220_000), (230_000, 240_000), (250_000, 260_000), (270_000, 280_000),
    (290_000, 300_000), (310_000, 320_000), (330_000, 340_000), (350_000, 360_000), (370_000, 380_000),
    (395_000, 410_000), (425_000, 440_000), (455_000, 470_000), (485_000, 500_000), (515_000, 530_000),
    (545_000, 560_000), (575_000, 590_000), (605_000, 620_000), (635_000, 650_000), (665_000, 680_000),
    (695_000, 710_000), (730_000, 750_000), (770_000, 790_000), (810_000, 830_000), (855_000, 880_000),
    (905_000, 930_000), (955_000, 980_000), (1_005_000, 1_030_000), (1_055_000, 1_090_000),
    (1_115_000, 1_150_000), (1_175_000, 1_210_000), (1_235_000, 1_270_000), (1_295_000, 1_330_000),
    (1_355_000, 1_390_000),
)  # fmt: skip
PENSION_MIN = 88_000
PENSION_MAX = 650_000
BONUS_PENSION_CAP = 1_500_000


def standard_remuneration(monthly: int) -> int:
    """標準報酬月額 of a 報酬月額 (§6.2)."""
    lowers = [lower for lower, _ in _GRADES]
    return _GRADES[bisect.bisect_right(lowers, max(0, monthly)) - 1][1]


def pension_standard(standard: int) -> int:
    return min(PENSION_MAX, max(PENSION_MIN, standard))


def standard_bonus(amount: int) -> int:
    """標準期末手当等の額 (§6.1): the bonus rounded down to 1,000 yen."""
    return amount // 1000 * 1000


def attained_age_day(birth: date, age: int) -> date:
    """年齢到達日: the day before the birthday (年齢計算ニ関スル法律)."""
    try:
        birthday = birth.replace(year=birth.year + age)
    except ValueError:  # 29 February
        birthday = date(birth.year + age, 3, 1)
    return birthday - timedelta(days=1)


def care_applies(birth: date, month: date) -> bool:
    """介護掛金 (§6.1): from the month of reaching 40 to the month before reaching 65."""
    start = attained_age_day(birth, 40).replace(day=1)
    end = attained_age_day(birth, 65).replace(day=1)
    return start <= month < end


def per_mille(standard: int, rate: Decimal) -> int:
    return truncate(Decimal(standard) * rate / 1000)


def grade_of(standard: int) -> int:
    """The 等級 (1-based) of a 標準報酬月額."""
    return [amount for _, amount in _GRADES].index(standard) + 1
