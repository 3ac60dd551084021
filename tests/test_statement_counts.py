"""SQL statements per request that do not grow with the data (docs/performance.md).

- Every API list endpoint runs as many statements for a page of 50 rows as for a page of 10. The endpoints are
  the paginated GET operations of the OpenAPI schema, found here, so the list of a module added later is covered
  without editing this file; its rows come from tests/support/list_rows.py (a list without a row maker fails).
- The main pages run as many statements for a household (or register, or result list) of six as for one: the
  resident page, the certificate 見本, the search and the koseki register page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator

from koseki.views.common import PURPOSE_SESSION_KEY as KOSEKI_PURPOSE_KEY
from resident_records.views.common import PREVIEW_SESSION_KEY
from resident_records.views.common import PURPOSE_SESSION_KEY as RESIDENT_PURPOSE_KEY
from tenants.models import Person
from tests.conftest import HOSTS, make_client
from tests.koseki.factories import make_koseki, member
from tests.resident_records.factories import move_in_family, person
from tests.support.list_rows import LIST_CALLERS, LIST_ROWS
from tests.support.people import make_person
from tests.support.routes import Route, all_routes
from tests.support.shared_rows import written_once

pytestmark = pytest.mark.django_db

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def _paginated_list_routes() -> tuple[list[Route], dict[str, list[str]]]:
    """API routes whose GET operation in the OpenAPI schema takes ``page_size`` (a paginated list), and the
    query parameters each requires (a list of personal data requires its 利用目的, ``purpose``)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    lists = {
        path: [p["name"] for p in operations["get"]["parameters"] if p.get("required") and p["in"] == "query"]
        for path, operations in schema["paths"].items()
        if any(p["name"] == "page_size" for p in operations.get("get", {}).get("parameters", []))
    }
    routes = [r for r in all_routes() if r.is_api and "/" + _PARAM.sub(r"{\1}", r.route) in lists]
    return routes, {r.name or "": lists["/" + _PARAM.sub(r"{\1}", r.route)] for r in routes}


LIST_ROUTES, REQUIRED_QUERY = _paginated_list_routes()
QUERY_VALUES = {"purpose": "監査のため"}


TODAY = date(2026, 11, 27)


@pytest.fixture(autouse=True)
def _frozen_day() -> Iterator[None]:
    with time_machine.travel(TODAY, tick=False):
        yield


def _finance_demo() -> None:
    with time_machine.travel(TODAY, tick=False):
        LIST_ROWS["api:finance:commitments"](55)


@pytest.fixture(scope="module")
def _finance_demo_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The finance lists all read the finance demo (the slowest row maker, idempotent): it is seeded once for the
    module, in a transaction rolled back after its last test, and each finance list's maker then finds it there.
    Every list test asks for it, so that it is set up before the test's own transaction (whatever the order);
    the other lists count their own rows and are indifferent to the finance rows."""
    yield from written_once(django_db_blocker, _finance_demo)


def _statements(client: Client, url: str, data: dict[str, Any] | None = None, *, post: bool = False) -> int:
    send = client.post if post else client.get
    send(url, data or {})  # warm: the session, the host's town and other per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = send(url, data or {})
    assert response.status_code == 200, f"{url}: {response.status_code} {response.content[:300]!r}"
    return len(captured.captured_queries)


def _member_client(route: Route, url: str, query: dict[str, Any]) -> Client:
    """A 2FA-verified member of 中土佐町 in a role of the route's module that the list answers."""
    module = route.module()
    assert module is not None, f"{route}: an API list must declare kyodo_module"
    caller = LIST_CALLERS.get(route.name or "")
    if caller is not None:  # a list of the caller's own rows (requests, the approval inbox)
        return make_client(HOSTS["nakatosa"], Person.objects.get(username=caller))
    for role in sorted(module.roles):
        client = make_client(HOSTS["nakatosa"], make_person(f"lists-{role}-{route.name}"[:60], nakatosa=role))
        if client.get(url, query).status_code == 200:
            return client
    raise AssertionError(f"{route}: no role of the module {module.key} may read it")


def test_the_schema_lists_the_known_api_lists() -> None:
    names = {r.name for r in LIST_ROUTES}
    assert {"api:resident_records:events", "api:koseki:issuances", "api:bcp:drills", "api:audit:events"} <= names


