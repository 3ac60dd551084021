"""Allowance and 共済 rules (docs/domain/payroll.md §5–§6), table-driven."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from payroll import rules
from payroll.errors import NegativeHours, UnknownDependents

BANDS = [(Decimal(2), 4_200), (Decimal(5), 7_100), (Decimal(10), 11_300)]


@pytest.mark.parametrize(
    ("rent", "expected"),
    [(0, 0), (16_000, 0), (16_001, 1), (27_000, 11_000), (29_000, 12_000), (61_000, 28_000), (100_000, 28_000)],
)
def test_housing_allowance(rent: int, expected: int) -> None:
    assert rules.housing_allowance(rent) == expected


@pytest.mark.parametrize(
    ("transit", "km", "expected"),
    [(0, Decimal(0), 0), (0, Decimal("1.9"), 0), (0, Decimal(2), 4_200), (0, Decimal("9.9"), 7_100),
     (200_000, Decimal(0), 150_000), (10_000, Decimal(12), 21_300)],
)  # fmt: skip
def test_commute_allowance(transit: int, km: Decimal, expected: int) -> None:
    assert rules.commute_allowance(transit_pass=transit, car_km=km, cap=150_000, car_bands=BANDS) == expected


def test_family_allowance() -> None:
    total = rules.family_allowance(
        children=3, children_specific=1, parents=1, child=13_000, specific=5_000, parent=6_500
    )
    assert total == 3 * 13_000 + 5_000 + 6_500


@pytest.mark.parametrize(("children", "specific", "parents"), [(-1, 0, 0), (1, 2, 0), (0, 0, -3)])
def test_unknown_family_counts_are_refused(children: int, specific: int, parents: int) -> None:
    with pytest.raises(UnknownDependents):
        rules.family_allowance(
            children=children, children_specific=specific, parents=parents, child=1, specific=1, parent=1
        )


def test_overtime_rounds_each_class_half_up() -> None:
    # 982 × 1.25 × 0.5 h = 613.75 → 614; 982 × 1.35 × 1 = 1,325.7 → 1,326.
    assert rules.overtime({"hours_125": Decimal("0.5"), "hours_135": Decimal(1)}, 982) == {
        "hours_125": 614,
        "hours_135": 1_326,
    }


def test_negative_overtime_is_refused() -> None:
    with pytest.raises(NegativeHours):
        rules.overtime({"hours_150": Decimal("-0.5")}, 1_000)


@pytest.mark.parametrize(
    ("hired", "base_day", "months", "ratio"),
    [
        (date(2020, 4, 1), date(2026, 6, 1), 6, "1"),
        (date(2025, 12, 2), date(2026, 6, 1), 6, "1"),
        (date(2026, 1, 1), date(2026, 6, 1), 5, "0.8"),
        (date(2026, 1, 15), date(2026, 6, 1), 4, "0.6"),
        (date(2026, 3, 1), date(2026, 6, 1), 3, "0.6"),
        (date(2026, 5, 1), date(2026, 6, 1), 1, "0.3"),
        (date(2026, 7, 1), date(2026, 12, 1), 5, "0.8"),
    ],
)
def test_service_ratio(hired: date, base_day: date, months: int, ratio: str) -> None:
    assert rules.service_months(hired, base_day) == months
    assert rules.service_ratio(months) == Decimal(ratio)


@pytest.mark.parametrize(
    ("monthly", "standard"),
    [(0, 58_000), (62_999, 58_000), (63_000, 68_000), (164_999, 160_000), (165_000, 170_000), (1_355_000, 1_390_000),
     (5_000_000, 1_390_000)],
)  # fmt: skip
def test_standard_remuneration(monthly: int, standard: int) -> None:
    assert rules.standard_remuneration(monthly) == standard


def test_pension_standard_is_capped() -> None:
    assert rules.pension_standard(1_390_000) == 650_000
    assert rules.pension_standard(58_000) == 88_000


@pytest.mark.parametrize(
    ("birth", "month", "applies"),
    [
        (date(1986, 6, 2), date(2026, 5, 1), False),  # turns 40 on 2 June: 到達日 1 June
        (date(1986, 6, 2), date(2026, 6, 1), True),
        (date(1986, 6, 1), date(2026, 5, 1), True),  # born 1 June: 到達日 31 May
        (date(1961, 6, 2), date(2026, 5, 1), True),  # turns 65 on 2 June: the month before
        (date(1961, 6, 2), date(2026, 6, 1), False),
    ],
)
def test_care_contribution_ages(birth: date, month: date, applies: bool) -> None:
    assert rules.care_applies(birth, month) is applies


def test_standard_bonus_rounds_down_to_thousands() -> None:
    assert rules.standard_bonus(316_999) == 316_000
