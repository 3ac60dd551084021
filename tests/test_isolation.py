"""Tenant isolation, for every route of config.urls (non-negotiable 3: tests prove it for every route).

The routes are discovered from the URL resolver (tests.support.routes), so a route added later is covered
here without editing this file: anonymous visitors, members of another town, members with the wrong role
and tokens of another town are refused, and nothing of 中土佐町 (nakatosa) changes while they try.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django_tenants.utils import schema_context
from rest_framework.request import Request

from common import audit
from common.middleware import SESSION_ACTIVE_AT_KEY
from common.models import AuditEvent
from common.rest import TenantAnonRateThrottle, TenantUserRateThrottle
from tenants import services
from tenants.api_auth import IsActiveMember
from tenants.models import ApiToken, Membership, Municipality, OrgUnit, Person, Posting, Role
from tests.conftest import HOSTS, make_client
from tests.support.access import (
    ALL_METHODS,
    api_headers,
    assert_api_refusal,
    assert_module_refused,
    assert_no_membership_page,
    assert_redirects_to_login,
    audit_position,
    audit_since,
    data_snapshot,
    is_same_host_redirect,
    templates_of,
)
from tests.support.people import make_person, module_transaction, session_client, verified_session
from tests.support.routes import Route, all_routes

pytestmark = pytest.mark.django_db

ROUTES = all_routes()
API_ROUTES = [r for r in ROUTES if r.is_api]
MODULE_ROUTES = [r for r in ROUTES if r.module() is not None]

# Reachable without logging in. Adding a name here is a conscious decision, reviewed like any access rule.
# Not public, on purpose: /admin/login/ (our middleware sends anonymous visitors to the one login page,
# and KyodoAdminSite.login redirects there too) and the otp_webauthn ceremonies (passwordless login is
# off, so every ceremony needs a logged-in member of the town).
EXPECTED_PUBLIC = {
    "healthz",  # load balancer probe; answers even for a suspended town
    "brand_css",  # the town colour, needed by the login page
    "set_language",
    "accounts:login",
    "accounts:logout",  # a session left at a town whose membership ended must still be able to leave
    "calendar_feed:feed",  # the secret, revocable iCalendar feed token is the credential (docs/domain/groupware.md §2)
    "accounts:switch_arrive",  # the random, single-use, session-bound switch ticket is the credential
    "verify:form",  # anyone holding a certificate checks it is genuine (no personal data shown)
    "verify:result",
    "devices:camera_reading",  # a river camera's device token is the credential (docs/domain/disaster-hq.md §5)
}
# Public for the access pipeline because another credential than a membership guards them (a device token):
# without it they must refuse (401/403; 405 for a GET), never answer 2xx or redirect.
TOKEN_GUARDED_PUBLIC = {"devices:camera_reading"}

# Audit rows a refused request may leave behind: refusals, and the intruder ending its own session.
HARMLESS_AUDIT_ACTIONS = {"auth.login_refused", "auth.otp_failed", "auth.logout"}


def _ids(routes: list[Route]) -> list[str]:
    return [str(r) for r in routes]


@dataclass(frozen=True)
class ForeignObjects:
    """Rows that belong to 四万十町 (shimanto), used as ids in URLs requested on 中土佐町's host."""

    ids: dict[type, int]
    token_pk: int
    content_type_id: int

    def value(self, route: Route, name: str, converter: str) -> str:
        if converter == "slug":
            return "nakatosa"
        if name == "content_type_id":
            return str(self.content_type_id)
        if route.name == "admin:view_on_site":
            return str(self.ids[Municipality])
        model = admin_model(route)
        if model is not None and name in {"object_id", "id"}:
            return str(self.ids.get(model, 1))
        if name == "pk":
            return str(self.token_pk)
        return "1"


def admin_model(route: Route) -> type | None:
    """The model an admin route belongs to, from its URL prefix admin/<app_label>/<model_name>/."""
    if "admin" not in route.namespaces:
        return None
    for model in admin.site._registry:
        if route.route.startswith(f"admin/{model._meta.app_label}/{model._meta.model_name}/"):
            return model
    return None


