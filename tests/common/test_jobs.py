"""common.jobs: the background job record, its service API (start_job / report_progress / finish_job) and the
runner the Celery task calls."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_tenants.utils import schema_context

from common import jobs, tasks
from common.errors import ApplicationError, NotFound
from common.models import AuditEvent, Job, JobState
from tenants.models import Person

KIND = "tests.echo"
seen: dict[str, Any] = {}


def _echo(run: jobs.JobRun) -> dict[str, Any]:
    """A handler that reads its file, reports progress and fails on request."""
    assert run.path is not None
    text = run.path.read_text(encoding="utf-8")
    run.progress(done=1, total=4, phase="読み込み")
    seen["status_while_running"] = jobs.status(Job.objects.get(pk=run.job.pk))
    seen["actor"] = run.actor
    if text == "refuse":
        raise jobs.JobFailed(
            "取込ファイルに誤りがあります。", code="bad", errors=[{"row": 2, "column": "", "message": "x"}]
        )
    if text == "app-error":
        raise ApplicationError("業務上の理由で中止しました。", code="stopped")
    if text == "crash":
        raise RuntimeError("bug")
    return {"length": len(text), "params": run.job.params.get("n")}


jobs.register(KIND, _echo)


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture(autouse=True)
def job_files(tmp_path: Path) -> Iterator[Path]:
    with override_settings(KYODO_JOB_FILES_DIR=tmp_path):
        yield tmp_path


def _start(clerk: Person, content: str, monkeypatch: pytest.MonkeyPatch, capture: Any) -> tuple[Job, list[int]]:
    queued: list[int] = []
    monkeypatch.setattr(tasks.run_job, "delay", queued.append)
    with schema_context("nakatosa"), capture(execute=True):
        job = jobs.start_job(
            actor=clerk,
            kind=KIND,
            purpose="テスト",
            params={"n": 7},
            upload=SimpleUploadedFile("in.txt", content.encode()),
        )
    return job, queued


def test_start_job_stores_the_upload_privately_records_the_job_and_queues_it_after_commit(
    clerk: Person, job_files: Path, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    job, queued = _start(clerk, "hello", monkeypatch, django_capture_on_commit_callbacks)

    assert queued == [job.pk]
    stored = job_files / job.input_file
    assert stored.read_text() == "hello"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert job.input_file.startswith("nakatosa/")
    with schema_context("nakatosa"):
        row = Job.objects.get(pk=job.pk)
        assert (row.state, row.owner_id, row.owner_name, row.input_size) == (
            JobState.QUEUED,
            clerk.pk,
            clerk.full_name,
            5,
        )
        started = AuditEvent.objects.filter(action="job.start").order_by("-seq").first()
        assert started is not None
        assert started.object_id == str(job.public_id)
    with schema_context("shimanto"):
        assert not Job.objects.filter(public_id=job.public_id).exists()  # the town's own schema


def test_run_job_runs_the_handler_once_reports_progress_and_keeps_the_result(
    clerk: Person, job_files: Path, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    job, _ = _start(clerk, "hello", monkeypatch, django_capture_on_commit_callbacks)
    with schema_context("nakatosa"):
        done = jobs.run_job(job.pk)
        assert done is not None
        assert done.state == JobState.SUCCEEDED
        assert done.result == {"length": 5, "params": 7}
        assert jobs.run_job(job.pk) is None  # a redelivered task finds the job finished
        status = jobs.status(Job.objects.get(pk=job.pk))
    running = seen["status_while_running"]
    assert (running["state"], running["finished"]) == ("running", False)
    assert running["progress"] == {"done": 1, "total": 4, "phase": "読み込み", "percent": 25}
    assert seen["actor"] == clerk
    assert (status["state"], status["progress"]["percent"], status["result"]) == ("succeeded", 100, done.result)
    assert not (job_files / job.input_file).exists()  # the upload is removed once the job has finished


@pytest.mark.parametrize(
    ("content", "code", "message", "errors"),
    [
        ("refuse", "bad", "取込ファイルに誤りがあります。", [{"row": 2, "column": "", "message": "x"}]),
        ("app-error", "stopped", "業務上の理由で中止しました。", []),
    ],
)
def test_a_refused_job_keeps_its_message_and_row_errors(
    clerk: Person,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    content: str,
    code: str,
    message: str,
    errors: list[Any],
) -> None:
    job, _ = _start(clerk, content, monkeypatch, django_capture_on_commit_callbacks)
    with schema_context("nakatosa"):
        jobs.run_job(job.pk)
        status = jobs.status(Job.objects.get(pk=job.pk))
    assert status["state"] == "failed"
    assert status["result"] is None
    assert status["error"] == {"code": code, "message": message, "errors": errors, "total": len(errors), "omitted": 0}


def test_a_crashing_handler_fails_the_job_and_the_task_sees_the_exception(
    clerk: Person, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    job, _ = _start(clerk, "crash", monkeypatch, django_capture_on_commit_callbacks)
    with schema_context("nakatosa"), pytest.raises(RuntimeError, match="bug"):
        jobs.run_job(job.pk)
    with schema_context("nakatosa"):
        failed = Job.objects.get(pk=job.pk)
    assert (failed.state, failed.error_code) == (JobState.FAILED, "job_crashed")


def test_only_the_owner_finds_a_job_and_only_under_its_kind(
    clerk: Person, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any, new_person: Any
) -> None:
    job, _ = _start(clerk, "hello", monkeypatch, django_capture_on_commit_callbacks)
    other = new_person("jobs_other_clerk", nakatosa="clerk")
    with schema_context("nakatosa"):
        assert jobs.get_job(actor=clerk, public_id=str(job.public_id), kind=KIND).pk == job.pk
        for actor, kind, public_id in (
            (other, KIND, str(job.public_id)),
            (clerk, "resident_records.import", str(job.public_id)),
            (clerk, KIND, "not-a-uuid"),
        ):
            with pytest.raises(NotFound):
                jobs.get_job(actor=actor, public_id=public_id, kind=kind)


def test_an_unknown_kind_is_refused(clerk: Person) -> None:
    with schema_context("nakatosa"), pytest.raises(jobs.UnknownJobKind):
        jobs.start_job(actor=clerk, kind="tests.nothing", purpose="テスト")
