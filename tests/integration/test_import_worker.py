"""A real Celery worker runs the resident import job: the web side only stores the upload and queues it; the
worker (another process) reads the file from the jobs directory, checks it, reports the outcome on the job."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django_tenants.utils import schema_context

from common import tasks
from common.models import AuditEvent, Job, JobState
from resident_records import imports
from tenants.models import Person
from tests.integration.conftest import Worker
from tests.resident_records.test_csv_io import to_csv, valid_rows

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(shared_worker: Worker) -> tuple[str, Path]:
    """The session's `celery worker` (tests/integration/conftest.py): its queue, and the jobs directory it shares
    with this process."""
    return shared_worker.queue, shared_worker.job_files


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
