"""A real Celery worker runs the resident import job: the web side only stores the upload and queues it; the
worker (another process) reads the file from the jobs directory, checks it, reports the outcome on the job."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import override_settings
from django_tenants.utils import schema_context

from common import tasks
from common.models import AuditEvent, Job, JobState
from resident_records import imports
from tenants.models import Person
from tests.resident_records.test_csv_io import to_csv, valid_rows
from tests.support.processes import database_url, stop

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def worker(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[tuple[str, Path]]:
    """`celery worker` on the test database, its own queue, and the jobs directory it shares with this process."""
    with django_db_blocker.unblock():
        settings_dict = dict(connection.settings_dict)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    files = tmp_path_factory.mktemp("jobs")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(settings_dict),
        "KYODO_CELERY_QUEUE": queue,
        "KYODO_JOB_FILES_DIR": str(files),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "--pool", "solo", "-l", "warning",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield queue, files
    finally:
        stop(proc)


def test_the_worker_imports_the_stored_upload_and_reports_on_the_job(
    django_db_blocker: Any, worker: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    queue, files = worker
    monkeypatch.setattr(tasks.run_job, "delay", lambda job_id: tasks.run_job.apply_async(args=[job_id], queue=queue))
    purpose = f"ワーカー試験 {uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock(), override_settings(KYODO_JOB_FILES_DIR=files), schema_context("nakatosa"):
        clerk = Person.objects.get(username="tanaka")
        # Outside any test transaction: the job is committed and queued for real; a dry run registers nobody.
        with transaction.atomic():
            job = imports.start_import(
                actor=clerk, upload=SimpleUploadedFile("a.csv", to_csv(valid_rows())), purpose=purpose, dry_run=True
            )
        stored = files / job.input_file
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.finished:
                break
            time.sleep(0.2)
        assert job.state == JobState.SUCCEEDED, (job.state, job.error_code, job.error_message)
        assert job.result["dry_run"] is True
        assert (job.result["households"], job.result["residents"]) == (2, 4)
        assert not stored.exists()
        checked = AuditEvent.objects.filter(action="resident.import_checked", purpose=purpose).get()
        assert checked.actor_id == clerk.pk
        assert checked.channel == "task"
        assert Job.objects.filter(pk=job.pk, started_at__isnull=False).exists()
