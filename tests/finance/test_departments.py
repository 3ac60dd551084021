"""予算配当 to 課 (docs/domain/finance.md §5.7): on per town; a 課's commitments stay within its 配当 and the
節's remaining budget; the 執行状況表 by 課 shows the 配当."""

from __future__ import annotations

from datetime import date

import pytest

from common.models import TownSetting
from finance import selectors, services
from finance.errors import BudgetExceeded
from finance.models import DepartmentAllotment
from finance.services.departments import DEPARTMENT_ALLOTMENT, AllotmentOff
from tenants import organisation
from tenants.models import Municipality, OrgUnitKind, Person
from tests.conftest import HOSTS, make_client
from tests.finance.factories import TODAY, Budget, People, budget, in_nakatosa, people

pytestmark = pytest.mark.django_db
__all__ = ["budget", "in_nakatosa", "people"]  # fixtures


def switch_on() -> None:
    TownSetting.objects.create(key=DEPARTMENT_ALLOTMENT, value="する", effective_from=date(2026, 4, 1))


@pytest.fixture
def divisions(people: People, budget: Budget) -> dict[str, object]:
    """総務課 (T100, the clerk's 主務) and 企画課 (T200, the inspector's), 100,000円 of 需用費 to 総務課."""
    town = Municipality.objects.get(schema_name="nakatosa")
    for code, name, person in (("T100", "総務課", people.clerk), ("T200", "企画課", people.inspector)):
        unit = organisation.create_unit(
            actor=None, municipality=town, code=code, name=name, kind=OrgUnitKind.DIVISION, valid_from=date(2020, 4, 1)
        )
        organisation.post_person(actor=None, person=person, unit=unit, valid_from=date(2026, 4, 1))
    switch_on()
    services.allot_to_department(actor=people.finance, line=budget.supplies, department_code="T100", amount=100_000)
    return {}


def commit(person: Person, budget: Budget, amount: int, **extra: str) -> object:
    return services.commit_expenditure(
        actor=person,
        line=budget.supplies,
        amount=amount,
        purpose="コピー用紙",
        committed_on=TODAY,
        payee_name="土佐文具",
        **extra,
    )


def test_allotment_is_refused_while_the_town_does_not_allot(people: People, budget: Budget) -> None:
    with pytest.raises(AllotmentOff):
        services.allot_to_department(actor=people.finance, line=budget.supplies, department_code="T100", amount=1)


def test_a_clerks_commitment_is_charged_to_their_division(people: People, budget: Budget, divisions: object) -> None:
    assert commit(people.clerk, budget, 60_000).department_code == "T100"  # type: ignore[attr-defined]


def test_a_division_commits_up_to_its_allotment(people: People, budget: Budget, divisions: object) -> None:
    commit(people.clerk, budget, 60_000)
    with pytest.raises(BudgetExceeded) as refused:
        commit(people.clerk, budget, 40_001)
    assert "残額 40,000円" in refused.value.message


def test_a_division_without_allotment_on_an_allotted_setsu_is_refused(
    people: People, budget: Budget, divisions: object
) -> None:
    with pytest.raises(BudgetExceeded):
        commit(people.inspector, budget, 1)


def test_a_setsu_without_allotment_is_checked_against_the_setsu_only(
    people: People, budget: Budget, divisions: object
) -> None:
    commitment = services.commit_expenditure(
        actor=people.inspector,
        line=budget.other_kou,
        amount=500_000,
        purpose="封筒",
        committed_on=TODAY,
        payee_name="土佐文具",
    )
    assert commitment.amount == 500_000


def test_allotments_never_exceed_the_setsu(people: People, budget: Budget, divisions: object) -> None:
    with pytest.raises(BudgetExceeded):
        services.allot_to_department(actor=people.finance, line=budget.supplies, department_code="T200", amount=900_001)


def test_only_the_finance_officer_allots(people: People, budget: Budget, divisions: object) -> None:
    from finance.errors import RoleRequired

    with pytest.raises(RoleRequired):
        services.allot_to_department(actor=people.clerk, line=budget.supplies, department_code="T100", amount=1)


def test_the_allotment_is_audited(people: People, budget: Budget, divisions: object) -> None:
    from common.models import AuditEvent

    assert AuditEvent.objects.filter(action="finance.department_allot", actor_id=people.finance.pk).count() == 1


def test_execution_by_division_uses_the_allotment(people: People, budget: Budget, divisions: object) -> None:
    commit(people.clerk, budget, 60_000)
    row = selectors.department_execution(year=2026)[0]
    assert (row.department_code, row.allotted, row.committed, row.remaining) == ("T100", 100_000, 60_000, 40_000)


def test_the_execution_page_by_division_shows_the_allotment(people: People, budget: Budget, divisions: object) -> None:
    body = make_client(HOSTS["nakatosa"], people.finance).get("/finance/?by=department").content.decode()
    assert '<th scope="col">配当額</th>' in body


def test_the_allotment_page_allots(people: People, budget: Budget, divisions: object) -> None:
    client = make_client(HOSTS["nakatosa"], people.finance)
    client.post("/finance/allotment/", {"line": budget.supplies.pk, "department_code": "T200", "amount": "50,000"})
    assert DepartmentAllotment.objects.filter(department_code="T200", amount=50_000).exists()


def test_the_allotment_page_shows_the_balances(people: People, budget: Budget, divisions: object) -> None:
    body = make_client(HOSTS["nakatosa"], people.clerk).get("/finance/allotment/").content.decode()
    assert "総務課" in body
