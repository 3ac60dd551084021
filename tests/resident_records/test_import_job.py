"""The resident CSV import as a background job (docs/background_jobs.md): the clerk's upload page, the job page with
its progress
and result, the status JSON — and that no web request ever parses the file."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_tenants.utils import schema_context

from common.models import Job, JobState
from resident_records import csv_io, imports
from resident_records.models import Resident
from tests.resident_records.test_csv_io import PURPOSE, TODAY, row, to_csv, valid_rows
from tests.support.jobs import jobs_run_inline

IMPORT_PAGE = "/resident_records/import/"


@pytest.fixture(autouse=True)
def today() -> Iterator[None]:
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def job_files(tmp_path: Path) -> Iterator[Path]:
    with override_settings(KYODO_JOB_FILES_DIR=tmp_path):
        yield tmp_path


@pytest.fixture
def parsing_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any parse of the file during the web request fails the test."""

    def forbidden(**kwargs: Any) -> None:
        raise AssertionError("the web request parsed the import file")

    monkeypatch.setattr(csv_io, "import_csv", forbidden)


def _post(client: Any, data: bytes, **fields: Any) -> Any:
    upload = SimpleUploadedFile("移行データ.csv", data, content_type="text/csv")
    return client.post(IMPORT_PAGE, {"file": upload, "purpose": PURPOSE, **fields})


def test_the_upload_is_stored_and_queued_and_the_request_never_parses_it(
    client_for: Any, job_files: Path, parsing_forbidden: None, monkeypatch: pytest.MonkeyPatch, db: Any
) -> None:
    client = client_for("tanaka", "nakatosa")
    assert client.get(IMPORT_PAGE).status_code == 200
    data = to_csv(valid_rows())
    queued: list[int] = []
    monkeypatch.setattr("common.tasks.run_job.delay", queued.append)

    response = _post(client, data)

    assert response.status_code == 302
    with schema_context("nakatosa"):
        job = Job.objects.get(kind=imports.IMPORT_JOB, public_id=response["Location"].rstrip("/").split("/")[-1])
    assert job.state == JobState.QUEUED
    assert (job.input_name, job.input_size, job.purpose) == ("移行データ.csv", len(data), PURPOSE)
    assert (job_files / job.input_file).read_bytes() == data
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "待機中" in text
    assert "data-job-status-url" in text
    assert "<progress" in text
    status = client.get(f"{response['Location']}status/").json()
    assert (status["state"], status["finished"], status["progress"]["percent"]) == ("queued", False, 0)


def test_a_file_of_the_documented_size_is_accepted_in_one_short_request(
    client_for: Any, job_files: Path, parsing_forbidden: None, monkeypatch: pytest.MonkeyPatch, db: Any
) -> None:
    # docs/resident_csv_layout.md: up to 50 MB (約30万人分). The request only stores it; a worker imports it.
    header = to_csv([]).decode("utf-8-sig")
    line = to_csv([row()]).decode("utf-8-sig").split("\r\n", 1)[1]
    count = (imports.max_import_bytes() - len(header.encode()) - 1024) // len(line.encode())
    data = ("\ufeff" + header + line * count).encode()
    assert 49 * 1024 * 1024 < len(data) <= imports.max_import_bytes()
    monkeypatch.setattr("common.tasks.run_job.delay", lambda job_id: None)

    response = _post(client_for("tanaka", "nakatosa"), data)

    assert response.status_code == 302
    with schema_context("nakatosa"):
        job = Job.objects.get(public_id=response["Location"].rstrip("/").split("/")[-1])
    assert job.input_size == len(data)
    assert (job_files / job.input_file).stat().st_size == len(data)


