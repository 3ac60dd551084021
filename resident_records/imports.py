"""The resident CSV import as a background job (docs/background_jobs.md, docs/resident_csv_layout.md).

``start_import`` is what the clerk's page and the API call: it checks the request, stores the upload on disk and
queues the job. ``run_import`` is the job's handler, run by a Celery worker: it streams the file from disk
through ``csv_io.import_csv`` (set-based, all or nothing) and reports progress. A web request never parses the
file, so one clerk's 50 MB migration file cannot hold a web worker (docs/background_jobs.md).
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from common import audit, jobs
from common.errors import ValidationFailed
from common.models import Job
from resident_records import csv_io
from tenants.models import Person

IMPORT_JOB = "resident_records.import"
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def max_import_bytes() -> int:
    return int(getattr(settings, "KYODO_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def too_large(limit: int) -> ValidationFailed:
    return ValidationFailed(
        f"ファイルが大きすぎます({limit // (1024 * 1024)}MB まで)。分割して取り込んでください。",
        code="import_too_large",
        details={"max_bytes": limit},
        status_code=413,
    )


def start_import(*, actor: Person, upload: UploadedFile, purpose: str, dry_run: bool = False) -> Job:
    """Queue the import (or the check, with ``dry_run``) of an uploaded CSV file; returns the job."""
    purpose = " ".join((purpose or "").split())
    if not purpose:
        raise ValidationFailed("一括登録の目的を入力してください。", code="purpose_required")
    limit = max_import_bytes()
    if (upload.size or 0) > limit:
        raise too_large(limit)
    return jobs.start_job(
        actor=actor,
        kind=IMPORT_JOB,
        purpose=purpose,
        params={"dry_run": dry_run},
        upload=upload,
        personal_data=True,
    )


def run_import(run: jobs.JobRun) -> dict[str, Any]:
    """The job: check the whole file and, without any error and unless a dry run, register it."""
    job = run.job
    dry_run = bool(job.params.get("dry_run"))
    if run.path is None:
        raise jobs.JobFailed("取込ファイルがありません。", code="import_file_missing")

    def progress(done: int, total: int, phase: str) -> None:
        run.progress(done=done, total=total, phase=phase)

    try:
        with run.path.open("rb") as stream:
            report = csv_io.import_csv(
                actor=cast(Person | None, run.actor), data=stream, purpose=job.purpose, dry_run=dry_run,
                progress=progress, audit_obj=("common.Job", str(job.public_id)),
            )  # fmt: skip
    except csv_io.ImportInvalid as exc:  # not a CSV file at all: undecodable, empty
        errors = exc.details.get("errors", []) if isinstance(exc.details, dict) else []
        raise jobs.JobFailed(exc.message, code=exc.code, errors=errors) from exc
    summary = {"dry_run": dry_run, "households": report.households, "residents": report.residents}
    # import_csv wrote the check's or the refusal's audit row (one per import, linked to this job).
    if report.errors:
        raise jobs.JobFailed(
            csv_io.ImportInvalid.message,
            code=csv_io.ImportInvalid.code,
            errors=[error.as_dict() for error in report.errors[: jobs.MAX_STORED_ERRORS]],
            total=len(report.errors),
        )
    result = report.result
    return {
        **summary,
        "first_atena_number": result.first_atena_number if result else "",
        "last_atena_number": result.last_atena_number if result else "",
    }


def get_import(*, actor: Person, public_id: str) -> Job:
    """An import job of ``actor`` (anyone else's is "not found")."""
    return jobs.get_job(actor=actor, public_id=public_id, kind=IMPORT_JOB)


def view_import(*, actor: Person, public_id: str, purpose: str) -> Job:
    """An import job of ``actor`` with its report, read for ``purpose`` and audited.

    The row errors of a refused file can quote its cells (a date as typed, a 世帯番号 of the source system), so
    reading the report is a read of personal data (docs/audit.md). The status the job page polls leaves the row
    errors out and goes through ``get_import``.
    """
    job = get_import(actor=actor, public_id=public_id)
    audit.record(
        actor=actor,
        action="resident.import_report",
        obj=("common.Job", str(job.public_id)),
        purpose=purpose,
        personal_data=True,
        details={"state": job.state, "errors": job.error_total},
    )
    return job
