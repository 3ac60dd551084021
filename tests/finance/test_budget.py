"""The budget: versions, 予算現額, 流用 inside one 項, 予備費充用, 繰越 and 決算 (the year locks)."""

from __future__ import annotations

from datetime import date

import pytest

from common import town_settings
from finance import selectors, services
from finance.errors import (
    BudgetExceeded,
    BudgetVersionInvalid,
    FiscalYearClosed,
    InvalidBudgetCode,
    OutsideFiscalPeriod,
    RoleRequired,
    TransferRefused,
)
from finance.models import BudgetAmount, BudgetVersion, JournalLine, Side
from finance.services.budget import NO_TRANSFER_SETSU
from tests.finance.factories import Budget, People, budget, in_nakatosa, people

pytestmark = pytest.mark.django_db
__all__ = ["budget", "in_nakatosa", "people"]  # fixtures

DAY = date(2026, 11, 27)


def test_the_initial_budget_is_the_current_budget(budget: Budget) -> None:
    assert selectors.line_figures(budget.supplies).current_budget == 1_000_000


def test_a_supplementary_budget_adds_to_the_current_budget(people: People, budget: Budget) -> None:
    services.enact_budget(
        actor=people.finance,
        year=budget.year,
        number=1,
        decided_on=date(2026, 6, 20),
        amounts={budget.supplies: 250_000},
    )
    assert selectors.line_figures(budget.supplies).current_budget == 1_250_000


def test_each_supplementary_budget_is_kept_as_its_own_version(people: People, budget: Budget) -> None:
    services.enact_budget(
        actor=people.finance,
        year=budget.year,
        number=1,
        decided_on=date(2026, 6, 20),
        amounts={budget.supplies: 250_000},
    )
    assert list(
        BudgetAmount.objects.filter(line=budget.supplies)
        .order_by("version__number")
        .values_list("version__number", "amount")
    ) == [(0, 1_000_000), (1, 250_000)]


def test_supplementary_numbers_follow_each_other(people: People, budget: Budget) -> None:
    with pytest.raises(BudgetVersionInvalid):
        services.enact_budget(
            actor=people.finance,
            year=budget.year,
            number=2,
            decided_on=date(2026, 6, 20),
            amounts={budget.supplies: 1},
        )


def test_a_reduction_below_what_is_committed_is_refused(people: People, budget: Budget) -> None:
    services.commit_expenditure(
        actor=people.clerk,
        line=budget.supplies,
        amount=900_000,
        purpose="コピー用紙",
        committed_on=DAY,
        payee_name="土佐文具",
    )
    with pytest.raises(BudgetExceeded):
        services.enact_budget(
            actor=people.finance,
            year=budget.year,
            number=1,
            decided_on=date(2026, 12, 10),
            amounts={budget.supplies: -200_000},
        )
    assert BudgetVersion.objects.filter(fiscal_year=budget.year).count() == 1


def test_only_the_finance_officer_enacts_a_budget(people: People, budget: Budget) -> None:
    with pytest.raises(RoleRequired):
        services.enact_budget(
            actor=people.clerk, year=budget.year, number=1, decided_on=DAY, amounts={budget.supplies: 1}
        )


def test_an_expenditure_setsu_outside_the_27_is_refused(people: People, budget: Budget) -> None:
    moku = budget.year.subjects.get(side=Side.EXPENDITURE, code="02-01-01")
    with pytest.raises(InvalidBudgetCode):
        services.add_budget_line(actor=people.finance, moku=moku, setsu="28")


def test_a_town_may_add_a_saisetsu(people: People, budget: Budget) -> None:
    moku = budget.year.subjects.get(side=Side.EXPENDITURE, code="02-01-02")
    line = services.add_budget_line(actor=people.finance, moku=moku, setsu="10", saisetsu="01", name="消耗品費")
    assert str(line) == "02-01-02 節10-01 消耗品費"


def test_a_subject_needs_its_parent(people: People, budget: Budget) -> None:
    with pytest.raises(InvalidBudgetCode):
        services.add_subject(
            actor=people.finance, year=budget.year, side=Side.EXPENDITURE, code="03-01", name="社会福祉費"
        )


def test_a_transfer_inside_one_kou_moves_the_budget(people: People, budget: Budget) -> None:
    services.transfer_budget(
        actor=people.finance,
        source=budget.salaries,
        target=budget.supplies,
        amount=300_000,
        on=DAY,
        reason="用紙代の不足",
    )
    assert selectors.line_figures(budget.supplies).current_budget == 1_300_000


