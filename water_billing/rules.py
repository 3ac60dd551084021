"""The charge rules as pure functions over tariff data (docs/domain/water_billing.md §2). No database here:
the services load the tariff versions and hand them in, the tests drive these with tables.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from common.errors import ApplicationError

TAX_NUMERATOR = 110  # 消費税法 第29条: 10 % (water is not at the reduced rate), §2.7
TAX_DENOMINATOR = 100
HALF_BASE_MAX_DAYS = 15  # §2.5


class TariffTiersOverlap(ApplicationError):
    code = "tariff_tiers_overlap"
    message = "従量料金の区分が重なっています。区分は重ならないように入力してください。"


class TariffInvalid(ApplicationError):
    code = "tariff_invalid"
    message = "料金表の内容が正しくありません。"


class NoTariff(ApplicationError):
    code = "no_tariff"
    message = "この期間に施行されている料金表がありません。"


@dataclass(frozen=True)
class Tier:
    from_m3: int
    to_m3: int | None  # inclusive; None: no upper bound
    price: int  # yen per m³


@dataclass(frozen=True)
class Base:
    diameter_mm: int | None  # None: every 口径
    charge: int  # yen per month
    included_m3: int


@dataclass(frozen=True)
class TariffVersion:
    service: str
    effective_from: date
    bases: tuple[Base, ...]
    tiers: tuple[Tier, ...]

    def base_for(self, diameter_mm: int) -> Base:
        exact = [b for b in self.bases if b.diameter_mm == diameter_mm]
        if exact:
            return exact[0]
        common = [b for b in self.bases if b.diameter_mm is None]
        if common:
            return common[0]
        # A 口径 above the largest listed one pays the largest listed base (e.g. "50 mm 以上").
        listed = sorted((b for b in self.bases if b.diameter_mm is not None), key=lambda b: b.diameter_mm or 0)
        larger = [b for b in listed if (b.diameter_mm or 0) <= diameter_mm]
        if larger:
            return larger[-1]
        raise TariffInvalid(f"口径{diameter_mm}mmの基本料金が料金表にありません。", code="tariff_no_diameter")


@dataclass(frozen=True)
class Reduction:
    base_percent: int = 0
    volume_percent: int = 0


NO_REDUCTION = Reduction()


def validate_tiers(tiers: Sequence[Tier], *, included_m3: int = 0) -> None:
    """§2.2: tiers sorted by start, none overlapping, none inside the included volume, positive bounds."""
    ordered = sorted(tiers, key=lambda t: t.from_m3)
    previous_end: int | None = None
    for position, tier in enumerate(ordered):
        if tier.from_m3 < 1 or (tier.to_m3 is not None and tier.to_m3 < tier.from_m3):
            raise TariffInvalid(
                f"従量料金の区分({tier.from_m3}〜{tier.to_m3 or ''}m³)の範囲が正しくありません。",
                code="tariff_tier_range",
            )
        if tier.from_m3 <= included_m3:
            raise TariffInvalid(
                f"従量料金の区分は基本水量({included_m3}m³)を超える水量から始めてください。",
                code="tariff_tier_in_included",
            )
        if position > 0 and (previous_end is None or tier.from_m3 <= previous_end):
            raise TariffTiersOverlap(details={"from_m3": tier.from_m3})
        previous_end = tier.to_m3


def volume_charge(tiers: Sequence[Tier], m3: int) -> int:
    """Σ over tiers of the m³ of 1..m3 inside the tier × its price (§2.3)."""
    total = 0
    for tier in tiers:
        upper = m3 if tier.to_m3 is None else min(m3, tier.to_m3)
        if upper >= tier.from_m3:
            total += (upper - tier.from_m3 + 1) * tier.price
    return total


def split_bimonthly(m3: int) -> tuple[int, int]:
    """§2.4: the first month ⌊V/2⌋, the second the rest (the odd m³ goes to the second month)."""
    first = m3 // 2
    return first, m3 - first


def round_down(amount: int, unit: int) -> int:
    """Truncation to the town's unit (1 or 10 yen), §2.7."""
    return amount // unit * unit


