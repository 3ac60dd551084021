"""The charge rules, table-driven (docs/domain/water_billing.md §2): 中土佐町's published tariff as data."""

from __future__ import annotations

from datetime import date

import pytest

from water_billing import rules
from water_billing.rules import Base, Reduction, TariffVersion, Tier

# 中土佐町 (town web page, 2024-04-11): base charge by 口径 up to 10 m³, 120 yen per m³ from 11 m³.
NAKATOSA = TariffVersion(
    service="water",
    effective_from=date(2024, 4, 1),
    bases=tuple(
        Base(diameter_mm=d, charge=c, included_m3=10)
        for d, c in [(13, 500), (20, 680), (25, 690), (30, 770), (40, 990), (50, 1270)]
    ),
    tiers=(Tier(from_m3=11, to_m3=None, price=120),),
)
# A sewer tariff in the shape of 四万十市's: 1,000 yen up to 10 m³, then tiers.
SEWER = TariffVersion(
    service="sewer",
    effective_from=date(2024, 4, 1),
    bases=(Base(diameter_mm=None, charge=1000, included_m3=10),),
    tiers=(Tier(11, 20, 110), Tier(21, 50, 150), Tier(51, None, 210)),
)


@pytest.mark.parametrize(
    ("diameter", "m3", "expected"),
    [
        (13, 0, 500),
        (13, 10, 500),
        (13, 11, 620),
        (20, 15, 680 + 5 * 120),  # the town page's own example: 口径20mm, 15 m³
        (50, 30, 1270 + 20 * 120),
        (75, 10, 1270),  # above the largest listed 口径: the largest listed base ("50mm以上")
    ],
)
def test_one_month_of_nakatosa(diameter: int, m3: int, expected: int) -> None:
    charge = rules.month_charge(
        NAKATOSA, diameter_mm=diameter, m3=m3, days_used=30, days_in_month=30, half_base_rule=True,
        month=date(2026, 4, 1),
    )  # fmt: skip
    assert charge.amount == expected


@pytest.mark.parametrize(("m3", "split"), [(0, (0, 0)), (1, (0, 1)), (31, (15, 16)), (30, (15, 15))])
def test_the_odd_cubic_metre_goes_to_the_second_month(m3: int, split: tuple[int, int]) -> None:
    assert rules.split_bimonthly(m3) == split


@pytest.mark.parametrize(
    ("m3", "expected"),
    [(5, 1000), (10, 1000), (15, 1000 + 5 * 110), (25, 1000 + 10 * 110 + 5 * 150), (60, 1000 + 1100 + 4500 + 2100)],
)
def test_tiers_are_progressive(m3: int, expected: int) -> None:
    assert (
        rules.month_charge(
            SEWER, diameter_mm=13, m3=m3, days_used=30, days_in_month=30, half_base_rule=False, month=date(2026, 4, 1)
        ).amount
        == expected
    )


def _bill(m3: int, *, unit: int = 1, sewer: bool = False, **kwargs: object) -> rules.Charge:
    params: dict[str, object] = {
        "usage_m3": m3, "diameter_mm": 13, "starts_on": date(2026, 4, 1), "read_on": date(2026, 5, 31),
        "opened_on": date(2020, 1, 1), "closed_on": None, "water": [NAKATOSA], "sewer": [SEWER] if sewer else None,
        "tax_unit": unit, "half_base_rule": True, "revision_rule": rules.REVISION_READING_DATE,
    }  # fmt: skip
    params.update(kwargs)
    return rules.bimonthly_charge(**params)  # type: ignore[arg-type]


def test_a_bimonthly_bill_prices_each_month_then_sums() -> None:
    # 31 m³ → 15 + 16: (500 + 5×120) + (500 + 6×120) = 2,320; × 1.10 = 2,552.
    charge = _bill(31)
    assert charge.pre_tax == 2320
    assert charge.total == 2552
    assert charge.tax == 232


def test_splitting_is_not_the_same_as_pricing_the_whole() -> None:
    # Priced as one month, 31 m³ would be 500 + 21×120 = 3,020: the split gives each month its included 10 m³.
    assert (
        _bill(31).pre_tax
        < rules.month_charge(
            NAKATOSA,
            diameter_mm=13,
            m3=31,
            days_used=30,
            days_in_month=30,
            half_base_rule=False,
            month=date(2026, 4, 1),
        ).amount
    )


@pytest.mark.parametrize(("unit", "total"), [(1, 2816), (10, 2810)])
def test_tax_rounding_is_the_towns(unit: int, total: int) -> None:
    # 口径20mm, 30 m³ → 15 + 15: (680 + 5×120) × 2 = 2,560; × 1.10 = 2,816, or 2,810 rounded down to 10 yen.
    charge = _bill(30, unit=unit, diameter_mm=20)
    assert charge.total == total


