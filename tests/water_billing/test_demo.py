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
