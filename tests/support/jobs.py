"""Background jobs in tests: run a queued job in this process, as the Celery worker would (same code path)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from common import jobs, tasks


@contextmanager
def jobs_run_inline(monkeypatch: pytest.MonkeyPatch, capture_on_commit: Any) -> Iterator[list[int]]:
    """Within the block, a job queued after commit runs at once in the schema it was queued in (the worker's
    ``common.tasks.run_job`` body); yields the ids of the jobs that ran."""
    ran: list[int] = []

    def run_now(job_id: int) -> None:
        ran.append(job_id)
        jobs.run_job(job_id)

    monkeypatch.setattr(tasks.run_job, "delay", run_now)
    with capture_on_commit(execute=True):
        yield ran