def test_a_transfer_lowers_the_source(people: People, budget: Budget) -> None:
    services.transfer_budget(
        actor=people.finance,
        source=budget.salaries,
        target=budget.supplies,
        amount=300_000,
        on=DAY,
        reason="用紙代の不足",
    )
    assert selectors.line_figures(budget.salaries).current_budget == 99_700_000


def test_a_transfer_between_kou_is_refused(people: People, budget: Budget) -> None:
    with pytest.raises(TransferRefused) as excinfo:
        services.transfer_budget(
            actor=people.finance, source=budget.salaries, target=budget.other_kou, amount=1, on=DAY, reason="x"
        )
    assert "同じ項" in excinfo.value.message


def test_a_transfer_into_entertainment_is_refused(people: People, budget: Budget) -> None:
    with pytest.raises(TransferRefused) as excinfo:
        services.transfer_budget(
            actor=people.finance, source=budget.supplies, target=budget.entertainment, amount=1, on=DAY, reason="x"
        )
    assert "交際費" in excinfo.value.message


def test_the_excluded_setsu_are_a_town_setting(people: People, budget: Budget) -> None:
    town_settings.record_setting(actor=people.finance, key=NO_TRANSFER_SETSU, value="09,10", effective_from=DAY)
    with pytest.raises(TransferRefused):
        services.transfer_budget(
            actor=people.finance, source=budget.salaries, target=budget.supplies, amount=1, on=DAY, reason="x"
        )


def test_a_transfer_cannot_take_committed_budget(people: People, budget: Budget) -> None:
    services.commit_expenditure(
        actor=people.clerk,
        line=budget.supplies,
        amount=900_000,
        purpose="用紙",
        committed_on=DAY,
        payee_name="土佐文具",
    )
    with pytest.raises(BudgetExceeded):
        services.transfer_budget(
            actor=people.finance, source=budget.supplies, target=budget.salaries, amount=100_001, on=DAY, reason="x"
        )


def test_the_reserve_can_fund_another_kou(people: People, budget: Budget) -> None:
    services.apply_reserve(
        actor=people.finance,
        source=budget.reserve,
        target=budget.other_kou,
        amount=200_000,
        on=DAY,
        reason="台風被害の修繕",
    )
    assert selectors.line_figures(budget.other_kou).current_budget == 700_000


def test_only_the_reserve_is_a_source_of_juyo(people: People, budget: Budget) -> None:
    with pytest.raises(TransferRefused):
        services.apply_reserve(
            actor=people.finance, source=budget.salaries, target=budget.other_kou, amount=1, on=DAY, reason="x"
        )


def test_a_carry_forward_moves_budget_into_the_next_year(people: People, budget: Budget) -> None:
    target = services.carry_forward(
        actor=people.finance, line=budget.other_kou, amount=100_000, kind="明許", reason="工期の延長"
    )
    assert selectors.line_figures(target).current_budget == 100_000


def test_a_carry_forward_is_no_longer_available_in_the_old_year(people: People, budget: Budget) -> None:
    services.carry_forward(
        actor=people.finance, line=budget.other_kou, amount=100_000, kind="事故", reason="資材の納入遅延"
    )
    assert selectors.line_figures(budget.other_kou).available == 400_000


def test_a_year_cannot_close_before_the_closing_period_ends(people: People, budget: Budget) -> None:
    with pytest.raises(OutsideFiscalPeriod):
        services.close_fiscal_year(actor=people.accountant, year=budget.year, today=date(2027, 5, 31))


def test_a_closed_year_refuses_new_commitments(people: People, budget: Budget) -> None:
    services.close_fiscal_year(actor=people.accountant, year=budget.year, today=date(2027, 6, 1))
    before = JournalLine.objects.count()
    with pytest.raises(FiscalYearClosed):
        services.commit_expenditure(
            actor=people.clerk, line=budget.supplies, amount=1, purpose="用紙", committed_on=DAY, payee_name="土佐文具"
        )
    assert JournalLine.objects.count() == before


def test_a_closed_year_refuses_a_supplementary_budget(people: People, budget: Budget) -> None:
    services.close_fiscal_year(actor=people.accountant, year=budget.year, today=date(2027, 6, 1))
    with pytest.raises(FiscalYearClosed):
        services.enact_budget(
            actor=people.finance, year=budget.year, number=1, decided_on=DAY, amounts={budget.supplies: 1}
        )
