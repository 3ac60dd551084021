"""Bulk import and export of the resident register through the API (layout: docs/resident_csv_layout.md).

Import (clerks only) takes a multipart upload and answers 202 with a background job (common.jobs,
resident_records.imports): a worker checks every row and registers nothing unless the whole file is valid;
``dry_run=true`` only checks. The job's URL gives its state, progress, and the result or the row-level errors.
Export (clerks and auditors) streams the register as CSV. Both move personal data in bulk, so both need a
purpose and both are audited.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpResponseBase
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from common import jobs
from common.errors import PermissionDenied
from common.models import Job, JobState
from common.rest import CSVStreamRenderer, stream_csv
from common.text import PrintableTextValidator
from resident_records import csv_io, imports
from resident_records.serializers import PurposeQuery
from tenants.access import person_of, request_roles
from tenants.models import Role

MODULE = "resident_records"


def _require(request: Request, roles: set[str], message: str) -> None:
    if not request_roles(request._request) & roles:
        raise PermissionDenied(message)


class ImportIn(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8 with BOM, UTF-8 or Shift_JIS), docs/resident_csv_layout.md")
    purpose = serializers.CharField(
        max_length=200, validators=[PrintableTextValidator("利用目的", 200)], help_text="利用目的 (audited)"
    )
    dry_run = serializers.BooleanField(default=False, help_text="Only check the file; register nothing.")


class ImportProgressOut(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    phase = serializers.CharField()
    percent = serializers.IntegerField()


class ImportResultOut(serializers.Serializer):
    dry_run = serializers.BooleanField()
    households = serializers.IntegerField()
    residents = serializers.IntegerField()
    first_atena_number = serializers.CharField()
    last_atena_number = serializers.CharField()


class RowErrorOut(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class ImportErrorOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    errors = RowErrorOut(many=True)  # type: ignore[assignment]  # the JSON key (this only documents a response)
    total = serializers.IntegerField()
    omitted = serializers.IntegerField()


class ImportJobOut(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    state = serializers.ChoiceField(choices=JobState.choices)
    state_label = serializers.CharField()
    finished = serializers.BooleanField()
    progress = ImportProgressOut()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    result = ImportResultOut(allow_null=True)
    error = ImportErrorOut(allow_null=True)
    status_url = serializers.CharField()


def _job_body(request: Request, job: Job) -> dict[str, Any]:
    url = reverse("api:resident_records:import_job", kwargs={"public_id": job.public_id})
    return {**jobs.status(job), "status_url": request.build_absolute_uri(url)}


class ResidentImportView(GenericAPIView):
    kyodo_module = MODULE
    serializer_class = ImportIn
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=ImportIn,
        responses={202: ImportJobOut},
        summary="住民の一括登録 (CSV, 非同期ジョブ) / Import residents (CSV) as a background job",
        description=(
            "docs/resident_csv_layout.md の形式の CSV を受け付け、取込みジョブとして実行します(全件か無か)。"
            "結果と行ごとの誤りは import/jobs/<id>/ で確認します。dry_run で検査のみ。\n\n"
            "Accepts a CSV in the layout of docs/resident_csv_layout.md and imports it as a background job (all or "
            "nothing); the result and the row errors are read from import/jobs/<id>/. dry_run only checks the file."
        ),
    )
    def post(self, request: Request) -> Response:
        # Registering residents is a clerk's act; the module also admits auditors, who only read.
        _require(request, {Role.CLERK}, "住民の一括登録は事務職員だけが行えます。")
        limit = imports.max_import_bytes()
        # Refuse an oversized body before reading it (the service checks the stored file's size again).
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + 64 * 1024:
            raise imports.too_large(limit)
        form = ImportIn(data=request.data)
        form.is_valid(raise_exception=True)
        job = imports.start_import(
            actor=person_of(request._request),
            upload=form.validated_data["file"],
            purpose=form.validated_data["purpose"],
            dry_run=form.validated_data["dry_run"],
        )
        return Response(_job_body(request, job), status=202)


class ResidentImportJobView(GenericAPIView):
    kyodo_module = MODULE
    serializer_class = ImportJobOut

    @extend_schema(responses={200: ImportJobOut}, summary="State, progress and outcome of an import job")
    def get(self, request: Request, public_id: str) -> Response:
        _require(request, {Role.CLERK}, "住民の一括登録は事務職員だけが行えます。")
        job = imports.get_import(actor=person_of(request._request), public_id=public_id)
        return Response(_job_body(request, job))


class ResidentExportView(GenericAPIView):
    kyodo_module = MODULE
    serializer_class = PurposeQuery
    renderer_classes = [CSVStreamRenderer, JSONRenderer]

    @extend_schema(
        parameters=[PurposeQuery, OpenApiParameter("format", str, enum=["csv"])],
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="住民の一括出力 (CSV、個人番号は出力しない) / Export the residents (CSV); 個人番号 is never exported",
        description=(
            "現在または指定日時点の住民を CSV で出力します。利用目的が必須で、監査ログに記録されます。\n\n"
            "The residents now or as of a date, as CSV. A purpose is required; the export is audited."
        ),
    )
    def get(self, request: Request) -> HttpResponseBase:
        _require(request, {Role.CLERK, Role.AUDITOR}, "住民の一括出力は事務職員と監査担当だけが行えます。")
        query = PurposeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        purpose: str = query.validated_data["purpose"]
        as_of: date | None = query.validated_data.get("as_of")
        rows = csv_io.export_residents(actor=person_of(request._request), purpose=purpose, as_of=as_of)
        name = f"residents-{as_of.isoformat()}.csv" if as_of else "residents.csv"
        return stream_csv(name, csv_io.header(), rows, lambda row: row)
