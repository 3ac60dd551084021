"""Background jobs: long operations (large imports; later billing and payroll runs) run by a Celery worker,
never inside a web request (docs/background_jobs.md).

The service API, used the same way by every kind of job::

    job = jobs.start_job(actor=clerk, kind="resident_records.import", purpose=..., upload=request.FILES["file"])
    # ... in the worker, the handler registered for the kind receives a JobRun:
    run.progress(done=1200, total=300_000, phase="検査中")
    # ... and its return value (or the ApplicationError it raises) is written by finish_job.

* The job row lives in the town's schema and names its owner by id and name snapshot (no key into public).
* An upload is copied to disk in chunks (``KYODO_JOB_FILES_DIR``, readable by the owner only) and removed when
  the job finishes; the web request never parses it.
* The worker claims the job under a session advisory lock on its id: a redelivered task (a worker lost
  mid-run, ``CELERY_TASK_ACKS_LATE``) runs a job again only if no other worker holds it and it has not
  finished. Handlers are all-or-nothing, so a second run after a crash starts from a clean state.
* Progress goes to the cache, not to the row: the handler's own transaction is invisible until it commits,
  and the poller must see progress while it runs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from common import audit, context
from common.audit import Actor
from common.errors import ApplicationError, NotFound
from common.models import Job, JobState
from common.tenancy import current_schema

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
PROGRESS_TTL_SECONDS = 24 * 3600
MAX_STORED_ERRORS = 10_000  # row-level errors kept on the job; the total is kept as a count


@dataclass
class JobRun:
    """What a handler receives: the job, its owner (None if the person no longer exists) and its input file."""

    job: Job
    actor: Actor | None
    path: Path | None

    def progress(self, *, done: int, total: int, phase: str = "") -> None:
        report_progress(job=self.job, done=done, total=total, phase=phase)


Handler = Callable[[JobRun], dict[str, Any]]
_HANDLERS: dict[str, Handler] = {}


class JobFailed(ApplicationError):
    """Raised by a handler whose input is refused: the message, and the row-level errors if any."""

    code = "job_failed"
    message = "処理を完了できませんでした。"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        total: int | None = None,
    ) -> None:
        self.errors = errors or []
        self.total = total if total is not None else len(self.errors)
        super().__init__(message, code=code, details={"total": self.total})


class UnknownJobKind(ApplicationError):
    code = "unknown_job_kind"
    message = "不明な処理の種類です。"


def register(kind: str, handler: Handler) -> None:
    """Register the handler of a kind of job (from the owning app's ``AppConfig.ready``)."""
    existing = _HANDLERS.get(kind)
    if existing is not None and existing is not handler:
        raise ValueError(f"job kind {kind!r} is registered twice")
    _HANDLERS[kind] = handler


def files_dir() -> Path:
    return Path(getattr(settings, "KYODO_JOB_FILES_DIR", Path(settings.BASE_DIR) / "var" / "jobs"))


def _store_upload(upload: UploadedFile, public_id: uuid.UUID) -> tuple[str, int]:
    """Copy the upload to the jobs directory in chunks (Django already spooled a large one to a temp file)."""
    relative = Path(current_schema()) / f"{public_id.hex}.upload"
    target = files_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Personal data: readable by the service user only.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    size = 0
    with os.fdopen(fd, "wb") as out:
        for chunk in upload.chunks(CHUNK_BYTES):
            out.write(chunk)
            size += len(chunk)
    return str(relative), size


def _input_path(job: Job) -> Path | None:
    return files_dir() / job.input_file if job.input_file else None


def start_job(
    *,
    actor: Actor,
    kind: str,
    purpose: str = "",
    params: dict[str, Any] | None = None,
    upload: UploadedFile | None = None,
    personal_data: bool = False,
) -> Job:
    """Record a job and queue it for a worker (after commit). The upload, if any, is stored on disk first."""
    if kind not in _HANDLERS:
        raise UnknownJobKind(details={"kind": kind})
    public_id = uuid.uuid4()
    input_file, size = _store_upload(upload, public_id) if upload is not None else ("", 0)
    ctx = context.current()
    try:
        with transaction.atomic():
            job = Job.objects.create(
                public_id=public_id,
                kind=kind,
                owner_id=actor.pk,
                owner_name=actor.full_name,
                purpose=(purpose or "").strip()[:200],
                params={
                    **(params or {}),
                    # The worker writes its rows under the context of the request that asked for the job.
                    "_context": {"terminal": ctx.terminal, "client_ip": ctx.client_ip, "request_id": ctx.request_id},
                },
                input_file=input_file,
                input_name=(upload.name or "")[:255] if upload is not None else "",
                input_size=size,
                created_at=timezone.now(),
            )
            audit.record(
                actor=actor,
                action="job.start",
                obj=("common.Job", str(job.public_id), kind),
                purpose=job.purpose,
                personal_data=personal_data,
                details={"kind": kind, "input_size": size},
            )
            schema = current_schema()
            transaction.on_commit(lambda: _enqueue(job.pk, schema))
    except BaseException:
        _remove_input(input_file)
        raise
    return job


def _enqueue(job_id: int, schema: str) -> None:
    from common.tasks import run_job as run_job_task

    with schema_context(schema):
        run_job_task.delay(job_id)  # tenant-schemas-celery: the task runs in the schema it was queued in


def _progress_key(job: Job) -> str:
    return f"kyodo-job-progress:{job.public_id.hex}"  # the cache key function adds the schema


def report_progress(*, job: Job, done: int, total: int, phase: str = "") -> None:
    cache.set(_progress_key(job), {"done": done, "total": total, "phase": phase}, PROGRESS_TTL_SECONDS)


def _remove_input(relative: str) -> None:
    if relative:
        (files_dir() / relative).unlink(missing_ok=True)


def finish_job(*, job: Job, result: dict[str, Any] | None = None, error: ApplicationError | None = None) -> Job:
    """Write the outcome (a result, or an error with its row-level report) and remove the input file."""
    progress = cache.get(_progress_key(job)) or {}
    job.finished_at = timezone.now()
    job.progress_total = int(progress.get("total", 0))
    job.progress_done = int(progress.get("done", 0))
    if error is None:
        job.state = JobState.SUCCEEDED
        job.result = result or {}
        job.progress_done = job.progress_total
    else:
        job.state = JobState.FAILED
        job.error_code, job.error_message = error.code, error.message
        if isinstance(error, JobFailed):
            job.error_report = error.errors[:MAX_STORED_ERRORS]
            job.error_total = error.total
    job.save(
        update_fields=[
            "state", "result", "error_code", "error_message", "error_report", "error_total", "finished_at",
            "progress_done", "progress_total",
        ]
    )  # fmt: skip
    _remove_input(job.input_file)
    cache.delete(_progress_key(job))
    return job


def _lock_key(job: Job) -> int:
    digest = hashlib.sha256(f"kyodo-job:{current_schema()}:{job.pk}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _claim(job_id: int) -> Job | None:
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_lock_key(job)])
        if not cursor.fetchone()[0]:
            return None  # another worker runs it right now
    job.refresh_from_db()
    if job.finished:
        _release(job)
        return None
    job.state, job.started_at = JobState.RUNNING, timezone.now()
    job.save(update_fields=["state", "started_at"])
    return job


