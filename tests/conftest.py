"""Test fixtures: a real PostgreSQL test database holding the demo council (three schemas).

The demo council is provisioned once per test session (and per xdist worker, each of which has its own
database) and committed, so that out-of-process components — Celery workers, gunicorn, Chromium — see
the same towns and people. Each test then runs inside a transaction that is rolled back.

Tests never flush the database: the audit table refuses TRUNCATE by design (see common migration 0002).
Tests that let another process write (browser, gunicorn, Celery) create their own uniquely named data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.demo import DEMO_PASSWORD, seed_demo_council
from tenants.models import Municipality, Person

HOSTS = {"nakatosa": "nakatosa.localhost", "shimanto": "shimanto.localhost", "council": "council.localhost"}


@pytest.fixture(scope="session")
def django_db_setup(
    request: Any,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """Always the test database, whatever tests are selected, seeded with the demo council.

    pytest-django creates it only when some selected test is marked for the database; tests that commit
    through django_db_blocker.unblock() (withdrawal, browser, gunicorn) would otherwise reach the
    development database.
    """
    from django.test.utils import setup_databases, teardown_databases

    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose, interactive=False, keepdb=keepdb, aliases={"default"}
        )
        name = connection.settings_dict["NAME"]
        assert name.startswith("test_"), f"refusing to seed non-test database {name!r}"
        seed_demo_council()
        connection.set_schema_to_public()
    yield
    if not keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(scope="session", autouse=True)
def _always_on_the_test_database(django_db_setup: None) -> None:
    """Set the test database up for every run (see django_db_setup)."""


@pytest.fixture(autouse=True)
def _public_schema_between_tests() -> Iterator[None]:
    yield
    connection.set_schema_to_public()


@pytest.fixture
def towns(db: Any) -> dict[str, Municipality]:
    return {m.schema_name: m for m in Municipality.objects.all()}


@pytest.fixture
def demo_password() -> str:
    return DEMO_PASSWORD


def person(username: str) -> Person:
    return Person.objects.get(username=username)


def make_client(host: str, user: Person | None = None, *, verified: bool = True) -> Client:
    """A test client bound to one town's host; logged in (and 2FA-verified) when a user is given."""
    client = Client(HTTP_HOST=host)
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if verified:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            assert device is not None, f"{user.username} has no confirmed TOTP device"
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
    return client


@pytest.fixture
def client_for(db: Any) -> Any:
    """client_for("tanaka", "nakatosa") -> a verified client of tanaka at 中土佐町's host."""

    def factory(username: str | None, schema: str, *, verified: bool = True) -> Client:
        return make_client(HOSTS[schema], person(username) if username else None, verified=verified)

    return factory


@pytest.fixture
def new_person(db: Any) -> Any:
    """Create a person with a confirmed TOTP device and optional memberships: new_person("x", nakatosa="clerk")."""
    from tests.support.people import make_person

    return make_person


def pytest_configure(config: Any) -> None:
    # xdist workers share one Redis; keep their cache keys (throttles, tickets) apart.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    os.environ.setdefault("KYODO_CACHE_PREFIX", f"kyodo-test-{worker}")
