"""The clerk's CSV import pages: upload, the job's progress, its result with the row-level errors.

The upload is handed to ``imports.start_import`` (stored on disk, queued for a worker) and the clerk is sent to the
job's page, which polls the status JSON while the worker runs (docs/background_jobs.md). Nothing here reads the
file: a web request never parses a 50 MB import (docs/background_jobs.md).
"""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from common import jobs
from common.errors import ApplicationError, NotFound
from common.middleware import passive
from common.models import Job
from resident_records import imports
from resident_records.views import GATE, clerk_only, personal_data_page
from tenants.access import person_of

ERRORS_SHOWN = 500


class ImportForm(forms.Form):
    file = forms.FileField(
        label="取込ファイル(CSV)",
        help_text="UTF-8(BOM付き推奨)か Shift_JIS。列は docs/resident_csv_layout.md のとおり。",
        error_messages={"required": "取込ファイルを選んでください。"},
    )
    purpose = forms.CharField(
        label="利用目的",
        max_length=200,
        error_messages={
            "required": "利用目的を入力してください。",
            "max_length": "利用目的は200文字以内で入力してください。",
        },
    )
    dry_run = forms.BooleanField(label="検査だけを行う(登録しない)", required=False)


@clerk_only
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.start_import(
                actor=person_of(request),
                upload=form.cleaned_data["file"],
                purpose=form.cleaned_data["purpose"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            # The purpose given for the import is the purpose of the task: the job's page reads with it.
            GATE.remember(request, form.cleaned_data["purpose"])
            return redirect("resident_records:import_job", public_id=job.public_id)
    limit_mb = imports.max_import_bytes() // (1024 * 1024)
    return render(request, "resident_records/import.html", {"form": form, "nav": "import", "limit_mb": limit_mb})


def _job(request: HttpRequest, public_id: UUID, purpose: str | None = None) -> Job:
    try:
        if purpose is None:
            return imports.get_import(actor=person_of(request), public_id=str(public_id))
        return imports.view_import(actor=person_of(request), public_id=str(public_id), purpose=purpose)
    except NotFound as exc:
        raise Http404 from exc


@clerk_only
@require_GET
@personal_data_page()  # the row errors can quote the file's cells
def import_job_view(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
    job = _job(request, public_id, purpose)
    status = jobs.status(job, errors_limit=ERRORS_SHOWN)
    return render(request, "resident_records/import_job.html", {"job": job, "status": status, "nav": "import"})


@clerk_only
@require_GET
@passive  # polled every second by the job page: not activity, the idle timeout still applies
def import_job_status_view(request: HttpRequest, public_id: UUID) -> JsonResponse:
    job = _job(request, public_id)
    return JsonResponse(jobs.status(job, errors_limit=0), json_dumps_params={"ensure_ascii": False})