def test_the_job_page_shows_the_result_once_the_worker_has_run_it(
    client_for: Any, job_files: Path, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for("tanaka", "nakatosa")
    with jobs_run_inline(monkeypatch, django_capture_on_commit_callbacks) as ran:
        response = _post(client, to_csv(valid_rows()))
    assert len(ran) == 1
    page = client.get(response["Location"]).content.decode()
    assert "2世帯 4人を登録しました" in page
    assert "data-job-status-url" not in page  # finished: nothing left to poll
    with schema_context("nakatosa"):
        assert Resident.objects.filter(family_name="検証", given_name="花子").exists()


def test_the_job_page_lists_the_row_errors_and_nothing_is_registered(
    client_for: Any, job_files: Path, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for("tanaka", "nakatosa")
    with schema_context("nakatosa"):
        before = Resident.objects.count()
    rows = [*valid_rows(), row(世帯番号="Z", 氏フリガナ="kensho"), row(世帯番号="Y", 生年月日="2026-02-30")]
    with jobs_run_inline(monkeypatch, django_capture_on_commit_callbacks):
        response = _post(client, to_csv(rows))
    page = client.get(response["Location"]).content.decode()
    assert "取込ファイルに誤りがあります。どの行も登録していません。" in page
    assert "誤りは2件です" in page
    assert "<td>6</td><td>氏フリガナ</td><td>氏フリガナはカタカナで入力してください。</td>" in page
    assert "存在しない日付です" in page
    with schema_context("nakatosa"):
        assert Resident.objects.count() == before


def test_a_dry_run_reports_without_registering(
    client_for: Any, job_files: Path, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for("tanaka", "nakatosa")
    with schema_context("nakatosa"):
        before = Resident.objects.count()
    with jobs_run_inline(monkeypatch, django_capture_on_commit_callbacks):
        response = _post(client, to_csv(valid_rows()), dry_run="on")
    assert "誤りはありません(2世帯 4人)。登録はしていません。" in client.get(response["Location"]).content.decode()
    with schema_context("nakatosa"):
        assert Resident.objects.count() == before


@override_settings(KYODO_IMPORT_MAX_BYTES=200)
def test_the_form_refuses_a_file_above_the_limit_and_a_missing_purpose(client_for: Any, job_files: Path) -> None:
    client = client_for("tanaka", "nakatosa")
    too_big = _post(client, to_csv(valid_rows()))
    assert too_big.status_code == 200
    assert "ファイルが大きすぎます" in too_big.content.decode()
    no_purpose = client.post(IMPORT_PAGE, {"file": SimpleUploadedFile("a.csv", b"x")})
    assert "利用目的を入力してください。" in no_purpose.content.decode()
    with schema_context("nakatosa"):
        assert not Job.objects.filter(kind=imports.IMPORT_JOB).exists()


def test_auditors_may_not_import_and_no_one_sees_another_clerks_job(
    client_for: Any, job_files: Path, new_person: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("common.tasks.run_job.delay", lambda job_id: None)
    auditor = client_for("auditor", "nakatosa")
    assert auditor.get(IMPORT_PAGE).status_code == 403
    assert _post(auditor, to_csv(valid_rows())).status_code == 403
    location = _post(client_for("tanaka", "nakatosa"), to_csv(valid_rows()))["Location"]
    new_person("import_other_clerk", nakatosa="clerk")
    other = client_for("import_other_clerk", "nakatosa")
    assert other.get(location, {"purpose": PURPOSE}).status_code == 302  # the job page is behind the purpose gate
    assert other.get(location).status_code == 404
    assert other.get(f"{location}status/").status_code == 404
    api = f"/api/v1/resident_records/import/jobs/{location.rstrip('/').split('/')[-1]}/"
    assert other.get(api, {"purpose": PURPOSE}).status_code == 404
    assert client_for("tanaka", "nakatosa").get(api, {"purpose": PURPOSE}).status_code == 200


def test_the_job_reads_the_file_from_disk_in_chunks_not_from_the_request(
    clerk_person: Any, job_files: Path, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    seen: list[Any] = []
    real = csv_io.import_csv

    def spy(**kwargs: Any) -> Any:
        seen.append(kwargs["data"])
        return real(**kwargs)

    monkeypatch.setattr(csv_io, "import_csv", spy)
    upload = SimpleUploadedFile("a.csv", to_csv(valid_rows()))
    with schema_context("nakatosa"), jobs_run_inline(monkeypatch, django_capture_on_commit_callbacks):
        job = imports.start_import(actor=clerk_person, upload=upload, purpose=PURPOSE, dry_run=True)
    assert len(seen) == 1
    assert isinstance(seen[0], io.BufferedReader)  # the stored file, streamed by the worker
    assert seen[0].name == str(job_files / job.input_file)


@pytest.fixture
def clerk_person(db: Any) -> Any:
    from tenants.models import Person

    return Person.objects.get(username="tanaka")
