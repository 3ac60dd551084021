"""A real Celery worker (Redis broker) runs tasks in the schema of the town that queued them."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from common.tasks import verify_audit_chain
from tests.support.processes import database_url, stop

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def worker_queue(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """Start `celery worker` on the test database, listening on a queue of its own."""
    with django_db_blocker.unblock():
        settings_dict = dict(connection.settings_dict)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(settings_dict),
        "KYODO_CELERY_QUEUE": queue,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "--pool", "solo", "-l", "warning",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield queue
    finally:
        stop(proc)


@pytest.mark.parametrize("schema", ["nakatosa", "shimanto"])
def test_task_runs_in_the_schema_of_the_town_that_queued_it(db: Any, worker_queue: str, schema: str) -> None:
    with schema_context(schema):
        result = verify_audit_chain.apply_async(queue=worker_queue)
    outcome = result.get(timeout=60)
    assert outcome["trail"] == schema
    assert outcome["intact"] is True
    assert outcome["rows"] >= 1  # the town's seed row at least: the worker really read that schema
