"""population_on: the 住民基本台帳人口 of a day, read from the effective records (the cost sharing uses it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django_tenants.utils import schema_context

from resident_records import services
from resident_records.selectors import population_on
from tenants.models import Person
from tests.resident_records.factories import move_in_family, versioned

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_nakatosa(db: Any) -> Iterator[Person]:
    with schema_context("nakatosa"), time_machine.travel(date(2026, 11, 27), tick=False):
        yield Person.objects.get(username="tanaka")


def test_a_family_counts_from_the_day_it_moved_in(in_nakatosa: Person) -> None:
    before = population_on(date(2026, 3, 31))
    move_in_family(in_nakatosa, on=date(2026, 4, 1))
    assert (population_on(date(2026, 3, 31)), population_on(date(2026, 4, 1))) == (before, before + 3)


def test_a_death_leaves_the_population_from_its_date(in_nakatosa: Person) -> None:
    _household, members = move_in_family(in_nakatosa, on=date(2026, 4, 1))
    services.record_death(
        actor=in_nakatosa, resident=versioned(members[2]), died_on=date(2026, 8, 1), notified_on=date(2026, 8, 2)
    )
    assert population_on(date(2026, 7, 31)) - population_on(date(2026, 8, 1)) == 1
