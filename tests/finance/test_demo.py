"""The demo seeder: a 令和8年度 budget for both towns, a year of transactions, the council's cost sharing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django_tenants.utils import schema_context

from common import ledger
from finance import demo, selectors
from finance.models import Commitment, CostSharingPlan, CostSharingStatus, JournalLine
from tests.support.shared_rows import written_once

pytestmark = pytest.mark.django_db


def _seed() -> list[str]:
    lines: list[str] = []
    demo.seed_demo(lines.append)
    return lines


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[str]]:
    """The demo (the slow part) is seeded once for the module; each test still runs in its own rolled-back block."""
    yield from written_once(django_db_blocker, _seed)


@pytest.fixture
def seeded(_seeded_once: list[str], db: Any) -> list[str]:
    return _seeded_once


def test_the_larger_town_has_the_larger_budget(seeded: list[str]) -> None:
    totals = {}
    for schema in ("nakatosa", "shimanto"):
        with schema_context(schema):
            totals[schema] = sum(row.current_budget for row in selectors.execution_by_line(year=2026))
    assert totals["shimanto"] > 2 * totals["nakatosa"]


def test_the_journal_verifies(seeded: list[str]) -> None:
    with schema_context("shimanto"):
        assert ledger.verify(JournalLine).intact


def test_no_setsu_is_overspent(seeded: list[str]) -> None:
    with schema_context("nakatosa"):
        rows = selectors.execution_by_line(year=2026)
    assert [r.budget_code for r in rows if r.committed > r.current_budget] == []


def test_the_cost_sharing_is_posted(seeded: list[str]) -> None:
    with schema_context("council"):
        assert CostSharingPlan.objects.get(fiscal_year=2026).status == CostSharingStatus.POSTED


def test_each_town_carries_its_share(seeded: list[str]) -> None:
    with schema_context("nakatosa"):
        assert Commitment.objects.filter(source_key__startswith="cost-sharing:", line__setsu="18").count() == 1


def test_seeding_twice_changes_nothing(seeded: list[str]) -> None:
    with schema_context("nakatosa"):
        before = JournalLine.objects.count()
    demo.seed_demo(lambda line: None)
    with schema_context("nakatosa"):
        assert JournalLine.objects.count() == before


def test_every_demo_commitment_went_through_the_service(seeded: list[str]) -> None:
    """The demo writes through the services: each 支出負担行為 has its audit row (finance.commit)."""
    from common.models import AuditEvent

    with schema_context("nakatosa"):
        commitments = Commitment.objects.exclude(source_key__startswith="cost-sharing:").count()
        assert AuditEvent.objects.filter(action="finance.commit").count() == commitments


def test_every_demo_payment_was_audited_by_another_person(seeded: list[str]) -> None:
    from finance.models import PaymentOrder

    with schema_context("shimanto"):
        orders = PaymentOrder.objects.filter(commitment__source_key="")
        assert orders.exclude(audited_by_id=None).exclude(paid_by_id=None).count() == orders.count() > 0


def test_the_demo_rollup_agrees_with_the_journal(seeded: list[str]) -> None:
    from finance import rollup

    with schema_context("nakatosa"):
        assert rollup.check() is None
