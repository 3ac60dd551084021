"""The council admin: people and memberships are managed on the council host, and every change is audited."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import schema_context

from common.models import AuditEvent
from tenants.models import Membership, Municipality, Person


def test_council_it_admin_edits_people_and_memberships_with_audit(client_for: Any) -> None:
    client = client_for("it_admin", "council")
    tanaka = Person.objects.get(username="tanaka")
    page = client.get(f"/admin/tenants/person/{tanaka.pk}/change/")
    assert page.status_code == 200
    assert "町民課 住民係" in page.content.decode()  # the membership inline is shown

    shimanto = Municipality.objects.get(schema_name="shimanto")
    response = client.post(
        "/admin/tenants/membership/add/",
        {
            "person": tanaka.pk,
            "municipality": shimanto.pk,
            "role": "clerk",
            "section": "応援",
            "valid_from": "2026-12-01",
            "valid_to": "2026-12-31",
            "note": "",
            "created_at_0": "2026-11-27",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(person=tanaka, municipality=shimanto)
    assert (membership.section, str(membership.valid_to)) == ("応援", "2026-12-31")
    with schema_context("public"):
        row = AuditEvent.objects.filter(action="admin.add", object_id=str(membership.pk)).get()
    assert row.actor_username == "it_admin"
    assert row.details["model"] == "tenants.Membership"


def test_town_it_admin_sees_only_the_town_models(client_for: Any) -> None:
    client = client_for("it_admin", "nakatosa")
    index = client.get("/admin/").content.decode()
    assert "/admin/common/auditevent/" in index
    # 自治体, 職員ID and tokens live on the council host; 所属 of this town are administered here
    # (docs/ARCHITECTURE.md, "Access").
    for model in ("municipality", "person", "apitoken"):
        assert f"/admin/tenants/{model}/" not in index
    assert "/admin/tenants/membership/" in index
    assert client.get("/admin/tenants/municipality/add/").status_code == 403
