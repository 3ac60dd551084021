"""Test data of the water module: 中土佐町's tariff (docs/domain/water_billing.md §2) and connections."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from water_billing import rules
from water_billing.models import Connection, Period, ReadingGroup, Service
from water_billing.services.tariffs import record_tariff

NAKATOSA_BASES = [(13, 500), (20, 680), (25, 690), (30, 770), (40, 990), (50, 1270)]
_taps = itertools.count(1)


def nakatosa_tariff(actor: Any = None, *, sewer: bool = True) -> None:
    record_tariff(
        actor=actor,
        service=Service.WATER,
        effective_from=date(2024, 4, 1),
        bases=[rules.Base(d, c, 10) for d, c in NAKATOSA_BASES],
        tiers=[rules.Tier(11, None, 120)],
        basis="中土佐町水道給水条例(町ウェブサイト 2024-04-11)",
    )
    if sewer:
        record_tariff(
            actor=actor,
            service=Service.SEWER,
            effective_from=date(2024, 4, 1),
            bases=[rules.Base(None, 1000, 10)],
            tiers=[rules.Tier(11, 20, 110), rules.Tier(21, 50, 150), rules.Tier(51, None, 210)],
            basis="試験用の下水道使用料",
        )


def period(code: str = "2026-04", *, starts_on: date = date(2026, 4, 1)) -> Period:
    return Period.objects.create(
        code=code, group=ReadingGroup.ODD, starts_on=starts_on, ends_on=date(starts_on.year, starts_on.month + 1, 28),
        read_on=date(starts_on.year, starts_on.month + 1, 25), due_on=date(starts_on.year, starts_on.month + 2, 10),
    )  # fmt: skip


def connection(**overrides: Any) -> Connection:
    n = next(_taps)
    fields: dict[str, Any] = {
        "tap_number": f"T{n:07d}", "address": f"高知県高岡郡中土佐町久礼{n}番地", "district": "久礼",
        "route_order": n, "diameter_mm": 13, "meter_serial": f"M{n:07d}", "meter_installed_on": date(2022, 4, 1),
        "user_name": "試験 太郎", "user_kana": "ｼｹﾝ ﾀﾛｳ", "opened_on": date(2020, 1, 1),
    }  # fmt: skip
    fields.update(overrides)
    return Connection.objects.create(**fields)
