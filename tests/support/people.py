"""People, sessions and data shared by all tests of one module, rolled back when the module ends.

Creating a person with a confirmed authenticator and a verified session costs a dozen queries; the
route suites need a handful of them for every one of ~70 routes. ``module_transaction`` creates them
once inside an outer transaction; each test's own transaction nests inside it as a savepoint, and the
whole lot is rolled back when the module's last test has run — nothing is committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants import mfa
from tenants.demo import DEMO_PASSWORD
from tenants.models import Membership, Municipality, Person


def make_person(username: str, *, valid_from: date | None = None, valid_to: date | None = None, **roles: str) -> Person:
    """A person with a confirmed TOTP device and a membership per town: make_person("x", nakatosa="clerk")."""
    person = Person.objects.create_user(username, DEMO_PASSWORD, full_name=f"テスト {username}")
    mfa.confirm_totp_device(person, mfa.pending_totp_device(person))
    for schema, role in roles.items():
        Membership.objects.create(
            person=person,
            municipality=Municipality.objects.get(schema_name=schema),
            role=role,
            valid_from=valid_from or date(2000, 1, 1),
            valid_to=valid_to,
        )
    return person


def verified_session(person: Person) -> str:
    """The key of a logged-in, 2FA-verified session of ``person`` (sessions are not bound to a host)."""
    client = Client()
    client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
    assert device is not None, f"{person.username} has no confirmed TOTP device"
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return str(session.session_key)


def session_client(host: str, session_key: str | None = None, **defaults: Any) -> Client:
    """A fresh client on ``host`` carrying an existing session cookie (no database work)."""
    client = Client(HTTP_HOST=host, **defaults)
    if session_key is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


@contextmanager
def module_transaction(django_db_blocker: Any) -> Iterator[None]:
    """Run the body in a transaction that stays open for the module's tests and is then rolled back."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            connection.set_schema_to_public()
