"""Each town's IT staff manage their own town's memberships in its admin (docs/ARCHITECTURE.md, "Access"); the
council keeps the identities, and no town sees or touches another town's memberships."""

from __future__ import annotations

from datetime import date
from typing import Any

from django_tenants.utils import schema_context

from common.models import AuditEvent
from tenants.models import Membership, Municipality, Person
from tests.conftest import HOSTS, make_client

URL = "/admin/tenants/membership/"


def _town_admin(new_person: Any) -> Any:
    return make_client(HOSTS["nakatosa"], new_person("nk-it", nakatosa="it_admin"))


def test_the_list_shows_only_this_towns_memberships(new_person: Any) -> None:
    client = _town_admin(new_person)
    response = client.get(URL)
    assert response.status_code == 200
    towns = {m.municipality.schema_name for m in response.context["cl"].result_list}
    assert towns == {"nakatosa"}
    assert Membership.objects.filter(municipality__schema_name="shimanto").exists()


def test_a_grant_by_staff_id_is_made_for_this_town_through_the_audited_service(new_person: Any) -> None:
    new_person("nk-newcomer")
    client = _town_admin(new_person)
    with schema_context("public"):  # the council trail
        before = AuditEvent.objects.filter(action="membership.grant").count()
    response = client.post(
        URL + "add/",
        {"username": "nk-newcomer", "role": "clerk", "section": "税務課", "valid_from": "2026-12-01", "note": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    granted = Membership.objects.get(person__username="nk-newcomer")
    assert granted.municipality.schema_name == "nakatosa"
    assert granted.role == "clerk"
    assert granted.valid_from == date(2026, 12, 1)
    with schema_context("public"):
        assert AuditEvent.objects.filter(action="membership.grant").count() == before + 1


def test_an_unknown_staff_id_or_a_council_role_is_refused_in_japanese(new_person: Any) -> None:
    new_person("nk-vendor")
    client = _town_admin(new_person)
    count = Membership.objects.count()
    unknown = client.post(URL + "add/", {"username": "nobody-here", "role": "clerk", "valid_from": "2026-12-01"})
    assert unknown.status_code == 200
    assert "この職員IDは登録されていません" in unknown.content.decode()
    vendor = client.post(URL + "add/", {"username": "nk-vendor", "role": "vendor", "valid_from": "2026-12-01"})
    assert vendor.status_code == 200
    assert "この役割は協議会でのみ付与できます。" in vendor.content.decode()
    assert Membership.objects.count() == count


def test_another_towns_membership_cannot_be_opened_or_changed(new_person: Any) -> None:
    client = _town_admin(new_person)
    theirs = Membership.objects.filter(municipality__schema_name="shimanto").first()
    assert theirs is not None
    assert client.get(f"{URL}{theirs.pk}/change/").status_code in {302, 403, 404}
    response = client.post(f"{URL}{theirs.pk}/change/", {"section": "乗っ取り", "valid_to": "2026-12-31"})
    assert response.status_code in {302, 403, 404}
    theirs.refresh_from_db()
    assert theirs.section != "乗っ取り"


def test_a_town_ends_a_membership_but_never_deletes_one(new_person: Any) -> None:
    person = new_person("nk-leaver", nakatosa="clerk")
    client = _town_admin(new_person)
    membership = Membership.objects.get(person=person)
    page = client.get(f"{URL}{membership.pk}/change/")
    assert page.status_code == 200
    assert client.get(f"{URL}{membership.pk}/delete/").status_code == 403
    response = client.post(
        f"{URL}{membership.pk}/change/",
        {"section": "町民課", "valid_to": "2027-03-31", "note": "年度末で退職"},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.valid_to == date(2027, 3, 31)
    assert membership.role == "clerk"  # who, where and what stay as granted


def test_the_council_still_administers_every_towns_memberships(client_for: Any) -> None:
    client = client_for("it_admin", "council")
    response = client.get(URL)
    assert response.status_code == 200
    towns = {m.municipality.schema_name for m in response.context["cl"].result_list}
    assert {"nakatosa", "shimanto"} <= towns
    assert Municipality.objects.filter(schema_name="council").exists()
    assert Person.objects.filter(username="it_admin").exists()
