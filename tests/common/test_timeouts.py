"""The web request time budget (common.timeouts, docs/background_jobs.md): web processes' connections carry a
statement_timeout
below gunicorn's worker timeout; a statement that hits it answers 503 in Japanese, not 500."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction
from django.test import RequestFactory

from common.timeouts import MESSAGE, StatementTimeoutMiddleware

ROOT = Path(__file__).resolve().parents[2]


def _settings_of(env: dict[str, str], *, web: bool) -> dict[str, Any]:
    """DATABASES options and the budget as a fresh process sees them: a web process (config.wsgi) or another."""
    start = "import config.wsgi" if web else "import django; django.setup()"
    code = (
        f"{start}; import json; from django.conf import settings as s; "
        "print(json.dumps([s.DATABASES['default'].get('OPTIONS', {}), s.KYODO_WEB_STATEMENT_TIMEOUT_MS]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        # Without the parent's KYODO_PROCESS: importing config.asgi in this test process (the chat's socket tests)
        # marks it as a web process, which the child must not inherit.
        env={
            **{k: v for k, v in os.environ.items() if k != "KYODO_PROCESS"},
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    options, budget = json.loads(out.stdout.strip().splitlines()[-1])
    return {"options": options, "budget": budget}


def test_web_processes_get_a_statement_budget_below_gunicorns_timeout_and_workers_none() -> None:
    web = _settings_of({"KYODO_TIMEOUT": "30"}, web=True)
    assert web["budget"] == 25_000
    assert "-c statement_timeout=25000" in web["options"]["options"]
    worker = _settings_of({"KYODO_TIMEOUT": "30"}, web=False)
    assert "statement_timeout" not in worker["options"].get("options", "")
    slower = _settings_of({"KYODO_TIMEOUT": "60"}, web=True)
    assert "-c statement_timeout=55000" in slower["options"]["options"]


def _canceled(db: Any) -> OperationalError:
    with pytest.raises(OperationalError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 50")
        cursor.execute("SELECT pg_sleep(2)")
    return caught.value


@pytest.mark.parametrize(
    ("path", "json_body"), [("/resident_records/", False), ("/api/v1/resident_records/events/", True)]
)
def test_a_cancelled_statement_answers_503_in_japanese(db: Any, path: str, json_body: bool) -> None:
    error = _canceled(db)
    middleware = StatementTimeoutMiddleware(lambda request: None)  # type: ignore[arg-type, return-value]
    request = RequestFactory().get(path)
    response = middleware.process_exception(request, error)
    assert response is not None
    assert response.status_code == 503
    if json_body:
        assert json.loads(response.content) == {"code": "request_timeout", "message": MESSAGE, "details": {}}
    else:
        assert MESSAGE in response.content.decode()


def test_other_database_errors_are_left_alone(db: Any) -> None:
    middleware = StatementTimeoutMiddleware(lambda request: None)  # type: ignore[arg-type, return-value]
    assert middleware.process_exception(RequestFactory().get("/"), OperationalError("connection lost")) is None
