"""Disaster mode (docs/bcp.md §6): declare/end, emergency grants (granted, used, expired, revoked), the banner."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from bcp import disaster as service
from bcp.disaster_tasks import expire_emergency_grants
from bcp.models import Disaster, EmergencyGrant
from common.models import AuditEvent
from tenants.access import active_roles, towns_of
from tenants.models import Membership, Municipality, Person
from tests.conftest import HOSTS, make_client
from tests.support.access import audit_position, audit_since

pytestmark = pytest.mark.django_db

BANNER = "data-bcp-banner"


def person(username: str) -> Person:
    return Person.objects.get(username=username)


def actions(schema: str, position: int) -> list[str]:
    return [e.action for e in audit_since(schema, position)]


@pytest.fixture
def council_admin() -> Person:
    return person("it_admin")


@pytest.fixture
def declared(towns: dict[str, Municipality], council_admin: Person) -> Disaster:
    return service.declare_disaster(
        actor=council_admin, municipality=towns["nakatosa"], title="南海トラフ地震津波", description="庁舎1階浸水"
    )


@pytest.fixture
def helper(new_person: Any) -> Person:
    return new_person("sm-helper", shimanto="clerk")


# --- Declare / end ------------------------------------------------------------------------------------------


def test_declare_writes_the_disaster_and_audits_in_the_council_and_town_trails(
    towns: dict[str, Municipality], council_admin: Person
) -> None:
    positions = {s: audit_position(s) for s in ("public", "nakatosa", "shimanto")}
    disaster = service.declare_disaster(actor=council_admin, municipality=towns["nakatosa"], title=" 津波  警報 ")
    assert disaster.title == "津波 警報"
    assert disaster.is_active
    assert service.active_disaster(towns["nakatosa"]) == disaster
    assert service.active_disaster(towns["shimanto"]) is None
    # The disaster HQ opens with the declaration (docs/domain/disaster-hq.md §1).
    assert actions("public", positions["public"]) == ["bcp.disaster_declare", "bcp.hq_open"]
    assert actions("nakatosa", positions["nakatosa"]) == ["bcp.disaster_declare", "bcp.hq_open"]
    assert actions("shimanto", positions["shimanto"]) == []


def test_a_second_declaration_for_the_same_town_is_refused(declared: Disaster, council_admin: Person) -> None:
    position = audit_position("public")
    with pytest.raises(service.DisasterAlreadyActive):
        service.declare_disaster(actor=council_admin, municipality=declared.municipality, title="二度目")
    assert Disaster.objects.filter(municipality=declared.municipality).count() == 1
    assert actions("public", position) == []


def test_only_council_it_admin_declares(towns: dict[str, Municipality], new_person: Any) -> None:
    town_admin = new_person("nk-admin", nakatosa="it_admin")
    for actor in (town_admin, person("tanaka"), person("vendor"), person("council_staff")):
        with pytest.raises(service.NotCouncilStaff):
            service.declare_disaster(actor=actor, municipality=towns["nakatosa"], title="津波")
    assert not Disaster.objects.exists()


def test_the_council_itself_is_not_a_town(towns: dict[str, Municipality], council_admin: Person) -> None:
    with pytest.raises(service.NotATown):
        service.declare_disaster(actor=council_admin, municipality=towns["council"], title="x")
    with pytest.raises(service.TitleRequired):
        service.declare_disaster(actor=council_admin, municipality=towns["nakatosa"], title="  ")
    assert not Disaster.objects.exists()


def test_end_revokes_every_grant_and_audits(declared: Disaster, council_admin: Person, helper: Person) -> None:
    grant = service.grant_emergency_access(actor=council_admin, disaster=declared, person=helper, role="clerk", hours=8)
    positions = {s: audit_position(s) for s in ("public", "nakatosa")}
    ended = service.end_disaster(actor=council_admin, disaster=declared)
    assert ended.ended_at is not None
    assert ended.ended_by == council_admin
    grant.refresh_from_db()
    assert grant.revoked_at == ended.ended_at
    assert active_roles(helper, declared.municipality) == frozenset()
    assert actions("public", positions["public"]) == ["bcp.emergency_revoke", "bcp.disaster_end"]
    assert actions("nakatosa", positions["nakatosa"]) == ["bcp.emergency_revoke", "bcp.disaster_end"]
    with pytest.raises(service.DisasterEnded):
        service.end_disaster(actor=council_admin, disaster=declared)


# --- Grants ------------------------------------------------------------------------------------------------


def test_grant_creates_an_emergency_membership_with_access_until_the_minute(
    declared: Disaster, council_admin: Person, helper: Person
) -> None:
    town = declared.municipality
    assert active_roles(helper, town) == frozenset()
    positions = {s: audit_position(s) for s in ("public", "nakatosa", "shimanto")}
    grant = service.grant_emergency_access(actor=council_admin, disaster=declared, person=helper, role="clerk", hours=3)

    membership = grant.membership
    assert membership.is_emergency
    assert membership.person == helper
    assert membership.municipality == town
    assert membership.valid_to == timezone.localdate(grant.expires_at)
    assert abs((grant.expires_at - timezone.now()) - timedelta(hours=3)) < timedelta(minutes=1)
    assert active_roles(helper, town) == frozenset({"clerk"})
    assert town in towns_of(helper)
    assert actions("public", positions["public"]) == ["membership.grant", "bcp.emergency_grant"]
    assert actions("nakatosa", positions["nakatosa"]) == ["bcp.emergency_grant"]
    assert actions("shimanto", positions["shimanto"]) == []

    # To the minute: one minute before expiry the role holds, at expiry it is gone (the date still covers today).
    EmergencyGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + timedelta(minutes=1))
    assert active_roles(helper, town) == frozenset({"clerk"})
    EmergencyGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Membership.objects.active().filter(pk=membership.pk).exists(), "still in force by date"
    assert active_roles(helper, town) == frozenset()
    assert town not in towns_of(helper)
    assert active_roles(helper, Municipality.objects.get(schema_name="shimanto")) == frozenset({"clerk"})


def test_an_expired_grant_refuses_the_browser(declared: Disaster, council_admin: Person, helper: Person) -> None:
    grant = service.grant_emergency_access(actor=council_admin, disaster=declared, person=helper, role="clerk", hours=1)
    client = make_client(HOSTS["nakatosa"], helper)
    assert client.get("/").status_code == 200
    EmergencyGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = make_client(HOSTS["nakatosa"], helper).get("/")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("username_roles", "role", "error"),
    [
        ({}, "clerk", service.NoHomeMembership),  # holds nothing anywhere
        ({"shimanto": "teacher"}, "clerk", service.NoHomeMembership),  # a teacher is not lent as a clerk
        ({"shimanto": "teacher"}, "teacher", service.RoleNotGrantable),
        ({"shimanto": "auditor"}, "auditor", service.RoleNotGrantable),
        ({"nakatosa": "clerk"}, "clerk", service.NoHomeMembership),  # staff of the stricken town itself
    ],
)
def test_who_cannot_be_granted(
    declared: Disaster, council_admin: Person, new_person: Any, username_roles: dict[str, str], role: str, error: type
) -> None:
    candidate = new_person("cand", **username_roles)
    positions = {s: audit_position(s) for s in ("public", "nakatosa")}
    memberships = Membership.objects.count()
    with pytest.raises(error):
        service.grant_emergency_access(actor=council_admin, disaster=declared, person=candidate, role=role, hours=2)
    assert Membership.objects.count() == memberships
    assert not EmergencyGrant.objects.exists()
    assert actions("public", positions["public"]) == []
    assert actions("nakatosa", positions["nakatosa"]) == []


def test_vendor_and_council_staff_cannot_be_granted(declared: Disaster, council_admin: Person) -> None:
    for username in ("vendor", "council_staff", "sato"):
        with pytest.raises(service.NoHomeMembership):
            service.grant_emergency_access(
                actor=council_admin, disaster=declared, person=person(username), role="clerk", hours=2
            )
    assert person("sato") not in service.candidate_people(disaster=declared)
    assert person("vendor") not in service.candidate_people(disaster=declared)
    assert person("yamamoto") in service.candidate_people(disaster=declared)


def test_an_existing_member_and_a_same_day_regrant_are_refused(
    declared: Disaster, council_admin: Person, helper: Person
) -> None:
    # yamamoto already is a clerk of 中土佐町: a grant would rewrite his ordinary membership.
    with pytest.raises(service.AlreadyMember):
        service.grant_emergency_access(
            actor=council_admin, disaster=declared, person=person("yamamoto"), role="clerk", hours=2
        )
    grant = service.grant_emergency_access(actor=council_admin, disaster=declared, person=helper, role="clerk", hours=2)
    # A grant of an earlier day still running: no second, overlapping grant.
    Membership.objects.filter(pk=grant.membership_id).update(valid_from=timezone.localdate() - timedelta(days=1))
    with pytest.raises(service.AlreadyGranted):
        service.grant_emergency_access(actor=council_admin, disaster=declared, person=helper, role="clerk", hours=2)
    Membership.objects.filter(pk=grant.membership_id).update(valid_from=timezone.localdate())
    service.revoke_emergency_access(actor=council_admin, grant=grant)
    with pytest.raises(service.GrantSameDay):
        service.grant_emergency_access(actor=council_admin, disaster=declared, person=helper, role="clerk", hours=2)
    with pytest.raises(service.InvalidHours):
        service.grant_emergency_access(actor=council_admin, disaster=declared, person=helper, role="clerk", hours=0)
    assert EmergencyGrant.objects.count() == 1


def test_grants_need_an_open_disaster_and_council_staff(
    declared: Disaster, council_admin: Person, helper: Person
) -> None:
    with pytest.raises(service.NotCouncilStaff):
        service.grant_emergency_access(actor=person("tanaka"), disaster=declared, person=helper, role="clerk", hours=2)
    service.end_disaster(actor=council_admin, disaster=declared)
    with pytest.raises(service.DisasterEnded):
        service.grant_emergency_access(actor=council_admin, disaster=declared, person=helper, role="clerk", hours=2)
    assert not EmergencyGrant.objects.exists()


def test_revoke_stops_access_now_and_audits_both_trails(
    declared: Disaster, council_admin: Person, helper: Person
) -> None:
    grant = service.grant_emergency_access(actor=council_admin, disaster=declared, person=helper, role="clerk", hours=5)
    positions = {s: audit_position(s) for s in ("public", "nakatosa")}
    service.revoke_emergency_access(actor=council_admin, grant=grant, reason="応援終了")
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert active_roles(helper, declared.municipality) == frozenset()
    assert actions("public", positions["public"]) == ["bcp.emergency_revoke"]
    assert actions("nakatosa", positions["nakatosa"]) == ["bcp.emergency_revoke"]
    with pytest.raises(service.GrantNotActive):
        service.revoke_emergency_access(actor=council_admin, grant=grant)


def test_expiry_task_records_each_grant_once_and_ends_the_membership(
    declared: Disaster, council_admin: Person, helper: Person, new_person: Any
) -> None:
    other = new_person("sm-other", shimanto="clerk")
    expired = service.grant_emergency_access(
        actor=council_admin, disaster=declared, person=helper, role="clerk", hours=48
    )
    running = service.grant_emergency_access(
        actor=council_admin, disaster=declared, person=other, role="clerk", hours=2
    )
    EmergencyGrant.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    positions = {s: audit_position(s) for s in ("public", "nakatosa")}

    with schema_context("shimanto"):  # whatever tenant the beat runs in, the task works on the public schema
        assert expire_emergency_grants() == 1
    assert expire_emergency_grants() == 0

    expired.refresh_from_db()
    running.refresh_from_db()
    assert expired.expiry_logged_at is not None
    assert running.expiry_logged_at is None
    membership = Membership.objects.get(pk=expired.membership_id)
    assert membership.valid_to == timezone.localdate(expired.expires_at)
    assert actions("public", positions["public"]) == ["bcp.emergency_expired"]
    assert actions("nakatosa", positions["nakatosa"]) == ["bcp.emergency_expired"]


def test_use_is_recorded_once_per_session_and_hour(declared: Disaster, council_admin: Person, helper: Person) -> None:
    grant = service.grant_emergency_access(actor=council_admin, disaster=declared, person=helper, role="clerk", hours=2)
    client = make_client(HOSTS["nakatosa"], helper)
    position = audit_position("nakatosa")
    for _ in range(3):
        assert client.get("/").status_code == 200
    uses = [e for e in audit_since("nakatosa", position) if e.action == "bcp.emergency_use"]
    assert len(uses) == 1
    assert uses[0].actor_username == helper.username
    grant.refresh_from_db()
    assert grant.first_used_at is not None
    assert grant.last_used_at is not None
    # A member who is not an emergency member leaves no such row.
    position = audit_position("nakatosa")
    make_client(HOSTS["nakatosa"], person("tanaka")).get("/")
    assert "bcp.emergency_use" not in actions("nakatosa", position)
    with schema_context("shimanto"):
        assert not AuditEvent.objects.filter(action="bcp.emergency_use").exists()


def test_api_use_is_recorded_once_per_person_and_hour(
    declared: Disaster, council_admin: Person, helper: Person
) -> None:
    from django.test import Client

    from tenants.services import issue_api_token

    service.grant_emergency_access(actor=council_admin, disaster=declared, person=helper, role="clerk", hours=2)
    _, raw = issue_api_token(actor=helper, municipality=declared.municipality, name="応援")
    position = audit_position("nakatosa")
    for _ in range(3):
        response = Client(HTTP_HOST=HOSTS["nakatosa"]).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.status_code == 200, response.content
    uses = [e for e in audit_since("nakatosa", position) if e.action == "bcp.emergency_use"]
    assert len(uses) == 1
    assert uses[0].actor_username == helper.username


def test_api_use_by_an_emergency_member_is_served_and_recorded_while_redis_is_down(
    declared: Disaster, council_admin: Person, helper: Person, monkeypatch: Any, tmp_path: Any
) -> None:
    """docs/domain/bcp-reliability.md §3: the once-per-hour check lives in Redis; without it the call is served and
    the use recorded."""
    from django.core.cache.backends.redis import RedisCache
    from django.test import Client
    from rest_framework.throttling import SimpleRateThrottle

    from tenants.services import issue_api_token
    from tests.support.processes import ThrowawayRedis

    service.grant_emergency_access(actor=council_admin, disaster=declared, person=helper, role="clerk", hours=2)
    _, raw = issue_api_token(actor=helper, municipality=declared.municipality, name="応援")
    redis = ThrowawayRedis(tmp_path / "redis")
    dead = RedisCache(redis.url, {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}})
    redis.kill()
    monkeypatch.setattr(service, "cache", dead)
    monkeypatch.setattr(SimpleRateThrottle, "cache", dead)
    position = audit_position("nakatosa")

    response = Client(HTTP_HOST=HOSTS["nakatosa"]).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200, response.content
    uses = [e for e in audit_since("nakatosa", position) if e.action == "bcp.emergency_use"]
    assert [e.actor_username for e in uses] == [helper.username]


# --- Banner -------------------------------------------------------------------------------------------------


def test_banner_on_every_page_of_the_town_in_disaster_only(declared: Disaster, client_for: Any) -> None:
    from django.test import Client

    nakatosa_pages = [
        Client(HTTP_HOST=HOSTS["nakatosa"]).get("/accounts/login/"),
        client_for("tanaka", "nakatosa").get("/"),
        client_for("tanaka", "nakatosa").get("/resident_records/"),
        client_for("it_admin", "nakatosa").get("/bcp/"),
        client_for("tanaka", "nakatosa").get("/bcp/"),  # the refusal page too
        client_for("it_admin", "nakatosa").get("/admin/"),  # Django's admin (common/templates/admin/base_site.html)
    ]
    for response in nakatosa_pages:
        page = response.content.decode()
        assert BANNER in page, response.status_code
        assert "南海トラフ地震津波" in page, response.status_code
    for response in (
        Client(HTTP_HOST=HOSTS["shimanto"]).get("/accounts/login/"),
        client_for("yamamoto", "shimanto").get("/"),
    ):
        assert BANNER not in response.content.decode()
    council = client_for("it_admin", "council").get("/").content.decode()
    assert BANNER in council
    assert "中土佐町" in council


def test_no_banner_once_ended(declared: Disaster, council_admin: Person, client_for: Any) -> None:
    service.end_disaster(actor=council_admin, disaster=declared)
    assert BANNER not in client_for("tanaka", "nakatosa").get("/").content.decode()


def test_emergency_member_sees_the_expiry_in_the_banner(
    declared: Disaster, council_admin: Person, helper: Person
) -> None:
    service.grant_emergency_access(actor=council_admin, disaster=declared, person=helper, role="clerk", hours=2)
    page = make_client(HOSTS["nakatosa"], helper).get("/").content.decode()
    assert "緊急応援として" in page


# --- Pages --------------------------------------------------------------------------------------------------


def test_declare_grant_revoke_end_through_the_pages(
    towns: dict[str, Municipality], client_for: Any, helper: Person
) -> None:
    client = client_for("it_admin", "council")
    response = client.post("/bcp/disasters/declare/", {"municipality": towns["nakatosa"].pk, "title": ""})
    assert response.status_code == 200
    assert "災害名を入力してください。" in response.content.decode()
    response = client.post("/bcp/disasters/declare/", {"municipality": towns["council"].pk, "title": "x"})
    assert "対象の町を選択してください。" in response.content.decode()
    assert not Disaster.objects.exists()

    response = client.post("/bcp/disasters/declare/", {"municipality": towns["nakatosa"].pk, "title": "津波"})
    disaster = Disaster.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/bcp/disasters/{disaster.pk}/"
    response = client.post("/bcp/disasters/declare/", {"municipality": towns["nakatosa"].pk, "title": "二度目"})
    assert "既に災害モードが宣言されています" in response.content.decode()

    grant_url = f"/bcp/disasters/{disaster.pk}/grant/"
    page = client.get(grant_url).content.decode()
    assert helper.username in page
    assert "(sato)" not in page
    assert "(tanaka)" not in page
    response = client.post(grant_url, {"person": person("sato").pk, "role": "clerk", "hours": 4})
    assert "職員を選択してください。" in response.content.decode()
    response = client.post(grant_url, {"person": helper.pk, "role": "clerk", "hours": 500})
    assert "有効時間は 1〜72 時間で指定してください。" in response.content.decode()
    response = client.post(grant_url, {"person": person("yamamoto").pk, "role": "clerk", "hours": 4})
    assert "既にこの町で同じ役割の所属を持っています" in response.content.decode()
    assert not EmergencyGrant.objects.exists()

    client.post(grant_url, {"person": helper.pk, "role": "clerk", "hours": 4})
    grant = EmergencyGrant.objects.get()
    assert helper.username in client.get(f"/bcp/disasters/{disaster.pk}/").content.decode()
    client.post(f"/bcp/grants/{grant.pk}/revoke/", {"reason": "交代"})
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    response = client.post(f"/bcp/grants/{grant.pk}/revoke/", {"reason": ""})
    assert "既に取り消されたか" in response.content.decode()

    client.post(f"/bcp/disasters/{disaster.pk}/end/")
    disaster.refresh_from_db()
    assert disaster.ended_at is not None


def test_a_town_host_sees_only_its_own_disasters(declared: Disaster, client_for: Any) -> None:
    assert client_for("it_admin", "nakatosa").get(f"/bcp/disasters/{declared.pk}/").status_code == 200
    assert client_for("it_admin", "shimanto").get(f"/bcp/disasters/{declared.pk}/").status_code == 404
    assert "南海トラフ" not in client_for("it_admin", "shimanto").get("/bcp/disasters/").content.decode()
    # Readers are sent back, and nothing is written.
    response = client_for("it_admin", "nakatosa").post(f"/bcp/disasters/{declared.pk}/end/")
    assert response.status_code == 302
    assert response["Location"] == "/bcp/"
    declared.refresh_from_db()
    assert declared.ended_at is None
