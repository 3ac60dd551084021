"""The organisation's admin (組織・配属) for IT staff: a town's own units and postings, added and ended through the
organisation service (effective-dated, audited, never overwritten or deleted)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django_tenants.utils import schema_context

from common.models import AuditEvent
from tenants import organisation
from tenants.models import Municipality, OrgUnit, OrgUnitKind, Posting
from tests.conftest import HOSTS, make_client

pytestmark = pytest.mark.django_db
UNITS = "/admin/tenants/orgunit/"
POSTINGS = "/admin/tenants/posting/"
SINCE = date(2020, 4, 1)


def _town_admin(new_person: Any) -> Any:
    return make_client(HOSTS["nakatosa"], new_person("nk-org-it", nakatosa="it_admin"))


def _unit(schema: str, code: str) -> OrgUnit:
    return organisation.create_unit(
        actor=None,
        municipality=Municipality.objects.get(schema_name=schema),
        code=code,
        name=f"課{code}",
        kind=OrgUnitKind.DIVISION,
        valid_from=SINCE,
    )


def _audited(action: str) -> int:
    with schema_context("public"):  # the council trail
        return AuditEvent.objects.filter(action=action).count()


def test_a_unit_added_in_the_admin_goes_through_the_audited_service(new_person: Any) -> None:
    client = _town_admin(new_person)
    before = _audited("organisation.unit_create")
    response = client.post(
        UNITS + "add/",
        {"code": "T900", "name": "企画課", "name_kana": "", "kind": "division", "sort_order": 0,
         "valid_from": "2026-04-01"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert OrgUnit.objects.get(code="T900").municipality.schema_name == "nakatosa"
    assert _audited("organisation.unit_create") == before + 1


def test_the_list_shows_only_this_towns_units(new_person: Any) -> None:
    _unit("nakatosa", "T901")
    _unit("shimanto", "S901")
    response = _town_admin(new_person).get(UNITS)
    assert {u.municipality.schema_name for u in response.context["cl"].result_list} == {"nakatosa"}


def test_another_towns_unit_cannot_be_opened(new_person: Any) -> None:
    other = _unit("shimanto", "S902")
    response = _town_admin(new_person).get(f"{UNITS}{other.pk}/change/")
    assert response.status_code in {302, 403, 404}
    assert OrgUnit.objects.get(pk=other.pk).valid_to is None


def test_ending_a_unit_sets_only_its_end_date(new_person: Any) -> None:
    unit = _unit("nakatosa", "T902")
    response = _town_admin(new_person).post(
        f"{UNITS}{unit.pk}/change/", {"valid_to": "2027-03-31", "name": "改名してはいけない"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    unit.refresh_from_db()
    assert (unit.valid_to, unit.name) == (date(2027, 3, 31), "課T902")


def test_a_unit_with_a_continuing_posting_is_not_ended(new_person: Any) -> None:
    unit = _unit("nakatosa", "T903")
    organisation.post_person(actor=None, person=new_person("nk-org-staff"), unit=unit, valid_from=SINCE)
    response = _town_admin(new_person).post(f"{UNITS}{unit.pk}/change/", {"valid_to": "2027-03-31"})
    assert response.status_code == 200
    assert OrgUnit.objects.get(pk=unit.pk).valid_to is None


def test_a_posting_is_added_by_staff_id_through_the_service(new_person: Any) -> None:
    unit = _unit("nakatosa", "T904")
    new_person("nk-org-newcomer")
    before = _audited("organisation.post")
    response = _town_admin(new_person).post(
        POSTINGS + "add/",
        {"username": "nk-org-newcomer", "unit": unit.pk, "title": "主事", "is_primary": "on",
         "valid_from": "2026-04-01", "note": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Posting.objects.filter(unit=unit, person__username="nk-org-newcomer").count() == 1
    assert _audited("organisation.post") == before + 1


def test_a_second_primary_posting_is_refused_with_nothing_written(new_person: Any) -> None:
    first, second = _unit("nakatosa", "T905"), _unit("nakatosa", "T906")
    staff = new_person("nk-org-double")
    organisation.post_person(actor=None, person=staff, unit=first, valid_from=SINCE)
    response = _town_admin(new_person).post(
        POSTINGS + "add/",
        {"username": "nk-org-double", "unit": second.pk, "title": "", "is_primary": "on", "valid_from": "2026-04-01",
         "note": ""},
    )  # fmt: skip
    assert response.status_code == 200
    assert not Posting.objects.filter(unit=second).exists()


def test_a_posting_is_never_deleted_in_the_admin(new_person: Any) -> None:
    unit = _unit("nakatosa", "T907")
    posting = organisation.post_person(actor=None, person=new_person("nk-org-stay"), unit=unit, valid_from=SINCE)
    response = _town_admin(new_person).post(f"{POSTINGS}{posting.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Posting.objects.filter(pk=posting.pk).exists()
