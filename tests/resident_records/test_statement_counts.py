"""The resident page, the household form pages and the API run a number of SQL statements that does not grow with
the household's size or the page size (docs/domain/resident_register.md: the household as of a date is read in a
fixed number of queries, ``selectors.household_as_of``).

Before, ``household_as_of`` read each member's entry and joining record one query at a time: the resident page of a
six-person household ran 10 more statements than that of a one-person household.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from resident_records import selectors
from resident_records.models import Household, Resident
from resident_records.views import PURPOSE_SESSION_KEY
from tenants.models import Person
from tests.resident_records.factories import move_in_family, person

pytestmark = pytest.mark.django_db

BASE = "/resident_records/"
API = "/api/v1/resident_records/"

SIX = [
    person(),
    person("山田", "花子", "ヤマダ", "ハナコ", birth=date(1982, 8, 12), sex="2", relationship="妻"),
    person("山田", "一郎", "ヤマダ", "イチロウ", birth=date(2012, 4, 3), relationship="子"),
    person("山田", "二郎", "ヤマダ", "ジロウ", birth=date(2014, 6, 5), relationship="子"),
    person("山田", "梅", "ヤマダ", "ウメ", birth=date(1950, 1, 9), sex="2", relationship="母"),
    person("佐藤", "健", "サトウ", "ケン", birth=date(1990, 3, 3), relationship="同居人"),
]


@pytest.fixture(autouse=True)
def _frozen_day() -> Iterator[None]:
    with time_machine.travel(date(2026, 11, 27), tick=False):
        yield


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def households(clerk: Person) -> tuple[tuple[Household, list[Resident]], tuple[Household, list[Resident]]]:
    with schema_context("nakatosa"):
        alone = move_in_family(
            clerk, members=[person("鈴木", "一", "スズキ", "ハジメ")], address="高知県高岡郡中土佐町久礼 1"
        )
        six = move_in_family(clerk, members=SIX, address="中土佐町久礼 2")
    return alone, six


@pytest.fixture
def client(client_for: Any) -> Client:
    client: Client = client_for("tanaka", "nakatosa")
    session = client.session
    session[PURPOSE_SESSION_KEY] = "窓口での本人確認"
    session.save()
    return client


def _statements(client: Client, url: str, data: dict[str, Any] | None = None) -> int:
    client.get(url, data or {})  # warm: the session, the host's town and other per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, data or {})
    assert response.status_code == 200, response.content.decode()[:300]
    return len(captured.captured_queries)


def test_household_as_of_reads_a_household_in_a_fixed_number_of_queries(
    households: tuple[tuple[Household, list[Resident]], tuple[Household, list[Resident]]],
) -> None:
    (alone, _), (six, _) = households
    counts = []
    with schema_context("nakatosa"):
        selectors.household_as_of(alone.pk, date(2026, 11, 27))  # warm: the schema's search_path is set once
        for household in (alone, six):
            with CaptureQueriesContext(connection) as captured:
                state = selectors.household_as_of(household.pk, date(2026, 11, 27))
            assert state is not None
            counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("as_of", [None, "2026-11-01"])
def test_the_resident_page_runs_as_many_statements_for_six_members_as_for_one(
    client: Client,
    households: tuple[tuple[Household, list[Resident]], tuple[Household, list[Resident]]],
    as_of: str | None,
) -> None:
    (_, [alone]), (_, six) = households
    data = {"as_of": as_of} if as_of else {}
    one = _statements(client, f"{BASE}residents/{alone.atena_number}/", data)
    many = _statements(client, f"{BASE}residents/{six[0].atena_number}/", data)
    assert many == one


@pytest.mark.parametrize("form", ["change-of-address", "birth", "move-out", "change-head", "split"])
def test_a_household_form_runs_as_many_statements_for_six_members_as_for_one(
    client: Client,
    households: tuple[tuple[Household, list[Resident]], tuple[Household, list[Resident]]],
    form: str,
) -> None:
    (alone, _), (six, _) = households
    one = _statements(client, f"{BASE}households/{alone.number}/{form}/")
    many = _statements(client, f"{BASE}households/{six.number}/{form}/")
    assert many == one


@pytest.mark.parametrize("as_of", [None, "2026-11-01"])
def test_the_api_resident_and_household_run_as_many_statements_for_six_members_as_for_one(
    client: Client,
    households: tuple[tuple[Household, list[Resident]], tuple[Household, list[Resident]]],
    as_of: str | None,
) -> None:
    (alone_home, [alone]), (six_home, six) = households
    data = {"purpose": "照会", **({"as_of": as_of} if as_of else {})}
    one = _statements(client, f"{API}residents/{alone.atena_number}/", data)
    many = _statements(client, f"{API}residents/{six[0].atena_number}/", data)
    assert many == one
    one = _statements(client, f"{API}households/{alone_home.number}/", data)
    many = _statements(client, f"{API}households/{six_home.number}/", data)
    assert many == one


def test_an_api_list_runs_as_many_statements_for_50_rows_as_for_10(clerk: Person, client: Client) -> None:
    with schema_context("nakatosa"):
        for number in range(55):
            move_in_family(clerk, members=[person("鈴木", f"{number}", "スズキ", "ハジメ")], address=f"久礼 {number}")
    ten = _statements(client, f"{API}events/", {"page_size": 10})
    fifty = _statements(client, f"{API}events/", {"page_size": 50})
    assert fifty == ten
