"""Per-town payroll parameters with a 施行日 (common.town_settings): rates and amounts an ordinance or the 共済組合
decides. Defaults are the national pattern of docs/domain/payroll.md §5–§6 until a town records its own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from common.town_settings import SettingSpec, register, setting_in_force
from payroll.errors import PayrollInputError

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


def budget_codes(on: date) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in setting_in_force(BUDGET_CODES, on=on).replace(",", " ").split():
        unit, _, code = item.partition("=")
        mapping[unit] = code
    return mapping