def is_council_model(model: type | None) -> bool:
    """Council-level data lives in the public schema: the models of apps that are not town apps."""
    return model is not None and model._meta.app_label not in settings.TENANT_APPS


def is_town_scoped_council_model(model: type | None) -> bool:
    """Memberships live in public but a town's IT staff administer their own town's (docs/ARCHITECTURE.md, "Access");
    so do the organisation's units and postings (tenants/admin_organisation.py)."""
    return model in {Membership, OrgUnit, Posting}


@dataclass(frozen=True)
class World:
    """People and sessions shared by this module's tests (see tests.support.people.module_transaction)."""

    intruder_session: str  # a fully verified member of 四万十町 only
    role_sessions: dict[str, str]  # a verified member of 中土佐町 holding just that role
    shimanto_token: str  # issued at 四万十町 to a person who is a member of both towns
    foreign: ForeignObjects
    # 中土佐町's data as every test starts: each test is rolled back, so all start from this state, and a test
    # compares the state it leaves with this one snapshot instead of taking its own (data_snapshot reads every table).
    nakatosa_before: dict[str, tuple[int, str]]


def _build_world() -> World:
    shimanto = Municipality.objects.get(schema_name="shimanto")
    intruder = make_person("iso-intruder", shimanto="clerk")
    with schema_context("shimanto"):
        token, _ = services.issue_api_token(actor=intruder, municipality=shimanto, name="shimanto token")
        event = audit.record(actor=intruder, action="test.shimanto_only")
        both = make_person("iso-two-towns", nakatosa="auditor", shimanto="auditor")
        _, raw = services.issue_api_token(actor=both, municipality=shimanto, name="shimanto")
    foreign = ForeignObjects(
        ids={
            Municipality: shimanto.pk,
            Person: intruder.pk,
            Membership: Membership.objects.get(person=intruder, municipality=shimanto).pk,
            ApiToken: token.pk,
            AuditEvent: event.pk,
        },
        token_pk=token.pk,
        content_type_id=ContentType.objects.get_for_model(Municipality).pk,
    )
    return World(
        intruder_session=_quiet_session(intruder),
        role_sessions={role: _quiet_session(make_person(f"iso-role-{role}", nakatosa=role)) for role in Role.values},
        shimanto_token=raw,
        foreign=foreign,
        nakatosa_before=data_snapshot("nakatosa"),
    )


def _quiet_session(person: Person) -> str:
    """A verified session whose activity stamp (common.middleware.SessionMiddleware) lies ahead, so that the sweep's
    requests do not write the session row back on every request: each such write would be rolled back with its
    test anyway. The stamp only decides when the session is saved; no access rule reads it."""
    key = verified_session(person)
    session = SessionStore(session_key=key)
    session[SESSION_ACTIVE_AT_KEY] = int(time.time()) + 24 * 3600
    session.save()
    return key


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with module_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            built = _build_world()
        yield built


@pytest.fixture
def foreign(world: World, db: Any) -> ForeignObjects:
    return world.foreign


def request(client: Client, method: str, route: Route, path: str) -> Any:
    headers = api_headers(route) if route.is_api else {}
    return getattr(client, method)(path, **headers)


# --- The route list itself ----------------------------------------------------------------------------


def test_the_enumerator_finds_every_kind_of_route() -> None:
    names = {r.name for r in ROUTES}
    assert {"home", "accounts:login", "audit:events", "admin:index", "api:me", "api:audit:events"} <= names
    assert any(r.params() for r in ROUTES), "parametrised routes must be part of the suite"
    assert {r.module().key for r in MODULE_ROUTES} >= {"audit", "admin"}  # type: ignore[union-attr]


def test_public_routes_are_exactly_the_expected_ones() -> None:
    public = {r.name for r in ROUTES if r.is_public}
    assert public == EXPECTED_PUBLIC


def test_webauthn_ceremonies_need_a_logged_in_member() -> None:
    assert settings.OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is False
    webauthn = [r for r in ROUTES if "otp_webauthn" in r.namespaces]
    assert webauthn, "django-otp-webauthn routes are mounted"
    assert not any(r.is_public for r in webauthn)


