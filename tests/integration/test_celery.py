"""A real Celery worker (Redis broker) runs tasks in the schema of the town that queued them."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from common.tasks import verify_audit_chain
from tests.integration.conftest import Worker

pytestmark = pytest.mark.integration


@pytest.fixture
def worker_queue(shared_worker: Worker) -> str:
    """The queue of the session's `celery worker` on the test database (tests/integration/conftest.py)."""
    return shared_worker.queue


@pytest.mark.parametrize("schema", ["nakatosa", "shimanto"])
def test_task_runs_in_the_schema_of_the_town_that_queued_it(db: Any, worker_queue: str, schema: str) -> None:
    with schema_context(schema):
        result = verify_audit_chain.apply_async(queue=worker_queue)
    outcome = result.get(timeout=60)
    assert outcome["trail"] == schema
    assert outcome["intact"] is True
    assert outcome["rows"] >= 1  # the town's seed row at least: the worker really read that schema
