"""The Host → town lookup is answered from the shared cache, and a change to a town or its domains takes effect on
the next request (tenants.hosts; docs/performance.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError

from tenants import hosts
from tenants.models import Domain, Municipality
from tests.conftest import HOSTS

pytestmark = pytest.mark.django_db

HOST = HOSTS["nakatosa"]
NEW_HOST = "kure.localhost"


@pytest.fixture
def cached(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[None]:
    """Answers are stored although the test runs inside a transaction (in production the lookup runs outside
    one); every entry a test leaves behind is dropped."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, NEW_HOST]
    monkeypatch.setattr(hosts, "_cacheable", lambda: True)
    hosts.forget_hosts([HOST, NEW_HOST])
    yield
    hosts.forget_hosts([HOST, NEW_HOST])


def _town_queries(client: Client, path: str = "/healthz") -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        status = client.get(path).status_code
    lookups = [q for q in captured.captured_queries if '"tenants_domain"' in q["sql"]]
    return status, len(lookups)


def test_the_second_request_to_a_host_reads_no_domain_row(cached: None) -> None:
    client = Client(HTTP_HOST=HOST)
    assert _town_queries(client) == (200, 1)
    assert _town_queries(client) == (200, 0)


def test_an_answer_read_inside_a_transaction_is_not_stored() -> None:
    hosts.forget_hosts([HOST])
    client = Client(HTTP_HOST=HOST)
    client.get("/healthz")
    assert _town_queries(client) == (200, 1)


def test_suspending_a_town_takes_effect_on_the_next_request(
    cached: None, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client(HTTP_HOST=HOST)
    assert client.get("/accounts/login/").status_code == 200
    town = Municipality.objects.get(schema_name="nakatosa")
    with django_capture_on_commit_callbacks(execute=True):
        town.status = Municipality.Status.SUSPENDED
        town.save()
    assert client.get("/accounts/login/").status_code == 503


def test_a_removed_domain_is_unknown_on_the_next_request(cached: None, django_capture_on_commit_callbacks: Any) -> None:
    client = Client(HTTP_HOST=HOST)
    assert client.get("/healthz").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        Domain.objects.filter(domain=HOST).delete()
    assert client.get("/healthz").status_code == 404


def test_a_new_domain_is_known_on_the_next_request(cached: None, django_capture_on_commit_callbacks: Any) -> None:
    client = Client(HTTP_HOST=NEW_HOST)
    assert client.get("/healthz").status_code == 404  # the miss is cached too
    town = Municipality.objects.get(schema_name="nakatosa")
    with django_capture_on_commit_callbacks(execute=True):
        Domain.objects.create(tenant=town, domain=NEW_HOST, is_primary=False)
    assert client.get("/healthz").status_code == 200


def test_a_renamed_domain_leaves_its_old_name(cached: None, django_capture_on_commit_callbacks: Any) -> None:
    old = Client(HTTP_HOST=HOST)
    assert old.get("/healthz").status_code == 200
    domain = Domain.objects.get(domain=HOST)
    with django_capture_on_commit_callbacks(execute=True):
        domain.domain = NEW_HOST
        domain.save()
    assert old.get("/healthz").status_code == 404
    assert Client(HTTP_HOST=NEW_HOST).get("/healthz").status_code == 200


def test_without_redis_the_host_is_read_from_the_database(cached: None, monkeypatch: pytest.MonkeyPatch) -> None:
    class Away:
        def __getattr__(self, name: str) -> Any:
            def refuse(*args: Any, **kwargs: Any) -> Any:
                raise RedisConnectionError("connection refused")

            return refuse

    monkeypatch.setattr(hosts, "cache", Away())
    assert _town_queries(Client(HTTP_HOST=HOST)) == (200, 1)