def test_the_snapshot_sees_every_kind_of_change(world: World, db: Any) -> None:
    """data_snapshot, which the refusal tests compare with world.nakatosa_before, notices updates, inserts and
    deletes, in the town's schema and in the council tables."""
    assert data_snapshot("nakatosa") == world.nakatosa_before
    with connection.cursor() as cursor:
        cursor.execute('UPDATE "nakatosa"."django_migrations" SET name = name || %s WHERE id = 1', ["x"])
        updated = data_snapshot("nakatosa")
        cursor.execute('DELETE FROM "nakatosa"."django_migrations" WHERE id = 1')
        deleted = data_snapshot("nakatosa")
    changed = {name for name, digest in updated.items() if digest != world.nakatosa_before[name]}
    assert changed == {"nakatosa.django_migrations"}
    assert deleted["nakatosa.django_migrations"][0] == world.nakatosa_before["nakatosa.django_migrations"][0] - 1
    make_person("iso-snapshot-probe")
    assert data_snapshot("nakatosa")["public.tenants_person"] != world.nakatosa_before["public.tenants_person"]


# --- a. Anonymous ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=_ids(ROUTES))
def test_anonymous_is_sent_to_login_or_refused(route: Route, foreign: ForeignObjects) -> None:
    client = Client(HTTP_HOST=HOSTS["nakatosa"])
    path = route.build(foreign.value)
    for method in ("get", "post"):
        response = request(client, method, route, path)
        if route.is_api:
            assert_api_refusal(route, response, 401, "not_authenticated")
        elif route.name in TOKEN_GUARDED_PUBLIC:
            assert response.status_code in {401, 403, 405}, (method, response.status_code)
        elif route.is_public:
            assert response.status_code in {200, 302, 405}, (method, response.status_code)
            assert response.status_code != 302 or is_same_host_redirect(response), response["Location"]
        else:
            assert_redirects_to_login(response, path)


# --- b. A member of another town ------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=_ids(ROUTES))
def test_member_of_another_town_is_refused_and_nothing_changes(route: Route, world: World, db: Any) -> None:
    client = session_client(HOSTS["nakatosa"], world.intruder_session)
    path = route.build(world.foreign.value)
    positions = {schema: audit_position(schema) for schema in ("nakatosa", "public")}

    for method in ALL_METHODS:
        response = request(client, method, route, path)
        assert response.status_code not in range(200, 300) or route.is_public, (method, response.status_code)
        if route.is_api:
            assert_api_refusal(route, response, 403, "permission_denied")
        elif route.name in TOKEN_GUARDED_PUBLIC:
            assert response.status_code in {401, 403, 405}, (method, response.status_code)
        elif route.is_public:
            _assert_public_response_grants_nothing(client, response)
        else:
            assert_no_membership_page(response)

    assert data_snapshot("nakatosa") == world.nakatosa_before
    for schema, position in positions.items():
        for event in audit_since(schema, position):
            assert event.action in HARMLESS_AUDIT_ACTIONS, (schema, event.action)


def _assert_public_response_grants_nothing(client: Client, response: Any) -> None:
    """A public page may answer, but whatever it redirects to still refuses the intruder."""
    assert response.status_code in {200, 302, 405}, response.status_code
    if response.status_code != 302:
        return
    assert is_same_host_redirect(response), response["Location"]
    target = client.get(response["Location"])
    if "accounts/login.html" in templates_of(target) or target.status_code == 302:
        return  # the login page, or a redirect to it: the intruder is (still) not let in
    assert_no_membership_page(target)


def test_other_town_member_cannot_log_in_with_the_right_password(new_person: Any, demo_password: str) -> None:
    intruder = new_person("intruder", shimanto="clerk")
    client = Client(HTTP_HOST=HOSTS["nakatosa"])
    position = audit_position("nakatosa")
    response = client.post("/accounts/login/", {"username": "intruder", "password": demo_password})
    assert response.status_code == 200
    assert "中土佐町での利用権限(所属)がありません" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert [e.action for e in audit_since("nakatosa", position)] == ["auth.login_refused"]
    assert_no_membership_page(make_client(HOSTS["nakatosa"], intruder).get("/"))


