"""The per-town values of the water ordinance (common.town_settings; docs/domain/water_billing.md §2, §6, §7)."""

from __future__ import annotations

from datetime import date

from common.errors import ApplicationError
from common.town_settings import SettingSpec, setting_in_force
from water_billing.rules import REVISION_DAILY, REVISION_READING_DATE

TAX_UNIT = "water.tax_rounding_unit"
REVISION_RULE = "water.revision_rule"
HALF_BASE = "water.half_base_for_short_use"
CLOSED_THROUGH = "water.closed_through"
DUNNING_FEE = "water.dunning_fee"
DUNNING_DAYS = "water.dunning_days_after_due"
LATE_FEE_RATE = "water.late_fee_per_mille"
LATE_FEE_FIRST_RATE = "water.late_fee_first_month_per_mille"
LATE_FEE_MIN_BASE = "water.late_fee_min_base"
LATE_FEE_SERVICES = "water.late_fee_services"
DEBIT_REQUESTER_CODE = "water.debit_requester_code"
DEBIT_REQUESTER_NAME = "water.debit_requester_name"
DEBIT_BANK_CODE = "water.debit_bank_code"
DEBIT_BRANCH_CODE = "water.debit_branch_code"

SPECS = (
    SettingSpec(TAX_UNIT, "水道料金: 消費税込み額の端数処理の単位(円)", "int", "1", "1 または 10"),
    SettingSpec(REVISION_RULE, "水道料金: 期中の料金改定", "text", REVISION_READING_DATE, "reading_date/daily"),
    SettingSpec(HALF_BASE, "水道料金: 短期使用の基本料金半額", "text", "1", "1(あり)または 0(なし)"),
    SettingSpec(CLOSED_THROUGH, "水道料金: 締め済みの日(この日まで収納不可)", "text", "", "例: 2026-03-31"),
    SettingSpec(DUNNING_FEE, "水道料金: 督促手数料(円)", "int", "100"),
    SettingSpec(LATE_FEE_RATE, "水道料金: 延滞金の年率(納期限の翌日から1月経過後・千分率)", "int", "87",
                "例: 87 = 年8.7%(特例基準割合+7.3%)"),
    SettingSpec(LATE_FEE_FIRST_RATE, "水道料金: 延滞金の年率(納期限の翌日から1月を経過する日まで・千分率)", "int",
                "24", "例: 24 = 年2.4%(特例基準割合+1%)"),
    SettingSpec(LATE_FEE_MIN_BASE, "水道料金: 延滞金を計算しない料金額(この額未満は延滞金なし・円)", "int", "2000"),
    SettingSpec(LATE_FEE_SERVICES, "水道料金: 延滞金を徴収する料金(条例の定め)", "text", "sewer",
                "sewer(下水道使用料のみ)・water,sewer(上下水道とも)・空欄(徴収しない)"),
    SettingSpec(DEBIT_REQUESTER_CODE, "水道料金: 口座振替の委託者コード", "text", "", "10桁以内"),
    SettingSpec(DEBIT_REQUESTER_NAME, "水道料金: 口座振替の委託者名(半角カナ)", "text", "", "例: ﾅｶﾄｻﾁﾖｳｽｲﾄﾞｳ"),
    SettingSpec(DEBIT_BANK_CODE, "水道料金: 口座振替の取引金融機関コード", "text", "", "4桁"),
    SettingSpec(DEBIT_BRANCH_CODE, "水道料金: 口座振替の取引支店コード", "text", "", "3桁"),
    SettingSpec(DUNNING_DAYS, "水道料金: 督促状の発付期限(納期限後の日数)", "int", "20", "条例の定め"),
)  # fmt: skip


class SettingInvalid(ApplicationError):
    code = "water_setting_invalid"
    message = "水道料金の町の設定値が正しくありません。情報システム担当に確認してください。"


def tax_unit(on: date) -> int:
    value = setting_in_force(TAX_UNIT, on=on)
    if value not in {"1", "10"}:
        raise SettingInvalid(details={"key": TAX_UNIT, "value": value})
    return int(value)


def revision_rule(on: date) -> str:
    value = setting_in_force(REVISION_RULE, on=on)
    if value not in {REVISION_READING_DATE, REVISION_DAILY}:
        raise SettingInvalid(details={"key": REVISION_RULE, "value": value})
    return value


def half_base(on: date) -> bool:
    return setting_in_force(HALF_BASE, on=on) == "1"


def closed_through(on: date) -> date | None:
    value = setting_in_force(CLOSED_THROUGH, on=on).strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SettingInvalid(details={"key": CLOSED_THROUGH, "value": value}) from None


def dunning_fee(on: date) -> int:
    return int(setting_in_force(DUNNING_FEE, on=on))


def dunning_days(on: date) -> int:
    return int(setting_in_force(DUNNING_DAYS, on=on))


def late_fee_rate(on: date) -> int:
    return int(setting_in_force(LATE_FEE_RATE, on=on))


def late_fee_services(on: date) -> frozenset[str]:
    """The services whose charges bear 延滞金 under the town's ordinance (§7.2): sewer only by default."""
    value = setting_in_force(LATE_FEE_SERVICES, on=on)
    services = frozenset(part.strip() for part in value.split(",") if part.strip())
    if not services <= {"water", "sewer"}:
        raise SettingInvalid(details={"key": LATE_FEE_SERVICES, "value": value})
    return services


def late_fee_min_base(on: date) -> int:
    return int(setting_in_force(LATE_FEE_MIN_BASE, on=on))


def schedule(key: str) -> list[tuple[date, int]]:
    """Every version of an integer setting, oldest first, the registered default from the beginning of time: the
    per-day rates of a 延滞金 that spans a change of rate (one query instead of one per day)."""
    from common.town_settings import history, spec

    versions = [(date.min, int(spec(key).default))]
    versions += [(row.effective_from, int(row.value)) for row in history(key)]
    return versions