def with_tax(pre_tax: int, *, unit: int) -> tuple[int, int]:
    """(total including tax, tax): pre_tax × 110/100 rounded down to ``unit`` (§2.7)."""
    total = round_down(pre_tax * TAX_NUMERATOR // TAX_DENOMINATOR, unit)
    return total, total - pre_tax


def reduced(amount: int, percent: int) -> int:
    """The charge after a 減免 of ``percent``: the reduction rounded down to the yen (§2.6)."""
    return amount - amount * percent // 100


@dataclass(frozen=True)
class MonthCharge:
    month: date  # first day of the month
    m3: int
    base: int
    volume: int

    @property
    def amount(self) -> int:
        return self.base + self.volume


def month_charge(
    version: TariffVersion,
    *,
    diameter_mm: int,
    m3: int,
    days_used: int,
    days_in_month: int,
    half_base_rule: bool,
    reduction: Reduction = NO_REDUCTION,
    month: date,
) -> MonthCharge:
    """One month priced under one version (§2.3, §2.5, §2.6)."""
    base = version.base_for(diameter_mm)
    base_charge = base.charge
    short = days_used <= HALF_BASE_MAX_DAYS and days_used < days_in_month
    if half_base_rule and short and m3 * 2 <= base.included_m3:
        base_charge //= 2
    return MonthCharge(
        month=month,
        m3=m3,
        base=reduced(base_charge, reduction.base_percent),
        volume=reduced(volume_charge(version.tiers, m3), reduction.volume_percent),
    )


def in_force(versions: Sequence[TariffVersion], day: date) -> TariffVersion:
    candidates = [v for v in versions if v.effective_from <= day]
    if not candidates:
        raise NoTariff(details={"on": day.isoformat()})
    return max(candidates, key=lambda v: v.effective_from)


def months_of(starts_on: date) -> tuple[date, date]:
    first = starts_on.replace(day=1)
    second = (first + timedelta(days=32)).replace(day=1)
    return first, second


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def days_used_in(month: date, *, opened_on: date, closed_on: date | None) -> int:
    start = max(month, opened_on)
    end = min(month_end(month), closed_on) if closed_on else month_end(month)
    return max((end - start).days + 1, 0)


@dataclass(frozen=True)
class ServiceCharge:
    service: str
    months: tuple[MonthCharge, ...]
    pre_tax: int
    tax: int
    total: int


@dataclass(frozen=True)
class Charge:
    usage_m3: int
    services: tuple[ServiceCharge, ...] = field(default_factory=tuple)

    @property
    def pre_tax(self) -> int:
        return sum(s.pre_tax for s in self.services)

    @property
    def tax(self) -> int:
        return sum(s.tax for s in self.services)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.services)

    def of(self, service: str) -> ServiceCharge | None:
        return next((s for s in self.services if s.service == service), None)


REVISION_READING_DATE = "reading_date"
REVISION_DAILY = "daily"


