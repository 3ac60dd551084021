"""延滞金, the pure rule (docs/domain/water_billing.md §7.2): the reduced rate for the first month, the full rate
after, the rate in force on each day, partial payments, the 1,000-yen base floor, the 100-yen result floor and the
exemptions."""

from __future__ import annotations

from datetime import date

from water_billing.late_fee import Rates, first_month_ends, late_fee

DUE = date(2026, 1, 10)
RATES = Rates(first=[(date.min, 24)], after=[(date.min, 87)])


def fee(principal: int, until: date, payments: list[tuple[date, int]] | None = None, rates: Rates = RATES) -> int:
    return late_fee(
        principal=principal, due_on=DUE, until=until, payments=payments or [], rates=rates, min_base=2000
    ).amount


def test_the_first_month_ends_on_the_same_day_of_the_next_month() -> None:
    assert first_month_ends(DUE) == date(2026, 2, 10)


def test_the_first_month_is_at_the_reduced_rate() -> None:
    # 1,000,000 × 2.4 % × 31 / 365 = 2,038.3 → 2,000
    assert fee(1_000_000, date(2026, 2, 10)) == 2000


def test_after_the_first_month_the_full_rate_applies() -> None:
    # 1,000,000 × (2.4 % × 31 + 8.7 % × 59) / 365 = 16,101.3 → 16,100
    assert fee(1_000_000, date(2026, 4, 10)) == 16100


def test_each_day_takes_the_rate_in_force_on_it() -> None:
    rates = Rates(first=[(date.min, 24)], after=[(date.min, 87), (date(2026, 3, 1), 91)])
    # 1,000,000 × (2.4 % × 31 + 8.7 % × 18 + 9.1 % × 41) / 365 = 16,550.7 → 16,500
    assert fee(1_000_000, date(2026, 4, 10), rates=rates) == 16500


def test_a_partial_payment_lowers_the_base_from_the_next_day() -> None:
    # 2.4 % × (1,000,000 × 10 days + 500,000 × 21 days) / 365 = 1,347.9 → 1,300
    assert fee(1_000_000, date(2026, 2, 10), [(date(2026, 1, 20), 500_000)]) == 1300


def test_the_base_is_rounded_down_to_1000_yen() -> None:
    assert fee(1_000_999, date(2026, 2, 10)) == 2000


def test_a_claim_under_the_towns_threshold_bears_none() -> None:
    assert fee(1999, date(2030, 1, 10)) == 0


def test_a_fee_under_1000_yen_is_not_charged() -> None:
    # 100,000 × 2.4 % × 31 / 365 = 203.8 → 200, under 1,000
    assert fee(100_000, date(2026, 2, 10)) == 0


def test_nothing_is_due_on_or_before_the_due_date() -> None:
    assert fee(1_000_000, DUE) == 0
