"""What a refusal looks like, and proof that a refused request changed nothing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.db import connection
from django.http import HttpResponse
from django_tenants.utils import schema_context
from rest_framework.renderers import JSONRenderer

from common.models import AuditEvent
from tenants.models import ApiToken, Domain, Membership, Municipality, Person
from tests.support.routes import Route

NO_MEMBERSHIP_TEXT = "利用権限(所属)がありません"
FORBIDDEN_MODULE_TEXT = "この業務を利用する権限がありません"
UNSAFE_METHODS = ("put", "patch", "delete", "post")  # POST last: it may end the session (logout)
ALL_METHODS = ("get", "options", *UNSAFE_METHODS)

# Council-level tables in the public schema that a town request must never touch.
PUBLIC_MODELS = (Municipality, Domain, Person, Membership, ApiToken)


def templates_of(response: HttpResponse) -> set[str]:
    return {t.name for t in getattr(response, "templates", []) if t.name}


def body(response: HttpResponse) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")  # type: ignore[attr-defined]
    return response.content.decode(errors="replace")


def speaks_json(route: Route) -> bool:
    """API views with a JSON renderer answer errors as JSON; the HTML docs pages render a Japanese page."""
    renderers = getattr(route.view_class, "renderer_classes", None) or [JSONRenderer]
    return any(r.media_type == "application/json" for r in renderers)


def api_headers(route: Route) -> dict[str, str]:
    return {"HTTP_ACCEPT": "application/json" if speaks_json(route) else "text/html"}


def assert_error_shape(
    response: HttpResponse, status: int | tuple[int, ...], code: str | None = None
) -> dict[str, Any]:
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, body(response)[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    data = json.loads(body(response))
    assert set(data) == {"code", "message", "details"}, data
    assert isinstance(data["code"], str)
    assert data["code"]
    assert isinstance(data["message"], str), data["message"]
    assert _is_japanese(data["message"]), data["message"]
    if code is not None:
        assert data["code"] == code, data
    return data


def assert_api_refusal(
    route: Route, response: HttpResponse, status: int | tuple[int, ...], code: str | tuple[str, ...]
) -> None:
    """JSON routes: the error shape with a stable code. HTML API pages: a Japanese error page."""
    codes = (code,) if isinstance(code, str) else code
    if speaks_json(route):
        data = assert_error_shape(response, status)
        assert data["code"] in codes, data
    else:
        statuses = (status,) if isinstance(status, int) else status
        assert response.status_code in statuses, response.status_code
        assert response["Content-Type"].startswith("text/html")
        assert _is_japanese(body(response)), body(response)[:300]


def assert_no_membership_page(response: HttpResponse) -> None:
    assert response.status_code == 403, response.status_code
    assert "shell/no_membership.html" in templates_of(response), templates_of(response)
    assert NO_MEMBERSHIP_TEXT in body(response)


def assert_module_refused(route: Route, response: HttpResponse) -> None:
    if route.is_api:
        assert_api_refusal(route, response, 403, "permission_denied")
    else:
        assert response.status_code == 403, response.status_code
        assert "shell/forbidden.html" in templates_of(response), templates_of(response)
        assert FORBIDDEN_MODULE_TEXT in body(response)


def assert_redirects_to_login(response: HttpResponse, path: str, login: str = "/accounts/login/") -> None:
    """A redirect to the login (or verify) page that brings the person back to ``path`` afterwards."""
    assert response.status_code == 302, (path, response.status_code)
    location = urlsplit(response["Location"])
    assert not location.netloc, response["Location"]
    assert location.path == login, (path, response["Location"])
    assert parse_qs(location.query).get("next") == [path], (path, response["Location"])


def is_same_host_redirect(response: HttpResponse) -> bool:
    location = response.get("Location", "")
    return response.status_code in (301, 302, 303, 307, 308) and location.startswith("/")


def _is_japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


# --- Snapshots ----------------------------------------------------------------------------------------


# One statement for the whole snapshot: the tables are listed from the catalogue and each is digested by a query
# run inside the statement (query_to_xml), so a snapshot costs one round trip instead of one per table (~125).
# Row count plus a digest of every row's text: catches inserts, deletes and updates alike.
_SNAPSHOT_SQL = """
SELECT n.nspname || '.' || c.relname,
       (xpath('/row/n/text()', digest))[1]::text::bigint,
       (xpath('/row/d/text()', digest))[1]::text
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL query_to_xml(
    format(
        'SELECT count(*) AS n, md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), %%L)) AS d FROM %%I.%%I t',
        '', n.nspname, c.relname
    ),
    false, true, ''
) AS digest
WHERE c.relkind IN ('r', 'p')
  AND ((n.nspname = %s AND c.relname <> %s) OR (n.nspname = 'public' AND c.relname = ANY(%s)))
ORDER BY 1
"""


def data_snapshot(schema: str) -> dict[str, tuple[int, str]]:
    """Every table of a town schema (audit trail excepted) and the council tables that hold its people:
    ``{"schema.table": (row count, md5 of every row's text)}``."""
    with connection.cursor() as cursor:
        cursor.execute(
            _SNAPSHOT_SQL, [schema, AuditEvent._meta.db_table, [model._meta.db_table for model in PUBLIC_MODELS]]
        )
        snapshot = {name: (int(count), str(digest)) for name, count, digest in cursor.fetchall()}
    expected_public = {f"public.{model._meta.db_table}" for model in PUBLIC_MODELS}
    assert expected_public <= set(snapshot), expected_public - set(snapshot)
    assert len(snapshot) > len(expected_public), f"no table found in schema {schema!r}"
    return snapshot


def audit_position(schema: str) -> int:
    with schema_context(schema):
        return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def audit_since(schema: str, position: int) -> list[AuditEvent]:
    with schema_context(schema):
        return list(AuditEvent.objects.filter(seq__gt=position).order_by("seq"))
