"""協議会負担金: 均等割 + 人口割 + 利用割 line by line, approved by another council staff member, posted in each town
as a 支出負担行為 on 節 18 (all towns or none); a withdrawn town stops sharing from its withdrawal date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

import pytest
import time_machine
from django_tenants.utils import schema_context

from finance import services
from finance.errors import BudgetExceeded, SelfApproval, WrongState
from finance.models import Commitment, CostSharingPlan, CostSharingStatus
from finance.services.cost_sharing import TownInput, allocate_yen, compute_shares
from tenants.models import Municipality, Person, Role
from tests.finance.factories import make_budget, make_people
from tests.support.people import make_person

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 27)


def test_allocation_adds_up_to_the_total() -> None:
    assert sum(allocate_yen(100, [Fraction(1), Fraction(1), Fraction(1)])) == 100


def test_the_left_over_yen_goes_to_the_largest_remainder() -> None:
    assert allocate_yen(100, [Fraction(1), Fraction(2)]) == [33, 67]


def towns(population: tuple[int, int] = (6_500, 16_000)) -> list[TownInput]:
    return [
        TownInput("nakatosa", "中土佐町", 365, population[0], 40, 2_000, 300),
        TownInput("shimanto", "四万十町", 365, population[1], 100, 6_000, 700),
    ]


def test_equal_share_is_half_each() -> None:
    shares = compute_shares(
        total_cost=10_000_000,
        percents=(100, 0, 0),
        usage_weights=(40, 40, 20),
        towns=towns(),
        year=2026,
        withdrawals={},
    )
    assert shares.equal == [5_000_000, 5_000_000]


def test_population_share_follows_the_register() -> None:
    shares = compute_shares(
        total_cost=22_500_000,
        percents=(0, 100, 0),
        usage_weights=(40, 40, 20),
        towns=towns(),
        year=2026,
        withdrawals={},
    )
    assert shares.population == [6_500_000, 16_000_000]


def test_usage_share_weighs_the_components() -> None:
    shares = compute_shares(
        total_cost=1_000_000,
        percents=(0, 0, 100),
        usage_weights=(50, 50, 0),
        towns=[TownInput("a", "a", 365, 1, 1, 1, 0), TownInput("b", "b", 365, 1, 3, 1, 0)],
        year=2026,
        withdrawals={},
    )
    # staff 1:3 → 25%/75% of half; certificates 1:1 → 50%/50% of half.
    assert shares.usage == [375_000, 625_000]


def test_a_town_withdrawing_mid_year_stops_sharing() -> None:
    # Withdrawal on 1 October 2026: 中土佐町 shares Apr–Sep (183 days) half, and nothing afterwards.
    shares = compute_shares(
        total_cost=365_000,
        percents=(100, 0, 0),
        usage_weights=(40, 40, 20),
        towns=towns(),
        year=2026,
        withdrawals={"nakatosa": date(2026, 10, 1)},
    )
    assert shares.equal == [91_500, 273_500]


@pytest.fixture
def council_staff(db: Any) -> tuple[Person, Person]:
    return (Person.objects.get(username="council_staff"), make_person("f_council2", council=Role.COUNCIL_STAFF))


@pytest.fixture
def budgets(db: Any) -> Iterator[None]:
    with time_machine.travel(TODAY, tick=False):
        for schema in ("nakatosa", "shimanto"):
            with schema_context(schema):
                budget = make_budget(
                    make_people(prefix=f"cs{schema[:2]}", schema=schema), amounts={"salaries": 100_000_000}
                )
                # 節 18 under 02-01-01 for the 負担金.
                finance_officer = Person.objects.get(username=f"cs{schema[:2]}_zaisei")
                line = services.add_budget_line(actor=finance_officer, moku=budget.salaries.moku, setsu="18")
                services.enact_budget(
                    actor=finance_officer,
                    year=budget.year,
                    number=1,
                    decided_on=TODAY,
                    amounts={line: 20_000_000 if schema == "shimanto" else 10_000_000},
                )
        yield


def calculate(actor: Person, total: int = 12_000_000) -> CostSharingPlan:
    with schema_context("council"):
        return services.calculate_cost_sharing(actor=actor, fiscal_year=2026, total_cost=total)


def test_the_plan_shows_each_town_with_its_inputs(council_staff: tuple[Person, Person], budgets: None) -> None:
    plan = calculate(council_staff[0])
    with schema_context("council"):
        lines = list(plan.lines.order_by("town_schema").values_list("town_name", "member_days"))
    assert lines == [("中土佐町", 365), ("四万十町", 365)]


def test_the_lines_add_up_to_the_cost(council_staff: tuple[Person, Person], budgets: None) -> None:
    plan = calculate(council_staff[0])
    with schema_context("council"):
        assert sum(plan.lines.values_list("total", flat=True)) == 12_000_000


def test_the_calculator_cannot_approve(council_staff: tuple[Person, Person], budgets: None) -> None:
    plan = calculate(council_staff[0])
    with schema_context("council"), pytest.raises(SelfApproval):
        services.approve_cost_sharing(actor=council_staff[0], plan=plan)


def test_an_unapproved_plan_is_not_posted(council_staff: tuple[Person, Person], budgets: None) -> None:
    plan = calculate(council_staff[0])
    with schema_context("council"), pytest.raises(WrongState):
        services.post_cost_sharing(actor=council_staff[1], plan=plan, committed_on=TODAY)


def test_posting_commits_in_each_town(council_staff: tuple[Person, Person], budgets: None) -> None:
    plan = calculate(council_staff[0])
    with schema_context("council"):
        services.approve_cost_sharing(actor=council_staff[1], plan=plan)
        services.post_cost_sharing(actor=council_staff[1], plan=plan, committed_on=TODAY)
        shares = dict(plan.lines.values_list("town_schema", "total"))
    with schema_context("shimanto"):
        commitment = Commitment.objects.get(line__setsu="18")
    council = Municipality.objects.get(schema_name="council")
    assert (commitment.amount, commitment.payee_name) == (shares["shimanto"], council.name)


def test_a_town_without_budget_stops_the_whole_posting(council_staff: tuple[Person, Person], budgets: None) -> None:
    plan = calculate(council_staff[0], total=60_000_000)
    with schema_context("council"):
        services.approve_cost_sharing(actor=council_staff[1], plan=plan)
        with pytest.raises(BudgetExceeded):
            services.post_cost_sharing(actor=council_staff[1], plan=plan, committed_on=TODAY)
        assert CostSharingPlan.objects.get(pk=plan.pk).status == CostSharingStatus.APPROVED
    with schema_context("shimanto"):
        assert not Commitment.objects.filter(line__setsu="18").exists()


def test_a_withdrawn_town_shares_only_until_its_withdrawal(council_staff: tuple[Person, Person], budgets: None) -> None:
    Municipality.objects.filter(schema_name="nakatosa").update(withdrawn_at=datetime(2026, 9, 30, 15, 0, tzinfo=UTC))
    plan = calculate(council_staff[0])
    with schema_context("council"):
        line = plan.lines.get(town_schema="nakatosa")
    assert line.member_days == 183


def test_only_council_staff_calculate(budgets: None) -> None:
    clerk = Person.objects.get(username="tanaka")
    with schema_context("nakatosa"), pytest.raises(Exception) as excinfo:
        services.calculate_cost_sharing(actor=clerk, fiscal_year=2026, total_cost=1)
    assert getattr(excinfo.value, "code", "") == "finance_council_only"


def test_the_council_page_shows_the_lines(council_staff: tuple[Person, Person], budgets: None) -> None:
    from tests.conftest import HOSTS, make_client

    response = make_client(HOSTS["council"], council_staff[0]).post(
        "/finance/cost-sharing/",
        {"year": "2026", "action": "calculate", "total_cost": "12,000,000", "budget_code": "02-01-01"},
    )
    page = make_client(HOSTS["council"], council_staff[0]).get(response["Location"]).content.decode()
    assert ("四万十町" in page, "12,000,000" in page) == (True, True)
