"""The hard stop under concurrency: clerks committing the last yen of one 節 at the same moment, each on its own
database connection (threads, committed data): exactly as many succeed as the budget allows, never more."""

from __future__ import annotations

import threading
import uuid
from datetime import date
from typing import Any

import pytest
from django.db import connection, connections
from django_tenants.utils import schema_context

from common.models import TownSetting
from finance import selectors, services
from finance.errors import BudgetExceeded
from finance.models import BudgetLine, Commitment, DepartmentAllotment
from finance.services.departments import DEPARTMENT_ALLOTMENT
from tenants import organisation
from tenants.models import Municipality, OrgUnitKind, Person, Posting
from tests.finance.factories import make_budget, make_people

pytestmark = pytest.mark.integration


def _committed_budget(django_db_blocker: Any, *, supplies: int) -> tuple[int, BudgetLine, list[Person]]:
    """A budget in a year of its own, committed (the threads read it on their own connections)."""
    year = 3000 + uuid.uuid4().int % 6000
    with django_db_blocker.unblock(), schema_context("nakatosa"):
        people = make_people(prefix=f"cc{uuid.uuid4().hex[:8]}")
        budget = make_budget(people, year=year, amounts={"supplies": supplies})
        clerks = [people.clerk, people.inspector, people.orderer]
    return year, budget.supplies, clerks


def _race(django_db_blocker: Any, line: BudgetLine, clerks: list[Person], amounts: list[int], year: int) -> list[str]:
    barrier = threading.Barrier(len(amounts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def clerk_commits(index: int, amount: int) -> None:
        try:
            with schema_context("nakatosa"):
                barrier.wait(timeout=30)
                try:
                    services.commit_expenditure(
                        actor=clerks[index % len(clerks)],
                        line=line,
                        amount=amount,
                        purpose=f"同時登録 {index}",
                        committed_on=date(year, 11, 27),
                        payee_name="土佐文具",
                    )
                    outcome = "ok"
                except BudgetExceeded:
                    outcome = "refused"
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        threads = [threading.Thread(target=clerk_commits, args=(i, a)) for i, a in enumerate(amounts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    return outcomes


def test_two_clerks_committing_the_last_yen_exactly_one_succeeds(django_db_setup: Any, django_db_blocker: Any) -> None:
    year, line, clerks = _committed_budget(django_db_blocker, supplies=100_000)
    outcomes = _race(django_db_blocker, line, clerks, [100_000, 100_000], year)
    assert sorted(outcomes) == ["ok", "refused"]


def test_eight_clerks_never_overspend_one_setsu(django_db_setup: Any, django_db_blocker: Any) -> None:
    year, line, clerks = _committed_budget(django_db_blocker, supplies=100_000)
    _race(django_db_blocker, line, clerks, [30_000] * 8, year)
    with django_db_blocker.unblock(), schema_context("nakatosa"):
        figures = selectors.line_figures(line)
        count = Commitment.objects.filter(line=line).count()
        connection.close()
    assert (count, figures.committed) == (3, 90_000)


def test_two_clerks_of_one_division_committing_its_last_allotted_yen_exactly_one_succeeds(
    django_db_setup: Any, django_db_blocker: Any
) -> None:
    """With 課への配当 on, the 課's 配当 binds before the 節 does: the same row lock serialises both checks."""
    year, line, clerks = _committed_budget(django_db_blocker, supplies=1_000_000)
    code = f"D{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock(), schema_context("nakatosa"):
        town = Municipality.objects.get(schema_name="nakatosa")
        unit = organisation.create_unit(
            actor=None,
            municipality=town,
            code=code,
            name="並行課",
            kind=OrgUnitKind.DIVISION,
            valid_from=date(2020, 4, 1),
        )
        for clerk in clerks[:2]:
            organisation.post_person(actor=None, person=clerk, unit=unit, valid_from=date(2020, 4, 1))
        setting = TownSetting.objects.create(key=DEPARTMENT_ALLOTMENT, value="する", effective_from=date(2020, 4, 1))
        finance_officer = Person.objects.get(username=clerks[0].username.replace("_clerk", "_zaisei"))
        services.allot_to_department(
            actor=finance_officer, line=line, department_code=code, amount=100_000, on=date(year, 11, 27)
        )
        connection.close()
    try:
        outcomes = _race(django_db_blocker, line, clerks[:2], [100_000, 100_000], year)
    finally:
        with django_db_blocker.unblock(), schema_context("nakatosa"):
            # Committed data: the other tests' town does not allot, and its organisation is as it was.
            setting.delete()
            DepartmentAllotment.objects.filter(department_code=code).delete()
            Posting.objects.filter(unit=unit).delete()
            unit.delete()
            connection.close()
    assert sorted(outcomes) == ["ok", "refused"]
