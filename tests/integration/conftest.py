"""One real Celery worker for the integration tests of a session (each xdist worker starts its own).

Starting and stopping `celery worker` costs seconds; the tests that need one (tasks in the schema of the town,
the resident import job, the nightly backup) share it. It runs on the test database, listens on a queue of its
own, and has its own jobs and backup staging directories.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.support.processes import database_url, stop

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Worker:
    queue: str  # also the worker's default queue, where the tasks it fans out go
    job_files: Path  # KYODO_JOB_FILES_DIR, shared with this process
    staging: Path  # KYODO_BACKUP_STAGING_DIR


@pytest.fixture(scope="session")
def shared_worker(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Worker]:
    """`celery worker` on the test database, listening on a queue of its own."""
    with django_db_blocker.unblock():
        settings_dict = dict(connection.settings_dict)
    base = tmp_path_factory.mktemp("celery-worker")
    worker = Worker(queue=f"test-{uuid.uuid4().hex[:8]}", job_files=base / "jobs", staging=base / "staging")
    worker.job_files.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(settings_dict),
        "KYODO_CELERY_QUEUE": worker.queue,
        "KYODO_JOB_FILES_DIR": str(worker.job_files),
        "KYODO_BACKUP_STAGING_DIR": str(worker.staging),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", worker.queue, "--pool", "solo", "-l",
         "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield worker
    finally:
        stop(proc)