def test_a_member_of_both_towns_cannot_revoke_the_other_towns_token_from_here(
    new_person: Any, towns: dict[str, Municipality]
) -> None:
    person = new_person("both", nakatosa="clerk", shimanto="clerk")
    with schema_context("shimanto"):
        token, raw = services.issue_api_token(actor=person, municipality=towns["shimanto"], name="四万十町用")
    response = make_client(HOSTS["nakatosa"], person).post(f"/accounts/security/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/security/"
    token.refresh_from_db()
    assert token.revoked_at is None
    assert Client(HTTP_HOST=HOSTS["shimanto"]).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_token_lists_and_pages_show_only_this_towns_tokens(new_person: Any, towns: dict[str, Municipality]) -> None:
    person = new_person("both", nakatosa="clerk", shimanto="clerk")
    for schema in ("nakatosa", "shimanto"):
        with schema_context(schema):
            services.issue_api_token(actor=person, municipality=towns[schema], name=f"{schema}-token")
    client = make_client(HOSTS["nakatosa"], person)
    assert [t["name"] for t in client.get("/api/v1/tokens/").json()] == ["nakatosa-token"]
    page = client.get("/accounts/security/").content.decode()
    assert "nakatosa-token" in page
    assert "shimanto-token" not in page


def test_audit_page_shows_only_this_towns_trail(client_for: Any, foreign: ForeignObjects) -> None:
    with schema_context("nakatosa"):
        audit.record(actor=None, action="test.nakatosa_only")
    response = client_for("auditor", "nakatosa").get("/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "test.nakatosa_only" in page
    assert "test.shimanto_only" not in page
    assert {event.trail for event in response.context["events"]} == {"nakatosa"}


# --- c. Roles -------------------------------------------------------------------------------------------

# 403s that the admin itself decides for an allowed it_admin (object-level rules, not the module gate).
ADMIN_REFUSES_BY_DESIGN = {
    "admin:common_auditevent_add",  # the audit trail is append-only
    "admin:common_auditevent_delete",
    "admin:common_townsetting_delete",  # a per-town setting is never deleted: a new value gets its 施行日
    "admin:water_billing_tariff_delete",  # a tariff version is never deleted: a revision is a new version
    "admin:autocomplete",  # needs app_label/model_name/field_name of a field the admin may search
}


@pytest.mark.parametrize("route", MODULE_ROUTES, ids=_ids(MODULE_ROUTES))
def test_module_routes_follow_the_role_matrix(route: Route, world: World, db: Any) -> None:
    role_clients = {role: session_client(HOSTS["nakatosa"], key) for role, key in world.role_sessions.items()}
    path = route.build(world.foreign.value)
    module = route.module(route.resolve(path))
    assert module is not None, "module_for and kyodo_module agree"
    assert module == route.module(), "module_for and kyodo_module agree"
    refused = [role for role in Role.values if role not in module.roles]
    allowed = [role for role in Role.values if role in module.roles]
    assert refused
    assert allowed

    # The module gate runs before the view, whatever the method: every refused role tries the unsafe
    # request, one of them also the page (the other town's member tries every method above).
    assert_module_refused(route, request(role_clients[refused[0]], "get", route, path))
    for role in refused:
        assert_module_refused(route, request(role_clients[role], "post", route, path))
    assert data_snapshot("nakatosa") == world.nakatosa_before

    for role in allowed:
        response = request(role_clients[role], "get", route, path)
        if response.status_code == 403 and any(name.endswith("/clerk_only.html") for name in templates_of(response)):
            # A write page of the register: the module lets auditors in to read, the view refuses them.
            assert role != Role.CLERK
            continue
        if response.status_code == 403 and route.is_api and role != Role.CLERK:
            # An API narrower than its module (e.g. the register's bulk export, closed to the 支援措置責任者):
            # the view's own role check answers with its own message, never the gate's generic one.
            refusal = response.json()
            assert refusal["code"] == "permission_denied", refusal
            assert refusal["message"] != IsActiveMember.message, refusal
            continue
        _assert_let_through(route, role_clients[role], response)


def _assert_let_through(route: Route, client: Client, response: Any) -> None:
    gate_pages = {"shell/forbidden.html", "shell/no_membership.html"}
    assert not gate_pages & templates_of(response), templates_of(response)
    model = admin_model(route)
    if is_town_scoped_council_model(model) and "object_id" in route.route:
        # The sweep's id is no membership of this town: refused, or "not found" (a redirect to the index).
        assert response.status_code in {302, 403, 404}, response.status_code
        if response.status_code == 302:
            assert is_same_host_redirect(response), response["Location"]
        return
    if (is_council_model(model) and not is_town_scoped_council_model(model)) or route.name in ADMIN_REFUSES_BY_DESIGN:
        # Council-level models are administered on the council host only (see the admin tests below);
        # the admin's own bare "<id>/" route merely redirects to the change page, which refuses.
        if response.status_code == 302 and is_same_host_redirect(response):
            response = client.get(response["Location"])
        assert response.status_code == 403, response.status_code
        assert "403.html" in templates_of(response)
        return
    if response.status_code == 400 and route.is_api:
        # Let through the gate and stopped by the view's own input check (e.g. a required 利用目的).
        assert response.json()["code"] == "validation_error", response.json()
        return
    assert response.status_code in {200, 301, 302, 404, 405}, response.status_code
    if response.status_code in {301, 302}:
        assert is_same_host_redirect(response), response["Location"]


# --- d. A token of another town -------------------------------------------------------------------------


def test_a_token_works_in_its_own_town(world: World, db: Any) -> None:
    response = Client(HTTP_HOST=HOSTS["shimanto"]).get(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {world.shimanto_token}"
    )
    assert response.status_code == 200
    assert response.json()["auth"] == "token"
    assert response.json()["municipality"] == "四万十町"


@pytest.mark.parametrize("route", API_ROUTES, ids=_ids(API_ROUTES))
def test_token_of_another_town_is_invalid(route: Route, world: World, db: Any) -> None:
    client = Client(HTTP_HOST=HOSTS["nakatosa"], HTTP_AUTHORIZATION=f"Bearer {world.shimanto_token}")
    path = route.build(world.foreign.value)
    for method in ("get", "post"):
        assert_api_refusal(route, request(client, method, route, path), 401, "invalid_token")
    assert data_snapshot("nakatosa") == world.nakatosa_before


# --- e. Cache and throttling ----------------------------------------------------------------------------


def _drf_request(host: str, tenant: Municipality, user: Any) -> Request:
    django_request = RequestFactory().get("/api/v1/me/", HTTP_HOST=host, REMOTE_ADDR="192.0.2.10")
    django_request.tenant = tenant  # type: ignore[attr-defined]
    drf_request = Request(django_request)
    drf_request.user = user
    return drf_request


def test_throttle_buckets_are_per_town(towns: dict[str, Municipality]) -> None:
    from django.contrib.auth.models import AnonymousUser

    person = Person.objects.get(username="yamamoto")  # member of both towns
    keys = {
        schema: TenantUserRateThrottle().get_cache_key(_drf_request(HOSTS[schema], towns[schema], person), None)
        for schema in ("nakatosa", "shimanto")
    }
    assert keys["nakatosa"] != keys["shimanto"]
    assert keys["nakatosa"].startswith("nakatosa:")
    assert keys["shimanto"].startswith("shimanto:")

    anonymous = {
        schema: TenantAnonRateThrottle().get_cache_key(
            _drf_request(HOSTS[schema], towns[schema], AnonymousUser()), None
        )
        for schema in ("nakatosa", "shimanto")
    }
    assert anonymous["nakatosa"] != anonymous["shimanto"]
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "common.rest.TenantUserRateThrottle",
        "common.rest.TenantAnonRateThrottle",
    ]


def test_cache_keys_carry_the_schema(towns: dict[str, Municipality]) -> None:
    assert settings.CACHES["default"]["KEY_FUNCTION"] == "django_tenants.cache.make_key"
    key = f"isolation-probe-{uuid.uuid4().hex}"
    try:
        connection.set_tenant(towns["nakatosa"])
        cache.set(key, "中土佐町のデータ", 30)
        assert cache.get(key) == "中土佐町のデータ"
        connection.set_tenant(towns["shimanto"])
        assert cache.get(key) is None, "another town must not read this town's cache entry"
    finally:
        connection.set_tenant(towns["nakatosa"])
        cache.delete(key)


# --- f. The admin ---------------------------------------------------------------------------------------

COUNCIL_CHANGELISTS = [
    "/admin/tenants/municipality/",
    "/admin/tenants/person/",
    "/admin/tenants/apitoken/",
]
# A town's IT staff manage their own town's memberships (docs/ARCHITECTURE.md, "Access"); the council sees every town's.
MEMBERSHIPS = "/admin/tenants/membership/"


def test_town_it_admin_sees_only_its_own_audit_trail(new_person: Any, foreign: ForeignObjects) -> None:
    client = make_client(HOSTS["nakatosa"], new_person("nk-admin", nakatosa="it_admin"))
    with schema_context("nakatosa"):
        audit.record(actor=None, action="test.nakatosa_only")
        nakatosa_count = AuditEvent.objects.count()

    response = client.get("/admin/common/auditevent/", {"q": ""})
    assert response.status_code == 200
    changelist = response.context["cl"]
    assert changelist.result_count == nakatosa_count
    assert {event.trail for event in changelist.result_list} == {"nakatosa"}
    page = response.content.decode()
    assert "test.nakatosa_only" in page
    assert "test.shimanto_only" not in page

    for url in COUNCIL_CHANGELISTS:
        assert client.get(url).status_code == 403, url
    index = client.get("/admin/").content.decode()
    for url in COUNCIL_CHANGELISTS:
        assert url not in index, "council-level models are not even listed on a town host"
    memberships = client.get(MEMBERSHIPS)
    assert memberships.status_code == 200
    assert {m.municipality.schema_name for m in memberships.context["cl"].result_list} == {"nakatosa"}


def test_council_it_admin_administers_council_models(client_for: Any) -> None:
    client = client_for("it_admin", "council")
    for url in [*COUNCIL_CHANGELISTS, MEMBERSHIPS]:
        response = client.get(url)
        assert response.status_code == 200, url
    people = client.get("/admin/tenants/person/").context["cl"].result_count
    assert people == Person.objects.count()


def test_it_admin_of_another_town_gets_no_membership_on_the_admin(new_person: Any) -> None:
    client = make_client(HOSTS["nakatosa"], new_person("sm-admin", shimanto="it_admin"))
    assert_no_membership_page(client.get("/admin/"))
    assert_no_membership_page(client.get("/admin/common/auditevent/"))


# --- Hosts and town status ------------------------------------------------------------------------------


def test_unknown_host_is_not_found(client_for: Any) -> None:
    for path in ("/", "/accounts/login/", "/healthz", "/api/v1/me/"):
        assert Client(HTTP_HOST="unknown.localhost").get(path).status_code == 404, path


@pytest.mark.parametrize("status", [Municipality.Status.SUSPENDED, Municipality.Status.WITHDRAWN])
def test_unavailable_town_answers_503_except_healthz(
    status: str, towns: dict[str, Municipality], client_for: Any, foreign: ForeignObjects
) -> None:
    clients = [client_for("it_admin", "nakatosa")]
    if status == Municipality.Status.SUSPENDED:
        clients.append(Client(HTTP_HOST=HOSTS["nakatosa"]))  # the same check runs before the login check
    Municipality.objects.filter(pk=towns["nakatosa"].pk).update(status=status)
    for route in ROUTES:
        path = route.build(foreign.value)
        for client in clients:
            response = client.get(path)
            if route.name == "healthz":
                assert response.status_code == 200
            else:
                assert response.status_code == 503, (str(route), response.status_code)
                assert "この自治体のシステムは現在利用できません" in response.content.decode()
    # 四万十町 is unaffected.
    assert Client(HTTP_HOST=HOSTS["shimanto"]).get("/accounts/login/").status_code == 200
