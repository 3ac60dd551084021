"""The demo seeder: connections, a year of readings, confirmed runs, payments and some arrears; idempotent."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from common.ledger import verify
from water_billing import demo
from water_billing.models import Bill, BillingRun, Connection, LedgerLine, Period, Reading, RunState

pytestmark = pytest.mark.django_db


def test_the_demo_town_is_billed_for_a_year(db: Any) -> None:
    assert demo.seed_town("shimanto", 60) == 60
    with schema_context("shimanto"):
        assert Connection.objects.count() == 60
        assert Period.objects.count() == 12
        assert Reading.objects.count() == 60 * 6
        assert Bill.objects.count() == 60 * 6
        assert set(BillingRun.objects.values_list("state", flat=True)) == {RunState.CONFIRMED}
        assert verify(LedgerLine, "shimanto").intact


def test_the_demo_is_idempotent(db: Any) -> None:
    demo.seed_town("shimanto", 10)
    assert demo.seed_town("shimanto", 10) is None


@pytest.mark.skipif("KYODO_WATER_DEMO_FULL" not in __import__("os").environ, reason="manual: the full-size demo")
def test_the_full_demo_seeds_quickly(db: Any) -> None:
    """KYODO_WATER_DEMO_FULL=1 with -s prints the seconds of the full-size demo (3,000 + 8,000 connections)."""
    import time

    lines: list[str] = []
    started = time.perf_counter()
    demo.seed(lines.append)
    print(f"water demo: {time.perf_counter() - started:.1f} s", *lines, sep="\n")  # the figures, with -s
    with schema_context("shimanto"):
        assert Connection.objects.count() == demo.DEMO_CONNECTIONS["shimanto"]
