"""Every page renders for the people allowed to see it: no route answers a server error.

Routes are enumerated from the URL configuration (as in the isolation suite), so a new page is covered
without editing this file. Object ids are filled with real rows of the model the route is about.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django_tenants.utils import schema_context

from tests.support.routes import Route, all_routes

_ADMIN_MODEL = re.compile(r"^/?admin/(?P<app>\w+)/(?P<model>\w+)/")

VIEWERS = [("it_admin", "council"), ("it_admin", "nakatosa"), ("auditor", "nakatosa"), ("tanaka", "nakatosa")]


def _real_id(schema: str) -> Any:
    def values(route: Route, name: str, converter: str) -> str:
        match = _ADMIN_MODEL.match(route.route)
        if name == "object_id" and match:
            try:
                model = apps.get_model(match["app"], match["model"])
            except LookupError:
                return "1"
            with schema_context(schema):
                pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            return str(pk or 1)
        return "1"

    return values


@pytest.mark.parametrize(("username", "schema"), VIEWERS, ids=[f"{u}@{s}" for u, s in VIEWERS])
def test_no_page_answers_a_server_error(client_for: Any, username: str, schema: str) -> None:
    client = client_for(username, schema)
    failures = []
    for route in all_routes():
        if "logout" in route.route or "switch" in route.route:
            continue  # these end the session or leave the host; covered by their own tests
        path = route.build(_real_id(schema))
        response = client.get(path)
        if response.status_code >= 500:
            failures.append(f"{path} -> {response.status_code}")
    assert not failures, failures
