"""The red 支援措置 banner (docs/domain/support_measures.md): the person's page, the household's page, every search
row and every
form about them — in the resident register and in the koseki — from one include fed by resident_records.disclosure."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from koseki.models import Koseki, Member
from resident_records import disclosure, support
from resident_records.models import Household, Resident
from tenants.models import Person
from tests.koseki.test_fuhyo import make_register
from tests.resident_records.factories import family, move_in_family

pytestmark = pytest.mark.django_db

BANNER = "支援措置対象"  # the full banner (pages and forms)
ROW_BANNER = 'class="support-banner support-banner--compact"'  # the short one (search rows)
PURPOSE = "窓口での本人確認"


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def protected(clerk: Person) -> dict[str, Any]:
    """山田家 in 中土佐町: 花子 (妻) is protected; a neighbouring household is not. 本籍 in 中土佐町 as well."""
    koseki = make_register("nakatosa")
    with schema_context("nakatosa"):
        members = family()
        members[1] = replace(members[1], domicile=koseki.honseki)
        household, residents = move_in_family(clerk, members=members, address="高知県高岡郡中土佐町久礼 1234")
        _, others = move_in_family(
            clerk, members=[replace(family()[0], family_name="鈴木")], address="高知県高岡郡中土佐町久礼 99"
        )
        support.apply_support_measure(actor=clerk, resident=residents[1])
    return {"household": household, "residents": residents, "other": others[0], "koseki": koseki}


def _client(client_for: Any) -> Client:
    client: Client = client_for("tanaka", "nakatosa")
    session = client.session
    session["resident_records.purpose"] = PURPOSE
    session["koseki.purpose"] = PURPOSE
    session.save()
    return client


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_protected_persons_page_and_her_household_members_pages(client_for: Any, protected: dict[str, Any]) -> None:
    client = _client(client_for)
    head, wife, _ = protected["residents"]
    hers = _page(client, f"/resident_records/residents/{wife.atena_number}/")
    his = _page(client, f"/resident_records/residents/{head.atena_number}/")
    neighbour = _page(client, f"/resident_records/residents/{protected['other'].atena_number}/")
    assert hers.count(BANNER) == 2  # her own, and her household's
    assert his.count(BANNER) == 1  # his household's
    assert BANNER not in neighbour


def test_every_form_about_the_household_or_her(client_for: Any, protected: dict[str, Any]) -> None:
    client = _client(client_for)
    household: Household = protected["household"]
    wife: Resident = protected["residents"][1]
    for url in (
        f"/resident_records/households/{household.number}/change-of-address/",
        f"/resident_records/households/{household.number}/birth/",
        f"/resident_records/households/{household.number}/move-out/",
        f"/resident_records/households/{household.number}/split/",
        f"/resident_records/residents/{wife.atena_number}/death/",
        f"/resident_records/residents/{wife.atena_number}/correction/clerical/",
        f"/resident_records/residents/{wife.atena_number}/certificate/",
        f"/resident_records/residents/{wife.atena_number}/support/",
    ):
        assert BANNER in _page(client, url), url
    other: Resident = protected["other"]
    assert BANNER not in _page(client, f"/resident_records/households/{other.household.number}/change-of-address/")


def test_every_search_row_that_includes_her_and_no_other(client_for: Any, protected: dict[str, Any]) -> None:
    client = _client(client_for)
    head, wife, child = protected["residents"]
    page = client.post("/resident_records/", {"query": "山田", "purpose": PURPOSE}).content.decode()
    rows = {
        resident.pk: next(row for row in page.split("<tr>") if f"residents/{resident.atena_number}/" in row)
        for resident in (head, wife, child)
    }
    assert ROW_BANNER in rows[wife.pk]
    assert ROW_BANNER not in rows[head.pk]
    assert ROW_BANNER not in rows[child.pk]
    assert page.count(ROW_BANNER) == 1


def test_the_koseki_pages_about_her(client_for: Any, protected: dict[str, Any]) -> None:
    client = _client(client_for)
    koseki: Koseki = protected["koseki"]
    with schema_context("nakatosa"):
        hanako = Member.objects.get(koseki=koseki, given_name="花子")
    register = _page(client, f"/koseki/registers/{koseki.public_id}/")
    assert BANNER in register
    assert register.count(ROW_BANNER) == 1  # beside her name in the register
    assert BANNER in _page(client, f"/koseki/registers/{koseki.public_id}/certificate/")
    assert BANNER in _page(client, f"/koseki/members/{hanako.public_id}/divorce/")
    search = client.post("/koseki/", {"honseki": koseki.honseki, "purpose": PURPOSE}).content.decode()
    assert ROW_BANNER in search


def test_no_banner_without_a_measure(client_for: Any, clerk: Person) -> None:
    with schema_context("nakatosa"):
        _, residents = move_in_family(clerk, members=family(), address="高知県高岡郡中土佐町久礼 4321")
    client = _client(client_for)
    assert "support-banner" not in _page(client, f"/resident_records/residents/{residents[0].atena_number}/")


def test_the_banner_of_a_registers_members_is_asked_in_as_many_statements_for_all_as_for_one(
    protected: dict[str, Any],
) -> None:
    with schema_context("nakatosa"):
        members = list(Member.objects.filter(koseki=protected["koseki"]).order_by("pk"))
        with CaptureQueriesContext(connection) as one:
            disclosure.protected_subjects(members[:1])
        with CaptureQueriesContext(connection) as all_of_them:
            shown = disclosure.protected_subjects(members)
    assert len(members) == 2
    assert shown == {m.pk for m in members if m.given_name == "花子"}
    assert len(all_of_them.captured_queries) == len(one.captured_queries)
