"""Bulk import and export of the resident register through the API (layout: docs/resident_csv_layout.md).

Import (clerks only) takes a multipart upload, checks every row and registers nothing unless the whole file
is valid; ``dry_run=true`` only checks. Export (clerks and auditors) streams the register as CSV. Both move
personal data in bulk, so both need a purpose and both are audited.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import PermissionDenied, ValidationFailed
from common.rest import CSVStreamRenderer, stream_csv
from common.text import PrintableTextValidator
from resident_records import csv_io
from resident_records.serializers import PurposeQuery
from tenants.access import person_of, request_roles
from tenants.models import Role

MODULE = "resident_records"
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def max_import_bytes() -> int:
    return int(getattr(settings, "KYODO_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _require(request: Request, roles: set[str], message: str) -> None:
    if not request_roles(request._request) & roles:
        raise PermissionDenied(message)


class ImportIn(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8 with BOM, UTF-8 or Shift_JIS), docs/resident_csv_layout.md")
    purpose = serializers.CharField(
        max_length=200, validators=[PrintableTextValidator("利用目的", 200)], help_text="利用目的 (audited)"
    )
    dry_run = serializers.BooleanField(default=False, help_text="Only check the file; register nothing.")


class ImportOut(serializers.Serializer):
    dry_run = serializers.BooleanField()
    households = serializers.IntegerField()
    residents = serializers.IntegerField()
    first_atena_number = serializers.CharField()
    last_atena_number = serializers.CharField()


class ResidentImportView(GenericAPIView):
    kyodo_module = MODULE
    serializer_class = ImportIn
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=ImportIn,
        responses={201: ImportOut, 200: ImportOut},
        summary="住民の一括登録 (CSV) / Import residents (CSV)",
        description=(
            "docs/resident_csv_layout.md の形式の CSV を一括登録します(全件か無か)。dry_run で検査のみ。\n\n"
            "Import residents from a CSV in the layout of docs/resident_csv_layout.md (all or nothing); "
            "dry_run only checks the file."
        ),
    )
    def post(self, request: Request) -> Response:
        # Registering residents is a clerk's act; the module also admits auditors, who only read.
        _require(request, {Role.CLERK}, "住民の一括登録は事務職員だけが行えます。")
        limit = max_import_bytes()
        # Refuse an oversized body before reading it (the header is checked again against the file itself).
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + 64 * 1024:
            raise _too_large(limit)
        form = ImportIn(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        if upload.size > limit:
            raise _too_large(limit)
        purpose, dry_run = form.validated_data["purpose"], form.validated_data["dry_run"]
        actor = person_of(request._request)
        report = csv_io.import_csv(actor=actor, data=upload.read(), purpose=purpose, dry_run=dry_run)
        if report.errors:
            raise csv_io.ImportInvalid(details=report.error_details())
        result = report.result
        body = {
            "dry_run": dry_run,
            "households": report.households,
            "residents": report.residents,
            "first_atena_number": result.first_atena_number if result else "",
            "last_atena_number": result.last_atena_number if result else "",
        }
        return Response(body, status=200 if dry_run else 201)


def _too_large(limit: int) -> ValidationFailed:
    return ValidationFailed(
        f"ファイルが大きすぎます({limit // (1024 * 1024)}MB まで)。分割して取り込んでください。",
        code="import_too_large",
        details={"max_bytes": limit},
        status_code=413,
    )


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
