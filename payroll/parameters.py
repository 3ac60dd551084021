"""Per-town payroll parameters with a 施行日 (common.town_settings): rates and amounts an ordinance or the 共済組合
decides. Defaults are the national pattern of docs/domain/payroll.md §5–§6 until a town records its own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from common.town_settings import SettingSpec, register, setting_in_force
from payroll.errors import PayrollInputError
from payroll.leave import LeavePayRule, parse_rules

WITHHOLDING_METHOD = "payroll.withholding_method"
KYOSAI_SHORT = "payroll.kyosai.short_term"
KYOSAI_CARE = "payroll.kyosai.care"
KYOSAI_PENSION = "payroll.kyosai.pension"
KYOSAI_RETIREMENT = "payroll.kyosai.retirement"
KYOSAI_WELFARE = "payroll.kyosai.welfare"
EMPLOYMENT_INSURANCE = "payroll.employment_insurance"
FAMILY_CHILD = "payroll.family.child"
FAMILY_CHILD_SPECIFIC = "payroll.family.child_specific"
FAMILY_PARENT = "payroll.family.parent"
COMMUTE_CAP = "payroll.commute.cap"
COMMUTE_CAR_BANDS = "payroll.commute.car_bands"
KIMATSU_MONTHS = "payroll.bonus.kimatsu_months"
KINBEN_MONTHS = "payroll.bonus.kinben_months"
BUDGET_CODES = "payroll.budget_codes"
PAYER_BANK = "payroll.payer_bank"
PRORATE_BASIS = "payroll.prorate_basis"
REGIONAL_RATE = "payroll.regional.rate"
SPECIAL_DUTY_KINDS = "payroll.special_duty.kinds"
PART_TIME_MIN_WEEKLY_HOURS = "payroll.bonus.part_time_min_weekly_hours"
LEAVE_PAY_RULES = "payroll.leave.pay_rules"
PART_TIME_KINBEN_MONTHS = "payroll.bonus.part_time_kinben_months"
PART_TIME_KINBEN_MIN_WEEKLY_HOURS = "payroll.bonus.part_time_kinben_min_weekly_hours"
PART_TIME_MIN_TERM_MONTHS = "payroll.bonus.part_time_min_term_months"

register(
    SettingSpec(WITHHOLDING_METHOD, "源泉徴収の計算方法(table/machine)", "text", "table", "machine: 電算機計算の特例"),
    SettingSpec(KYOSAI_SHORT, "共済 短期掛金率(‰・本人)", "text", "47.79"),
    SettingSpec(KYOSAI_CARE, "共済 介護掛金率(‰・本人)", "text", "8.9"),
    SettingSpec(KYOSAI_PENSION, "共済 厚生年金保険料率(‰・本人)", "text", "91.5"),
    SettingSpec(KYOSAI_RETIREMENT, "共済 退職等年金給付掛金率(‰・本人)", "text", "7.5"),
    SettingSpec(KYOSAI_WELFARE, "共済 福祉掛金率(‰・本人)", "text", "1.7"),
    SettingSpec(EMPLOYMENT_INSURANCE, "雇用保険料率(‰・本人)", "text", "5.5"),
    SettingSpec(FAMILY_CHILD, "扶養手当 子(月額・円)", "int", "13000"),
    SettingSpec(FAMILY_CHILD_SPECIFIC, "扶養手当 特定期間の子の加算(円)", "int", "5000"),
    SettingSpec(FAMILY_PARENT, "扶養手当 父母等(月額・円)", "int", "6500"),
    SettingSpec(COMMUTE_CAP, "通勤手当 交通機関の上限(月額・円)", "int", "150000"),
    SettingSpec(
        COMMUTE_CAR_BANDS,
        "通勤手当 自動車の距離区分(片道km以上:月額)",
        "text",
        "2:4200 5:7100 10:11300 15:16300 20:21300 25:26200 30:31200 35:36100 40:41100 45:45900 50:50900 "
        "55:55700 60:60700",
    ),
    SettingSpec(KIMATSU_MONTHS, "期末手当の支給月数(1回あたり)", "text", "1.25"),
    SettingSpec(KINBEN_MONTHS, "勤勉手当の支給月数(1回あたり・標準の成績率)", "text", "1.05"),
    SettingSpec(BUDGET_CODES, "所属コード→款項目(例: 0101=02-01-01)", "text", ""),
    SettingSpec(PAYER_BANK, "給与振込の依頼人(依頼人コード,名カナ,銀行,支店,種目,口座)", "text", ""),
    SettingSpec(
        PRORATE_BASIS,
        "日割計算の基礎日数(working/calendar)",
        "text",
        "working",
        "working: 現日数−週休日, calendar: 暦日",
    ),
    SettingSpec(REGIONAL_RATE, "地域手当の支給割合(%)", "text", "0"),
    SettingSpec(
        SPECIAL_DUTY_KINDS,
        "特殊勤務手当の種類(コード:名称:day|time:単価; 区切り)",
        "text",
        "",
        "例: kiken:危険作業手当:day:290;bouei:防疫作業手当:time:1000",
    ),
    SettingSpec(
        PART_TIME_MIN_WEEKLY_HOURS, "パートタイム会計年度任用職員の期末手当: 週の勤務時間の下限", "text", "15.5"
    ),
    SettingSpec(
        PART_TIME_KINBEN_MONTHS,
        "パートタイム会計年度任用職員の勤勉手当の支給月数(1回あたり・標準の成績率、0は支給しない)",
        "text",
        "0",
        "地方自治法第203条の2第4項(令和6年4月1日施行)により条例で定める場合に限る",
    ),
    SettingSpec(
        PART_TIME_KINBEN_MIN_WEEKLY_HOURS,
        "パートタイム会計年度任用職員の勤勉手当: 週の勤務時間の下限",
        "text",
        "15.5",
    ),
    SettingSpec(
        PART_TIME_MIN_TERM_MONTHS,
        "パートタイム会計年度任用職員の期末・勤勉手当: 任期(採用日から任期の末日まで)の下限(月)",
        "text",
        "6",
    ),
    SettingSpec(
        LEAVE_PAY_RULES,
        "休職中の給与(事由:既定の割合:上限の割合:月数; 区切り、割合は100分の、月数0は休職の期間中)",
        "text",
        "duty_injury:100:100:0;tuberculosis:80:80:24;illness:80:80:12;criminal:60:60:0;research:70:70:0;unpaid:0:0:0",
        "一般職給与法第23条の例: 公務災害・通勤災害 100/100、結核性疾患 80/100(満2年まで)、"
        "心身の故障 80/100(満1年まで)、起訴 60/100以内、研究等 70/100以内",
    ),
)


def decimal_setting(key: str, on: date) -> Decimal:
    raw = setting_in_force(key, on=on)
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise PayrollInputError(
            f"設定「{key}」の値 {raw!r} は数値ではありません。", code="payroll_bad_setting"
        ) from None


def text_setting(key: str, on: date) -> str:
    return setting_in_force(key, on=on).strip()


def int_setting(key: str, on: date) -> int:
    return int(decimal_setting(key, on))


def car_bands(on: date) -> list[tuple[Decimal, int]]:
    bands = []
    for item in setting_in_force(COMMUTE_CAR_BANDS, on=on).split():
        km, amount = item.split(":")
        bands.append((Decimal(km), int(amount)))
    return sorted(bands)


def leave_pay_rules(on: date) -> dict[str, LeavePayRule]:
    """休職中の給与 by reason (§4b), the setting in force on the first day of the leave."""
    return parse_rules(setting_in_force(LEAVE_PAY_RULES, on=on))


def budget_codes(on: date) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in setting_in_force(BUDGET_CODES, on=on).replace(",", " ").split():
        unit, _, code = item.partition("=")
        mapping[unit] = code
    return mapping


def regional_rate(on: date) -> Decimal:
    """地域手当の支給割合 in percent (§5.7); a negative or non-numeric value is a bad setting."""
    rate = decimal_setting(REGIONAL_RATE, on)
    if rate < 0:
        raise PayrollInputError("地域手当の支給割合は0以上で設定してください。", code="payroll_bad_setting")
    return rate


SPECIAL_DUTY_UNITS = {"day": "日", "time": "回"}


def special_duty_kinds(on: date) -> dict[str, tuple[str, str, int]]:
    """特殊勤務手当の種類 in force (§5.8): code → (名称, unit ``day``/``time``, 単価 in yen)."""
    kinds: dict[str, tuple[str, str, int]] = {}
    for item in setting_in_force(SPECIAL_DUTY_KINDS, on=on).replace("\n", ";").split(";"):
        if not item.strip():
            continue
        parts = [part.strip() for part in item.split(":")]
        if len(parts) != 4 or parts[2] not in SPECIAL_DUTY_UNITS or not parts[3].isdigit() or not parts[0]:
            raise PayrollInputError(
                f"特殊勤務手当の種類の設定「{item.strip()}」が正しくありません(コード:名称:day|time:単価)。",
                code="payroll_bad_setting",
            )
        kinds[parts[0]] = (parts[1], parts[2], int(parts[3]))
    return kinds
