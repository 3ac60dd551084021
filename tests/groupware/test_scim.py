"""SCIM 2.0 (read-only): Users and Groups of the town, for an IT staff API token only."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenants import organisation, services
from tenants.models import Municipality, OrgUnitKind
from tests.conftest import HOSTS, person

pytestmark = pytest.mark.django_db
USERS = "/api/v1/directory/scim/v2/Users"
GROUPS = "/api/v1/directory/scim/v2/Groups"


def bearer(username: str, schema: str = "nakatosa") -> Client:
    with schema_context(schema):
        _, raw = services.issue_api_token(
            actor=person(username), municipality=Municipality.objects.get(schema_name=schema), name="scim"
        )
    return Client(HTTP_HOST=HOSTS[schema], HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def jumin(towns: dict[str, Any]) -> Any:
    unit = organisation.create_unit(
        actor=None, municipality=towns["nakatosa"], code="T200", name="町民課", kind=OrgUnitKind.DIVISION,
        valid_from=date(2020, 4, 1),
    )  # fmt: skip
    organisation.post_person(actor=None, person=person("tanaka"), unit=unit, valid_from=date(2020, 4, 1), title="主事")
    return unit


def test_users_lists_the_town_s_staff_with_their_unit(jumin: Any) -> None:
    body = bearer("it_admin").get(USERS, {"filter": 'userName eq "tanaka"'}).json()
    assert body["totalResults"] == 1
    [user] = body["Resources"]
    assert user["displayName"] == "田中 美咲"
    assert user["groups"] == [{"value": "T200", "display": "町民課"}]
    assert user["title"] == "主事"


def test_another_town_s_staff_are_not_users_here(jumin: Any) -> None:
    names = {u["userName"] for u in bearer("it_admin").get(USERS, {"count": 500}).json()["Resources"]}
    assert "tanaka" in names
    assert "sato" not in names  # a teacher of 四万十町 only


def test_groups_carry_their_members(jumin: Any) -> None:
    group = bearer("it_admin").get(f"{GROUPS}/T200").json()
    assert group["displayName"] == "町民課"
    assert [m["value"] for m in group["members"]] == [str(person("tanaka").pk)]


def test_a_clerk_s_token_and_a_browser_session_are_refused(jumin: Any, client_for: Any) -> None:
    assert bearer("tanaka").get(USERS).status_code == 403
    assert client_for("it_admin", "nakatosa").get(USERS).status_code == 403


def test_an_unsupported_filter_is_a_400(jumin: Any) -> None:
    response = bearer("it_admin").get(USERS, {"filter": 'emails co "x"'})
    assert response.status_code == 400
    assert response.json()["code"] == "scim_invalid_filter"