@pytest.mark.parametrize("route", LIST_ROUTES, ids=str)
def test_an_api_list_runs_as_many_statements_for_50_rows_as_for_10(_finance_demo_once: None, route: Route) -> None:
    maker = LIST_ROWS.get(route.name or "")
    assert maker is not None, f"{route} ({route.name}): register a row maker in tests/support/list_rows.py"
    params = maker(55) or {}
    url = route.build(lambda _route, name, _converter: params[name])
    query: dict[str, Any] = {name: QUERY_VALUES[name] for name in REQUIRED_QUERY[route.name or ""]}
    client = _member_client(route, url, query)
    ten = _statements(client, url, {**query, "page_size": 10})
    fifty = _statements(client, url, {**query, "page_size": 50})
    assert len(client.get(url, {**query, "page_size": 50}).json()["results"]) == 50, "the row maker made too few rows"
    assert fifty == ten


# --- The main pages: one member vs six --------------------------------------------------------------------------

SIX = [
    person(),
    person("山田", "花子", "ヤマダ", "ハナコ", birth=date(1982, 8, 12), sex="2", relationship="妻"),
    person("山田", "一郎", "ヤマダ", "イチロウ", birth=date(2012, 4, 3), relationship="子"),
    person("山田", "二郎", "ヤマダ", "ジロウ", birth=date(2014, 6, 5), relationship="子"),
    person("山田", "梅", "ヤマダ", "ウメ", birth=date(1950, 1, 9), sex="2", relationship="母"),
    person("山田", "健", "ヤマダ", "ケン", birth=date(1990, 3, 3), relationship="同居人"),
]


@pytest.fixture
def clerk_client(client_for: Any) -> Client:
    client: Client = client_for("tanaka", "nakatosa")
    session = client.session
    session[RESIDENT_PURPOSE_KEY] = "窓口での本人確認"
    session[KOSEKI_PURPOSE_KEY] = "窓口での本人確認"
    session.save()
    return client


@pytest.fixture
def households() -> tuple[Any, Any]:
    clerk = Person.objects.get(username="tanaka")
    with schema_context("nakatosa"):
        alone = move_in_family(clerk, members=[person("鈴木", "一", "スズキ", "ハジメ")], address="中土佐町久礼 1")
        six = move_in_family(clerk, members=SIX, address="中土佐町久礼 2")
    return alone, six


def test_the_resident_page_does_not_grow_with_the_household(clerk_client: Client, households: tuple[Any, Any]) -> None:
    (_, [alone]), (_, six) = households
    one = _statements(clerk_client, f"/resident_records/residents/{alone.atena_number}/")
    many = _statements(clerk_client, f"/resident_records/residents/{six[0].atena_number}/")
    assert many == one


def test_the_certificate_preview_does_not_grow_with_the_household(
    clerk_client: Client, households: tuple[Any, Any]
) -> None:
    (_, [alone]), (_, six) = households
    session = clerk_client.session
    session[PREVIEW_SESSION_KEY] = {
        str(resident.pk): {
            "kind": "residence_copy",
            "members": [],
            "whole_household": True,
            "head_and_relationship": True,
            "domicile": False,
            "resident_code": False,
            "my_number": False,
            "purpose": "年金の手続",
            "requester_kind": "self",
        }
        for resident in (alone, six[0])
    }
    session.save()
    one = _statements(clerk_client, f"/resident_records/residents/{alone.atena_number}/certificate/preview/")
    many = _statements(clerk_client, f"/resident_records/residents/{six[0].atena_number}/certificate/preview/")
    assert many == one


def test_the_search_runs_as_many_statements_for_six_results_as_for_one(
    clerk_client: Client, households: tuple[Any, Any]
) -> None:
    search = {"purpose": "窓口での本人確認", "query": ""}
    one = _statements(clerk_client, "/resident_records/", search | {"query": "スズキ ハジメ"}, post=True)
    many = _statements(clerk_client, "/resident_records/", search | {"query": "ヤマダ"}, post=True)
    assert many == one


def test_the_koseki_register_page_does_not_grow_with_the_register(clerk_client: Client) -> None:
    with schema_context("nakatosa"):
        single = make_koseki(members=[member("太郎", birth_date=date(1980, 5, 1), given_name_kana="タロウ")])
        family = make_koseki(
            members=[
                member("太郎", birth_date=date(1980, 5, 1), given_name_kana="タロウ", spouse_role="夫"),
                member("花子", birth_date=date(1982, 8, 12), sex="2", given_name_kana="ハナコ", spouse_role="妻"),
                *[
                    member(name, birth_date=date(2006 + i, 4, 3), given_name_kana="コ", relationship="子")
                    for i, name in enumerate(("一郎", "二郎", "三郎", "四郎"))
                ],
            ]
        )
    one = _statements(clerk_client, f"/koseki/registers/{single.public_id}/")
    many = _statements(clerk_client, f"/koseki/registers/{family.public_id}/")
    assert many == one
