"""REST views for auditors: the 交付履歴 (certificate issuance log) and the 受付帳 (notification log).

Access is the koseki module's (tenants.api_auth: 監査担当 and 事務職員 of this town), as for the resident
register's 交付履歴 (resident_records.api_logs): the 受付帳 is the 戸籍係's own book, and the platform's
rule is that a module's API never shuts out the module's clerks (tests/test_isolation.py). IT staff,
teachers and other towns are refused by the gate. Both lists are filterable by date range and kind,
paginated, and exported as streamed CSV with ``?format=csv``; every list and export writes an audit row
with its filters. No names or 本籍 leave through them (koseki.serializers).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from common import audit
from common.rest import CSVStreamRenderer, stream_csv
from koseki.models import CertificateIssuance, Notification
from koseki.serializers import (
    ISSUANCE_FIELDS,
    NOTIFICATION_FIELDS,
    KosekiIssuanceOut,
    KosekiIssuanceQuery,
    KosekiNotificationOut,
    KosekiNotificationQuery,
)
from tenants.access import person_of

MODULE = "koseki"
TOKYO = ZoneInfo("Asia/Tokyo")

AUDIT_LABELS = {
    "koseki.issuance_log": "戸籍: 交付履歴の閲覧",
    "koseki.issuance_log_export": "戸籍: 交付履歴の出力",
    "koseki.notification_log": "戸籍: 届出受付帳の閲覧",
    "koseki.notification_log_export": "戸籍: 届出受付帳の出力",
}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TOKYO)


def _local(value: datetime | None) -> str:
    return value.astimezone(TOKYO).isoformat() if value else ""


def _audit(request: Request, action: str, filters: dict[str, Any]) -> None:
    audit.record(
        actor=person_of(request._request),
        action=action,
        details={k: str(v) for k, v in filters.items() if v not in (None, "")},
    )


class IssuanceLogView(GenericAPIView):
    """交付履歴 of koseki certificates (including 広域交付 issued here), JSON (paginated) or streamed CSV."""

    kyodo_module = MODULE
    serializer_class = KosekiIssuanceOut
    renderer_classes = [JSONRenderer, CSVStreamRenderer]

    def get_queryset(self) -> QuerySet[CertificateIssuance]:
        return CertificateIssuance.objects.order_by("-issued_at", "-id")

    @extend_schema(
        parameters=[KosekiIssuanceQuery, OpenApiParameter("format", str, enum=["json", "csv"])],
        summary="The koseki certificate issuance log (交付履歴), without names",
    )
    def get(self, request: Request) -> HttpResponseBase:
        query = KosekiIssuanceQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        rows = self.get_queryset()
        if filters.get("since"):
            rows = rows.filter(issued_at__gte=_day_start(filters["since"]))
        if filters.get("until"):
            rows = rows.filter(issued_at__lt=_day_start(filters["until"] + timedelta(days=1)))
        if filters.get("kind"):
            rows = rows.filter(kind=filters["kind"])
        if filters.get("wide_area") is not None:
            rows = rows.filter(wide_area=filters["wide_area"])
        export = request.accepted_renderer.format == "csv"
        _audit(request, "koseki.issuance_log_export" if export else "koseki.issuance_log", filters)
        if export:

            def row(issuance: CertificateIssuance) -> list[Any]:
                return [
                    issuance.number, issuance.kind, issuance.get_kind_display(), _local(issuance.issued_at),
                    issuance.issued_by_name, issuance.koseki_number, int(issuance.wide_area),
                    issuance.holding_town_code, issuance.requester_relation,
                    issuance.get_requester_relation_display(), issuance.id_document, issuance.purpose, issuance.fee,
                    issuance.page_count, len(issuance.member_keys or []),
                ]  # fmt: skip

            return stream_csv("koseki-issuances.csv", ISSUANCE_FIELDS, rows.iterator(chunk_size=500), row)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(KosekiIssuanceOut(page, many=True).data)


class NotificationLogView(GenericAPIView):
    """受付帳: every accepted 届出 (and 移行 load), by 受理日, JSON (paginated) or streamed CSV."""

    kyodo_module = MODULE
    serializer_class = KosekiNotificationOut
    renderer_classes = [JSONRenderer, CSVStreamRenderer]

    def get_queryset(self) -> QuerySet[Notification]:
        return Notification.objects.order_by("-accepted_on", "-processed_at", "-id")

    @extend_schema(
        parameters=[KosekiNotificationQuery, OpenApiParameter("format", str, enum=["json", "csv"])],
        summary="The koseki notification log (受付帳), without names",
    )
    def get(self, request: Request) -> HttpResponseBase:
        query = KosekiNotificationQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        rows = self.get_queryset()
        if filters.get("since"):
            rows = rows.filter(accepted_on__gte=filters["since"])
        if filters.get("until"):
            rows = rows.filter(accepted_on__lte=filters["until"])
        if filters.get("kind"):
            rows = rows.filter(kind=filters["kind"])
        export = request.accepted_renderer.format == "csv"
        _audit(request, "koseki.notification_log_export" if export else "koseki.notification_log", filters)
        if export:

            def row(notification: Notification) -> list[Any]:
                return [
                    notification.number, notification.kind, notification.get_kind_display(),
                    notification.event_date.isoformat(), notification.notified_on.isoformat(),
                    notification.accepted_on.isoformat(), notification.notifier_capacity,
                    " ".join(notification.koseki_numbers or []), notification.actor_name,
                    _local(notification.processed_at),
                    notification.due_on.isoformat() if notification.due_on else "", notification.is_late,
                ]  # fmt: skip

            return stream_csv("koseki-notifications.csv", NOTIFICATION_FIELDS, rows.iterator(chunk_size=500), row)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(KosekiNotificationOut(page, many=True).data)