def test_sewer_is_billed_on_the_same_volume_with_its_own_tariff() -> None:
    charge = _bill(30, sewer=True)
    sewer = charge.of("sewer")
    assert sewer is not None
    assert sewer.pre_tax == 2 * (1000 + 5 * 110)
    assert sewer.total == 2 * (1000 + 550) * 110 // 100


def test_half_base_charge_for_a_short_month_with_little_use() -> None:
    # Opened on 20 May (12 days of use), 4 m³ in the period → April not billed, May: 4 m³ ≤ 5 → base halved.
    charge = _bill(4, opened_on=date(2026, 5, 20))
    water = charge.of("water")
    assert water is not None
    assert [m.month for m in water.months] == [date(2026, 5, 1)]
    assert water.pre_tax == 250


def test_no_half_base_without_the_towns_rule() -> None:
    charge = _bill(4, opened_on=date(2026, 5, 20), half_base_rule=False)
    assert charge.pre_tax == 500


def test_closing_mid_period_bills_the_months_of_use() -> None:
    charge = _bill(20, closed_on=date(2026, 4, 30))
    water = charge.of("water")
    assert water is not None
    assert len(water.months) == 1


def test_reduction_waives_the_base_charge() -> None:
    charge = _bill(31, reduction=Reduction(base_percent=100))
    assert charge.pre_tax == 5 * 120 + 6 * 120


REVISED = TariffVersion(
    service="water",
    effective_from=date(2026, 5, 1),
    bases=(Base(diameter_mm=13, charge=600, included_m3=10),),
    tiers=(Tier(11, None, 150),),
)


def test_revision_by_reading_date_applies_the_new_tariff_to_the_period() -> None:
    charge = _bill(20, water=[NAKATOSA, REVISED])
    assert charge.pre_tax == 1200


def test_revision_by_days_prorates_each_month() -> None:
    # 1 May revision: April at the old tariff, May at the new one (whole months either side).
    charge = _bill(30, water=[NAKATOSA, REVISED], revision_rule=rules.REVISION_DAILY)
    assert charge.pre_tax == (500 + 5 * 120) + (600 + 5 * 150)


def test_revision_mid_month_by_days() -> None:
    mid = TariffVersion("water", date(2026, 4, 16), REVISED.bases, REVISED.tiers)
    charge = _bill(20, water=[NAKATOSA, mid], revision_rule=rules.REVISION_DAILY)
    water = charge.of("water")
    assert water is not None
    # April: 15 days at 500, 15 days at 600 → 550 base; 10 m³ → no volume.
    assert water.months[0].base == 550


@pytest.mark.parametrize(
    "tiers",
    [
        [Tier(11, 20, 100), Tier(20, None, 150)],
        [Tier(11, None, 100), Tier(30, None, 150)],
        [Tier(21, 30, 100), Tier(11, 25, 150)],
    ],
)
def test_overlapping_tiers_are_refused(tiers: list[Tier]) -> None:
    with pytest.raises(rules.TariffTiersOverlap):
        rules.validate_tiers(tiers, included_m3=10)


def test_a_tier_inside_the_included_volume_is_refused() -> None:
    with pytest.raises(rules.TariffInvalid):
        rules.validate_tiers([Tier(5, None, 100)], included_m3=10)


def test_no_tariff_in_force() -> None:
    with pytest.raises(rules.NoTariff):
        rules.in_force([REVISED], date(2026, 4, 1))


@pytest.mark.parametrize(
    ("kwargs", "usage"),
    [
        ({"previous": 100, "value": 130}, 30),
        ({"previous": 9990, "value": 15, "rollover": True}, 25),
        ({"previous": 100, "value": 5, "old_final": 120, "new_initial": 0}, 25),
    ],
)
def test_usage(kwargs: dict[str, int], usage: int) -> None:
    assert rules.usage_of(**kwargs) == usage  # type: ignore[arg-type]


def test_a_reading_below_the_last_is_refused() -> None:
    with pytest.raises(rules.ReadingBelowPrevious):
        rules.usage_of(previous=100, value=99)


@pytest.mark.parametrize(
    ("usage", "last_year", "expected"),
    [(0, 10, ["zero_use"]), (31, 10, ["spike"]), (30, 10, []), (5, None, [])],
)
def test_anomalies(usage: int, last_year: int | None, expected: list[str]) -> None:
    assert (
        rules.anomalies_of(
            usage=usage, open_connection=True, last_year=last_year, rollover=False, exchanged=False, estimated=False
        )
        == expected
    )
