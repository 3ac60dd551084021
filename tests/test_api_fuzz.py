"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis, docs/security.md).

Every operation of /api/v1/schema/ is called with generated requests — valid ones and ones that break the
schema — under a clerk's and an auditor's token. None may answer with a server error, and every answer must be
one the schema describes: status code, content type, body and headers. Bounded: a few examples per operation and
no shrinking, the same examples on every run, so the whole run stays well under two minutes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from payroll import demo as payroll_demo
from payroll.models import PayRun
from tenants import organisation, services
from tenants.models import Municipality, OrgUnitKind, Person
from tests.conftest import HOSTS
from tests.resident_records.factories import move_in_family, refused_import

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
BASE_URL = f"http://{HOSTS['nakatosa']}"
# Requests per operation and token: valid ones, and ones that break the schema (which must be refused cleanly).
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 6}


@contextlib.contextmanager
def _in_process_app() -> Iterator[WSGIHandler]:
    """Django in-process, inside the test's transaction. Like Django's own test client, keep the per-request
    connection clean-up off: it would close the connection that holds that transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db: Any) -> dict[str, str]:
    town = Municipality.objects.get(schema_name="nakatosa")
    raw: dict[str, str] = {}
    with schema_context("nakatosa"):
        # IT staff too: the groupware's SCIM endpoints answer to an IT staff token only.
        for role, username in (("clerk", "tanaka"), ("auditor", "auditor"), ("it_admin", "it_admin")):
            _, raw[role] = services.issue_api_token(
                actor=Person.objects.get(username=username), municipality=town, name="schemathesis"
            )
    return raw


def _served_schema(client_for: Any) -> Any:
    """The schema as the API serves it."""
    response = client_for("tanaka", "nakatosa").get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return schemathesis.openapi.from_dict(json.loads(response.content))


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    wsgi_app: WSGIHandler,
    tokens: dict[str, str],
    path_parameters: dict[str, str] | None = None,
) -> set[int]:
    """Run the generated requests; the status codes seen."""
    seen: set[int] = set()

    @hypothesis_settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the report names the request as sent
        suppress_health_check=list(HealthCheck),
        derandomize=True,  # the same requests on every run: CI fails or passes for a reason
        database=None,
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case: Any) -> None:
        for raw in tokens.values():
            response = case.call(app=wsgi_app, base_url=BASE_URL, headers={"Authorization": f"Bearer {raw}"})
            seen.add(response.status_code)
            case.validate_response(response, checks=CHECKS)

    run()
    return seen


def _groupware_and_chat_ids() -> dict[str, dict[str, str]]:
    """Real rows for the REST paths whose parameter is a row id (``{id}``): a notice, a council notice, a request
    and a chat channel, made as the page sweep makes them (tests/support/module_rows.py)."""
    from tests.support.module_rows import chat_rows, groupware_rows

    rows = groupware_rows(viewer=Person.objects.get(username="tanaka"))
    rows += chat_rows(it_admin=Person.objects.get(username="it_admin"))
    value = {prefix: row_id for prefix, _name, row_id in rows}
    paths = {
        "/api/v1/groupware/notices/{id}/": "api:groupware:notice",
        "/api/v1/groupware/notices/{id}/read/": "api:groupware:notice",
        "/api/v1/groupware/notices/council/{id}/": "api:groupware:council_notice",
        "/api/v1/groupware/notices/council/{id}/read/": "api:groupware:council_notice",
        "/api/v1/groupware/requests/{id}/": "api:groupware:request",
        "/api/v1/groupware/requests/{id}/approve/": "api:groupware:request",
        "/api/v1/chat/channels/{id}/messages/": "api:chat:",
        "/api/v1/chat/channels/{id}/read/": "api:chat:",
    }
    return {path: {"id": value[prefix]} for path, prefix in paths.items()}


def _meeting_id() -> str:
    from datetime import datetime, timedelta

    from common.dates import TOKYO
    from groupware.meetings.services import meetings

    starts = datetime(2026, 12, 1, 10, tzinfo=TOKYO)
    with schema_context("nakatosa"):
        meeting = meetings.create_meeting(
            actor=Person.objects.get(username="tanaka"), title="API確認の会議", starts_at=starts,
            ends_at=starts + timedelta(hours=1), participant_ids=[Person.objects.get(username="auditor").pk],
        )  # fmt: skip
    return str(meeting.pk)


def test_the_api_keeps_to_its_schema(client_for: Any, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Thousands of generated requests per token within a few minutes: the per-user rate (600/min) would answer
    # 429 to whichever operations come late, and a read would never get its 200. The throttle has its own tests.
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "1000000/min", "anon": "1000000/min"})
    operations = [result.ok() for result in _served_schema(client_for).get_all_operations()]
    assert len(operations) >= 14
    # Generated ids name nothing; these do, so the answers about real objects are checked as well.
    with schema_context("nakatosa"):
        household, (resident, *_) = move_in_family(Person.objects.get(username="tanaka"))
        job = refused_import(Person.objects.get(username="tanaka"))
    # A unit of 中土佐町's organisation, so the SCIM group read answers with data.
    organisation.create_unit(
        actor=None,
        municipality=Municipality.objects.get(schema_name="nakatosa"),
        code="T100",
        name="総務課",
        kind=OrgUnitKind.DIVISION,
        valid_from=date(2020, 4, 1),
    )
    existing = {
        "atena_number": resident.atena_number,
        "number": household.number,
        "public_id": str(job.public_id),
        "person_id": str(Person.objects.get(username="tanaka").pk),  # groupware SCIM Users/<person_id>
        "code": "T100",  # groupware SCIM Groups/<code> (a 所属コード)
        "year": "2026",  # payroll 給与支払報告書 of a calendar year
        "meeting_id": _meeting_id(),  # groupware.meetings: a meeting the clerk and the auditor take part in
    }
    # A payroll run of 中土佐町 (its demo loader, small), so the run's lines answer with data.
    payroll_demo.seed_town(schema="nakatosa", count=3, seed=2026)
    with schema_context("nakatosa"):
        payroll_run = PayRun.objects.order_by("pk").first()
    assert payroll_run is not None
    # The demo loader locks the 2025 年末調整 (and one 再年末調整), so the year-end results answer with data.
    by_path = {
        "/api/v1/payroll/runs/{public_id}/lines/": {"public_id": str(payroll_run.public_id)},
        "/api/v1/payroll/year-end/{year}/": {"year": "2025"},
    }
    by_path |= _groupware_and_chat_ids()
    failures: list[str] = []
    answered: dict[str, set[int]] = {}
    with _in_process_app() as app:
        for operation in operations:
            runs: list[tuple[GenerationMode, dict[str, str] | None]] = [(mode, None) for mode in GenerationMode]
            names = {p.name for p in operation.path_parameters}
            if names:
                real = {name: existing[name] for name in names if name in existing} | by_path.get(operation.path, {})
                runs.append((GenerationMode.POSITIVE, real))
            for mode, path_parameters in runs:
                try:
                    answered.setdefault(operation.label, set()).update(
                        _fuzz(operation, mode, app, tokens, path_parameters)
                    )
                except (Exception, BaseExceptionGroup) as exc:  # every operation is tried; all are reported
                    failures.append(f"{operation.label} ({mode.value}, {path_parameters}):\n{exc}")
    assert not failures, "\n\n".join(failures)
    # Not only refusals: every read answered with data at least once (the clerk's, auditor's or IT staff's token).
    for label, statuses in answered.items():
        if label.startswith("GET "):
            assert 200 in statuses, (label, statuses)
