"""Memberships decide access: effective dating, several towns, inactive people and towns, the role →
module matrix and the one-time ticket that carries a verified login from one town's host to another."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import signing
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from common.dates import local_today
from tenants import services
from tenants.access import MODULES, active_roles, modules_for_roles, towns_of
from tenants.errors import InvalidSwitchTicket, NoMembership
from tenants.models import Membership, Municipality, Person, Role, SwitchTicket
from tests.conftest import HOSTS, make_client
from tests.support.access import (
    assert_error_shape,
    assert_module_refused,
    assert_no_membership_page,
    audit_position,
    audit_since,
)
from tests.support.routes import all_routes

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NO_MEMBERSHIP_LOGIN_ERROR = "での利用権限(所属)がありません"


def _login(host: str, username: str, password: str) -> tuple[Client, Any]:
    client = Client(HTTP_HOST=host)
    return client, client.post("/accounts/login/", {"username": username, "password": password})


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Effective dating -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts", "ends", "in_force"),
    [
        (1, None, False),  # starts tomorrow
        (-30, -1, False),  # ended yesterday
        (0, None, True),  # starts today
        (-30, 0, True),  # ends today (the end date is inclusive)
    ],
    ids=["from-tomorrow", "to-yesterday", "from-today", "to-today"],
)
def test_membership_is_in_force_only_within_its_dates(
    starts: int, ends: int | None, in_force: bool, new_person: Any, demo_password: str
) -> None:
    today = local_today()
    person = new_person(
        "dated",
        nakatosa="clerk",
        valid_from=today + timedelta(days=starts),
        valid_to=today + timedelta(days=ends) if ends is not None else None,
    )
    client, response = _login(HOSTS["nakatosa"], "dated", demo_password)
    session_page = make_client(HOSTS["nakatosa"], person).get("/")
    if in_force:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/verify/")
        assert _logged_in(client)
        assert session_page.status_code == 200
    else:
        assert response.status_code == 200
        assert "中土佐町" + NO_MEMBERSHIP_LOGIN_ERROR in response.content.decode()
        assert not _logged_in(client)
        assert_no_membership_page(session_page)


def test_transfer_on_1_april_takes_effect_without_a_job_or_a_new_login(new_person: Any) -> None:
    """Transferred from 中土佐町 to 四万十町 on 1 April: the same sessions, a minute either side of midnight."""
    person = new_person("transfer")
    towns = {m.schema_name: m for m in Municipality.objects.filter(schema_name__in=["nakatosa", "shimanto"])}
    Membership.objects.create(
        person=person, municipality=towns["nakatosa"], role=Role.CLERK,
        valid_from=date(2026, 4, 1), valid_to=date(2027, 3, 31),
    )  # fmt: skip
    Membership.objects.create(
        person=person, municipality=towns["shimanto"], role=Role.CLERK, valid_from=date(2027, 4, 1)
    )

    with time_machine.travel(datetime(2027, 3, 31, 23, 50, tzinfo=TOKYO), tick=False):
        at_nakatosa = make_client(HOSTS["nakatosa"], person)
        at_shimanto = make_client(HOSTS["shimanto"], person)
        sessions = (at_nakatosa.session.session_key, at_shimanto.session.session_key)
        assert at_nakatosa.get("/").status_code == 200
        assert_no_membership_page(at_shimanto.get("/"))
        assert [t.schema_name for t in towns_of(person)] == ["nakatosa"]

    with time_machine.travel(datetime(2027, 4, 1, 0, 10, tzinfo=TOKYO), tick=False):
        assert at_shimanto.get("/").status_code == 200
        assert_no_membership_page(at_nakatosa.get("/"))
        assert [t.schema_name for t in towns_of(person)] == ["shimanto"]
        # Nobody logged in again: both hosts still use the sessions opened on 31 March.
        assert (at_nakatosa.session.session_key, at_shimanto.session.session_key) == sessions


# --- Several towns, inactive people, inactive towns -----------------------------------------------------


def test_member_of_two_towns_can_log_in_at_either_host(demo_password: str) -> None:
    for schema in ("nakatosa", "shimanto"):
        position = audit_position(schema)
        client, response = _login(HOSTS[schema], "yamamoto", demo_password)
        assert response.status_code == 302, schema
        assert urlsplit(response["Location"]).path == "/accounts/verify/"
        assert _logged_in(client)
        assert [e.action for e in audit_since(schema, position)] == ["auth.login"]
        assert audit_since(schema, position)[0].actor_username == "yamamoto"
    # 協議会 is not one of yamamoto's towns.
    client, response = _login(HOSTS["council"], "yamamoto", demo_password)
    assert "高知県中西部電算協議会" + NO_MEMBERSHIP_LOGIN_ERROR in response.content.decode()
    assert not _logged_in(client)


def test_inactive_person_is_refused_everywhere(new_person: Any, demo_password: str, towns: dict[str, Any]) -> None:
    person = new_person("leaver", nakatosa="auditor")
    session = make_client(HOSTS["nakatosa"], person)
    with schema_context("nakatosa"):
        _, raw = services.issue_api_token(actor=person, municipality=towns["nakatosa"], name="監査")
    Person.objects.filter(pk=person.pk).update(is_active=False)

    client, response = _login(HOSTS["nakatosa"], "leaver", demo_password)
    assert response.status_code == 200
    assert "ログインIDまたはパスワードが正しくありません。" in response.content.decode()
    assert not _logged_in(client)
    # An open session ends with the account, and so do its tokens.
    response = session.get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    api = Client(HTTP_HOST=HOSTS["nakatosa"]).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert_error_shape(api, 401, "invalid_token")
    assert active_roles(Person.objects.get(pk=person.pk), towns["nakatosa"]) == frozenset()


@pytest.mark.parametrize("status", [Municipality.Status.SUSPENDED, Municipality.Status.WITHDRAWN])
def test_memberships_in_a_suspended_or_withdrawn_town_are_not_in_force(
    status: str, towns: dict[str, Municipality], client_for: Any
) -> None:
    yamamoto = Person.objects.get(username="yamamoto")
    at_nakatosa = client_for("yamamoto", "nakatosa")
    Municipality.objects.filter(pk=towns["shimanto"].pk).update(status=status)
    shimanto = Municipality.objects.get(pk=towns["shimanto"].pk)

    assert client_for("yamamoto", "shimanto").get("/").status_code == 503
    assert [t.schema_name for t in towns_of(yamamoto)] == ["nakatosa"]
    assert active_roles(yamamoto, shimanto) == frozenset()
    me = at_nakatosa.get("/api/v1/me/").json()
    assert [m["schema"] for m in me["memberships"]] == ["nakatosa"]
    with schema_context("nakatosa"), pytest.raises(NoMembership):
        services.create_switch_ticket(
            actor=yamamoto, source=towns["nakatosa"], target=shimanto, session_key="any", otp_device_id=None
        )
    # The town switcher refuses too, with a Japanese message and no ticket.
    response = at_nakatosa.post("/accounts/switch/shimanto/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["切り替え先の自治体での所属がありません。"]


# --- Roles and modules ----------------------------------------------------------------------------------

# The council's policy. Changing who may enter a module means changing this table on purpose.
EXPECTED_MODULE_ROLES = {
    "audit": {Role.AUDITOR, Role.IT_ADMIN},
    "admin": {Role.IT_ADMIN},
}
RESIDENT_TYPE_MODULES = {"resident_records", "koseki", "payroll"}


def test_module_registry_matches_the_policy() -> None:
    for key, roles in EXPECTED_MODULE_ROLES.items():
        assert MODULES[key].roles == roles, key
    for module in MODULES.values():
        assert module.roles <= set(Role.values), f"{module.key} names an unknown role"


@pytest.mark.parametrize("role", [Role.TEACHER, Role.VENDOR])
def test_teacher_and_vendor_never_reach_audit_admin_or_resident_data(role: str) -> None:
    keys = {m.key for m in modules_for_roles([role])}
    assert not keys & {"audit", "admin"}
    assert not keys & RESIDENT_TYPE_MODULES
    for key in RESIDENT_TYPE_MODULES & MODULES.keys():
        assert role not in MODULES[key].roles, f"{key} must never be open to {role}"


@pytest.mark.parametrize(("username", "schema"), [("sato", "shimanto"), ("vendor", "council")])
def test_teacher_and_vendor_are_refused_by_the_audit_and_admin_pages(
    username: str, schema: str, client_for: Any
) -> None:
    client = client_for(username, schema)
    refused = [r for r in all_routes() if r.module() is not None and r.module().key in {"audit", "admin"}]  # type: ignore[union-attr]
    assert refused
    for route in refused:
        if route.params():
            continue  # the parametrised admin pages sit behind the same gate (see tests/test_isolation.py)
        path = route.build()
        assert_module_refused(route, client.get(path, HTTP_ACCEPT="application/json"))
    # A teacher reaches only what staff share: the self-service payslips (their own pay), the groupware, and the
    # finance pages of their own school (finance.views.staff_page refuses the rest); a vendor none of these, only
    # the business chat, in the channels it was invited to (docs/domain/chat.md §2).
    shared = {"payslips", "groupware", "finance", "chat"}
    assert {m["key"] for m in client.get("/api/v1/me/").json()["modules"]} <= shared


def test_every_role_gets_exactly_its_modules_in_me(new_person: Any) -> None:
    for role in Role.values:
        person = new_person(f"matrix-{role}", nakatosa=role)
        me = make_client(HOSTS["nakatosa"], person).get("/api/v1/me/").json()
        assert me["roles"] == [role]
        expected = sorted(key for key, module in MODULES.items() if role in module.roles)
        assert sorted(m["key"] for m in me["modules"]) == expected, role


# --- Switching towns (docs/security.md) -----------------------------------------------------------------

_FORM_RE = re.compile(
    r'<form method="post" action="(?P<action>[^"]+)"[^>]*>\s*'
    r'<input type="hidden" name="ticket" value="(?P<ticket>[^"]+)">'
)


def _ticket_from(response: Any) -> tuple[str, str]:
    """The arrival form of the switching page: (host it posts to, ticket). No URL carries the ticket."""
    assert response.status_code == 200, response.status_code
    assert "Refresh" not in response
    assert "Location" not in response
    match = _FORM_RE.search(response.content.decode())
    assert match is not None
    action = urlsplit(match["action"])
    assert action.path == "/accounts/switch/arrive/"
    assert action.query == ""
    return action.netloc, match["ticket"]


def _arrive(client: Client, ticket: str, *, origin: str = HOSTS["nakatosa"], **extra: Any) -> Any:
    return client.post("/accounts/switch/arrive/", {"ticket": ticket}, HTTP_ORIGIN=f"http://{origin}", **extra)


def test_switch_carries_the_verified_login_to_the_other_town(client_for: Any) -> None:
    source = client_for("yamamoto", "nakatosa")
    positions = {schema: audit_position(schema) for schema in ("nakatosa", "shimanto")}

    departure = source.post("/accounts/switch/shimanto/")
    host, ticket = _ticket_from(departure)
    assert host == HOSTS["shimanto"]
    # The form may post to the other town's host (this response only) and tells it where it came from.
    assert f"form-action 'self' http://{HOSTS['shimanto']}" in departure["Content-Security-Policy"]
    assert departure["Referrer-Policy"] == "origin"
    target = Client(HTTP_HOST=HOSTS["shimanto"], enforce_csrf_checks=True)
    arrived = _arrive(target, ticket)
    assert arrived.status_code == 302
    assert arrived["Location"] == "/"
    home = target.get("/")
    assert home.status_code == 200, "the second factor travelled with the ticket"
    assert home.wsgi_request.user.username == "yamamoto"

    departed = audit_since("nakatosa", positions["nakatosa"])
    assert [(e.action, e.details) for e in departed] == [("town_switch.depart", {"to": "shimanto"})]
    arrived_rows = audit_since("shimanto", positions["shimanto"])
    assert [(e.action, e.details) for e in arrived_rows] == [("town_switch.arrive", {"from": "nakatosa"})]
    assert arrived_rows[0].actor_username == "yamamoto"


def _refused(response: Any, client: Client) -> None:
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [InvalidSwitchTicket.message]
    assert not _logged_in(client)


def test_a_switch_ticket_is_single_use(client_for: Any) -> None:
    _, ticket = _ticket_from(client_for("yamamoto", "nakatosa").post("/accounts/switch/shimanto/"))
    assert _arrive(Client(HTTP_HOST=HOSTS["shimanto"]), ticket).status_code == 302

    replay = Client(HTTP_HOST=HOSTS["shimanto"])
    _refused(_arrive(replay, ticket), replay)


def test_a_switch_ticket_in_a_url_is_refused(client_for: Any) -> None:
    """GET would put the ticket into access logs, browser history and Referer headers."""
    _, ticket = _ticket_from(client_for("yamamoto", "nakatosa").post("/accounts/switch/shimanto/"))
    target = Client(HTTP_HOST=HOSTS["shimanto"])
    assert target.get("/accounts/switch/arrive/", {"ticket": ticket}).status_code == 405
    assert not _logged_in(target)
    # Still unspent: the refused GET did not burn it.
    assert _arrive(target, ticket).status_code == 302
    assert _logged_in(target)


def test_a_switch_ticket_dies_with_the_session_that_asked_for_it(client_for: Any) -> None:
    source = client_for("yamamoto", "nakatosa")
    _, ticket = _ticket_from(source.post("/accounts/switch/shimanto/"))
    source.post("/accounts/logout/")

    target = Client(HTTP_HOST=HOSTS["shimanto"])
    _refused(_arrive(target, ticket), target)


def test_a_switch_ticket_posted_from_another_site_is_refused(client_for: Any) -> None:
    """Login CSRF: a page elsewhere posting a ticket of its own would sign the visitor in as someone else."""
    _, ticket = _ticket_from(client_for("yamamoto", "nakatosa").post("/accounts/switch/shimanto/"))
    for origin in ("evil.example", "shimanto.localhost"):
        target = Client(HTTP_HOST=HOSTS["shimanto"])
        _refused(_arrive(target, ticket, origin=origin), target)
    no_origin = Client(HTTP_HOST=HOSTS["shimanto"])
    _refused(no_origin.post("/accounts/switch/arrive/", {"ticket": ticket}), no_origin)


def test_a_ticket_signed_with_the_secret_key_forges_nothing(client_for: Any) -> None:
    """The earlier tickets were signed payloads: with the (published) SECRET_KEY anyone could write one."""
    device = TOTPDevice.objects.filter(user__username="it_admin", confirmed=True).get()
    it_admin = Person.objects.get(username="it_admin")
    forged = signing.dumps(
        {"p": it_admin.pk, "s": "nakatosa", "t": "shimanto", "d": device.persistent_id, "n": "x"},
        salt="kyodo.switch-town",
        compress=True,
    )
    target = Client(HTTP_HOST=HOSTS["shimanto"])
    _refused(_arrive(target, forged), target)
    assert not SwitchTicket.objects.filter(person=it_admin).exists()


def test_only_a_digest_of_the_ticket_is_stored(client_for: Any) -> None:
    _, ticket = _ticket_from(client_for("yamamoto", "nakatosa").post("/accounts/switch/shimanto/"))
    stored = SwitchTicket.objects.get(person__username="yamamoto")
    assert stored.digest == hashlib.sha256(ticket.encode()).hexdigest()
    assert ticket not in {stored.digest, stored.session_key, stored.otp_device_id}


def _ticket(person: Person, source: str, target: str) -> str:
    client = make_client(HOSTS[source], person)
    _, ticket = _ticket_from(client.post(f"/accounts/switch/{target}/"))
    return ticket


def _redeem(ticket: str, target: str, origin: str = HOSTS["nakatosa"]) -> tuple[Person, str | None]:
    with schema_context(target):
        return services.redeem_switch_ticket(
            ticket=ticket, target=Municipality.objects.get(schema_name=target), origin_host=origin
        )


def test_a_switch_ticket_expires() -> None:
    yamamoto = Person.objects.get(username="yamamoto")
    start = datetime(2026, 11, 2, 9, 0, tzinfo=TOKYO)
    with time_machine.travel(start, tick=False):
        ticket = _ticket(yamamoto, "nakatosa", "shimanto")
    late = start + timedelta(seconds=settings.KYODO_SWITCH_TOKEN_SECONDS + 1)
    with time_machine.travel(late, tick=False), pytest.raises(InvalidSwitchTicket):
        _redeem(ticket, "shimanto")
    with time_machine.travel(start + timedelta(seconds=settings.KYODO_SWITCH_TOKEN_SECONDS - 1), tick=False):
        person, _ = _redeem(ticket, "shimanto")
        assert person == yamamoto


def test_a_switch_ticket_is_bound_to_its_target_town() -> None:
    it_admin = Person.objects.get(username="it_admin")  # a member of all three
    ticket = _ticket(it_admin, "nakatosa", "shimanto")
    for wrong in ("council", "nakatosa"):
        with pytest.raises(InvalidSwitchTicket):
            _redeem(ticket, wrong)
    # A tampered ticket is refused as well.
    with pytest.raises(InvalidSwitchTicket):
        _redeem(ticket[:-2] + ("AA" if not ticket.endswith("AA") else "BB"), "shimanto")
    person, device_id = _redeem(ticket, "shimanto")
    assert person == it_admin
    assert device_id is not None


def test_no_ticket_without_a_membership_at_the_target(client_for: Any) -> None:
    tanaka = Person.objects.get(username="tanaka")  # 中土佐町 only
    with schema_context("nakatosa"), pytest.raises(NoMembership):
        services.create_switch_ticket(
            actor=tanaka,
            source=Municipality.objects.get(schema_name="nakatosa"),
            target=Municipality.objects.get(schema_name="shimanto"),
            session_key="any",
            otp_device_id=None,
        )
    response = client_for("tanaka", "nakatosa").post("/accounts/switch/shimanto/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not SwitchTicket.objects.filter(person=tanaka).exists()


def test_a_membership_ending_before_the_ticket_is_used_wins(new_person: Any) -> None:
    person = new_person("leaving", nakatosa="clerk", shimanto="clerk")
    ticket = _ticket(person, "nakatosa", "shimanto")
    Membership.objects.filter(person=person, municipality__schema_name="shimanto").update(
        valid_to=local_today() - timedelta(days=1)
    )
    with pytest.raises(NoMembership):
        _redeem(ticket, "shimanto")
