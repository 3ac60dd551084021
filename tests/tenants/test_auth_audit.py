"""Failed sign-ins and lockouts leave audit rows in the town's trail; a suspended town answers APIs in JSON."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from common.models import AuditEvent


def _actions(schema: str, since: int) -> list[tuple[str, str]]:
    with schema_context(schema):
        return list(AuditEvent.objects.filter(seq__gt=since).values_list("action", "actor_username"))


def _head(schema: str) -> int:
    with schema_context(schema):
        last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    return last or 0


def test_failed_sign_in_and_lockout_are_audited_in_the_town(db: Any, new_person: Any) -> None:
    new_person("lockme", nakatosa="clerk")
    client = Client(HTTP_HOST="nakatosa.localhost")
    start = _head("nakatosa")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "lockme", "password": "wrong-password-123"})
    response = client.post("/accounts/login/", {"username": "lockme", "password": "wrong-password-123"})
    assert response.status_code in (403, 429)
    actions = _actions("nakatosa", start)
    assert actions.count(("auth.login_failed", "lockme")) >= settings.AXES_FAILURE_LIMIT
    assert ("auth.locked_out", "lockme") in actions
    assert not [a for a in _actions("shimanto", _head("shimanto")) if a[1] == "lockme"]


def test_suspended_town_answers_the_api_in_the_error_format(db: Any, towns: Any) -> None:
    town = towns["nakatosa"]
    town.status = "suspended"
    town.save(update_fields=["status"])
    response = Client(HTTP_HOST="nakatosa.localhost").get("/api/v1/me/")
    assert response.status_code == 503
    assert response.json()["code"] == "municipality_unavailable"