def _release(job: Job) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_key(job)])


def run_job(job_id: int) -> Job | None:
    """Run one queued job in the current schema (what the Celery task calls). Safe to call twice."""
    job = _claim(job_id)
    if job is None:
        return None
    saved = job.params.get("_context", {})
    token = context.activate(
        context.RequestContext(
            request_id=str(saved.get("request_id") or uuid.uuid4().hex),
            client_ip=saved.get("client_ip"),
            terminal=str(saved.get("terminal") or ""),
            person_id=job.owner_id,
            channel="task",
        )
    )
    try:
        handler = _HANDLERS.get(job.kind)
        if handler is None:
            return finish_job(job=job, error=UnknownJobKind(details={"kind": job.kind}))
        run = JobRun(job=job, actor=get_user_model().objects.filter(pk=job.owner_id).first(), path=_input_path(job))
        try:
            result = handler(run)
        except ApplicationError as exc:
            return finish_job(job=job, error=exc)
        except Exception:
            logger.exception("job %s (%s) crashed", job.public_id, job.kind)
            finish_job(job=job, error=ApplicationError("処理中に予期しないエラーが発生しました。", code="job_crashed"))
            raise
        return finish_job(job=job, result=result)
    finally:
        context.deactivate(token)
        _release(job)


# --- reads -------------------------------------------------------------------------------------------


def get_job(*, actor: Actor, public_id: uuid.UUID | str, kind: str) -> Job:
    """The job of this kind that ``actor`` started; someone else's job is "not found" (not "forbidden")."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFound() from exc
    job = Job.objects.filter(public_id=key, kind=kind, owner_id=actor.pk).first()
    if job is None:
        raise NotFound()
    return job


def status(job: Job, *, errors_limit: int = 500) -> dict[str, Any]:
    """What the job page polls: state, progress, and once finished the result or the error report."""
    if job.finished:
        done, total, phase = job.progress_done, job.progress_total, ""
    else:
        progress = cache.get(_progress_key(job)) or {}
        done, total, phase = int(progress.get("done", 0)), int(progress.get("total", 0)), str(progress.get("phase", ""))
    body: dict[str, Any] = {
        "id": str(job.public_id),
        "kind": job.kind,
        "state": job.state,
        "state_label": JobState(job.state).label,
        "finished": job.finished,
        "progress": {
            "done": done,
            "total": total,
            "phase": phase,
            "percent": 100 if job.state == JobState.SUCCEEDED else (min(99, done * 100 // total) if total else 0),
        },
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "result": job.result if job.state == JobState.SUCCEEDED else None,
        "error": None,
    }
    if job.state == JobState.FAILED:
        shown = job.error_report[:errors_limit]
        body["error"] = {
            "code": job.error_code,
            "message": job.error_message,
            "errors": shown,
            "total": job.error_total,
            "omitted": max(job.error_total - len(shown), 0),
        }
    return body