def _priced_month(
    versions: Sequence[TariffVersion],
    *,
    month: date,
    m3: int,
    diameter_mm: int,
    days_used: int,
    half_base_rule: bool,
    reduction: Reduction,
    revision_rule: str,
    read_on: date,
) -> MonthCharge:
    days_in_month = month_end(month).day
    kwargs = {
        "diameter_mm": diameter_mm,
        "m3": m3,
        "days_used": days_used,
        "days_in_month": days_in_month,
        "half_base_rule": half_base_rule,
        "reduction": reduction,
        "month": month,
    }
    if revision_rule == REVISION_READING_DATE:
        return month_charge(in_force(versions, read_on), **kwargs)  # type: ignore[arg-type]
    # 日割 (§2.9): each version in force during the month, prorated by its days, rounded down to the yen.
    boundaries = sorted({month, *(v.effective_from for v in versions if month < v.effective_from <= month_end(month))})
    if len(boundaries) == 1:
        return month_charge(in_force(versions, month), **kwargs)  # type: ignore[arg-type]
    base_num = volume_num = 0
    for index, start in enumerate(boundaries):
        end = boundaries[index + 1] if index + 1 < len(boundaries) else month_end(month) + timedelta(days=1)
        days = (end - start).days
        part = month_charge(in_force(versions, start), **kwargs)  # type: ignore[arg-type]
        base_num += part.base * days
        volume_num += part.volume * days
    return MonthCharge(month=month, m3=m3, base=base_num // days_in_month, volume=volume_num // days_in_month)


def bimonthly_charge(
    *,
    usage_m3: int,
    diameter_mm: int,
    starts_on: date,
    read_on: date,
    opened_on: date,
    closed_on: date | None,
    water: Sequence[TariffVersion],
    sewer: Sequence[TariffVersion] | None,
    tax_unit: int,
    half_base_rule: bool,
    revision_rule: str,
    reduction: Reduction = NO_REDUCTION,
) -> Charge:
    """The two-month bill of one connection (§2.4–§2.9): the volume split into two months, each month priced
    under the version(s) the revision rule selects, each service summed and taxed."""
    months = months_of(starts_on)
    split = split_bimonthly(usage_m3)
    services = []
    for service, versions in (("water", water), ("sewer", sewer)):
        if versions is None:
            continue
        priced = tuple(
            _priced_month(
                versions,
                month=month,
                m3=m3,
                diameter_mm=diameter_mm,
                days_used=days_used_in(month, opened_on=opened_on, closed_on=closed_on),
                half_base_rule=half_base_rule,
                reduction=reduction,
                revision_rule=revision_rule,
                read_on=read_on,
            )
            for month, m3 in zip(months, split, strict=True)
            if days_used_in(month, opened_on=opened_on, closed_on=closed_on) > 0
        )
        pre_tax = sum(m.amount for m in priced)
        total, tax = with_tax(pre_tax, unit=tax_unit)
        services.append(ServiceCharge(service=service, months=priced, pre_tax=pre_tax, tax=tax, total=total))
    return Charge(usage_m3=usage_m3, services=tuple(services))


def items_of(charge: Charge) -> list[dict[str, object]]:
    """The itemised lines a bill stores and prints."""
    return [
        {
            "service": s.service,
            "months": [
                {"month": m.month.isoformat(), "m3": m.m3, "base": m.base, "volume": m.volume} for m in s.months
            ],
            "pre_tax": s.pre_tax,
            "tax": s.tax,
            "total": s.total,
        }
        for s in charge.services
    ]


# --- readings (§3) -------------------------------------------------------------------------------------------


class ReadingBelowPrevious(ApplicationError):
    code = "reading_below_previous"
    message = "指針が前回指針を下回っています(メーター交換または一巡の場合はその旨を入力してください)。"


def usage_of(
    *,
    previous: int,
    value: int,
    rollover: bool = False,
    digits: int = 4,
    old_final: int | None = None,
    new_initial: int | None = None,
) -> int:
    """使用水量 of a reading: plain, across a meter exchange, or across a rollover (§3)."""
    if old_final is not None:
        start = new_initial or 0
        if old_final < previous or value < start:
            raise ReadingBelowPrevious(code="reading_below_previous")
        return old_final - previous + value - start
    if value >= previous:
        return value - previous
    if rollover:
        return 10**digits - previous + value
    raise ReadingBelowPrevious(details={"previous": previous, "value": value})


SPIKE_FACTOR = 3  # §3: more than three times the same period of the previous year


def anomalies_of(
    *, usage: int, open_connection: bool, last_year: int | None, rollover: bool, exchanged: bool, estimated: bool
) -> list[str]:
    found = []
    if rollover:
        found.append("rollover")
    if exchanged:
        found.append("exchange")
    if estimated:
        found.append("estimated")
    if usage == 0 and open_connection:
        found.append("zero_use")
    if last_year is not None and last_year > 0 and usage > SPIKE_FACTOR * last_year:
        found.append("spike")
    return found
