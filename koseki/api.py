"""REST views for auditors: the 交付履歴 (certificate issuance log) and the 受付帳 (notification log).

Access is the koseki module's (tenants.api_auth: 監査担当 and 事務職員 of this town), as for the resident
register's 交付履歴 (resident_records.api_logs): the 受付帳 is the 戸籍係's own book, and the platform's
rule is that a module's API never shuts out the module's clerks (tests/test_isolation.py). IT staff,
teachers and other towns are refused by the gate. Both lists are filterable by date range and kind,
paginated, and exported as streamed CSV with ``?format=csv``; every list and export writes an audit row
with its filters. No names or 本籍 leave through them (koseki.serializers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from common.filters import filters_for
from common.rest import CSVStreamRenderer, stream_csv
from koseki import selectors
from koseki.filters import KosekiIssuanceFilter, KosekiNotificationFilter
from koseki.models import CertificateIssuance, Notification
from koseki.serializers import (
    ISSUANCE_FIELDS,
    NOTIFICATION_FIELDS,
    KosekiIssuanceOut,
    KosekiNotificationOut,
)
from tenants.access import person_of

MODULE = "koseki"
TOKYO = ZoneInfo("Asia/Tokyo")


def _local(value: datetime | None) -> str:
    return value.astimezone(TOKYO).isoformat() if value else ""


class IssuanceLogView(GenericAPIView):
    """交付履歴 of koseki certificates (including 広域交付 issued here), JSON (paginated) or streamed CSV."""

    kyodo_module = MODULE
    serializer_class = KosekiIssuanceOut
    filterset_class = KosekiIssuanceFilter
    renderer_classes = [JSONRenderer, CSVStreamRenderer]

    def get_queryset(self) -> QuerySet[CertificateIssuance]:
        return CertificateIssuance.objects.order_by("-issued_at", "-id")

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"])],
        responses=KosekiIssuanceOut(many=True),
        summary="戸籍証明書の交付履歴 (氏名なし) / The koseki certificate issuance log, without names",
        description=(
            "戸籍証明書の交付履歴(この町で交付した広域交付を含む)。ページ分割した JSON、または ?format=csv で CSV。"
            "\n\nIssuances of koseki certificates (including 広域交付 issued here), as paginated JSON or CSV."
        ),
    )
    def get(self, request: Request) -> HttpResponseBase:
        filters = filters_for(self, request)
        export = request.accepted_renderer.format == "csv"
        rows = selectors.issuance_log(actor=person_of(request._request), filters=filters, export=export)
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
    filterset_class = KosekiNotificationFilter
    renderer_classes = [JSONRenderer, CSVStreamRenderer]

    def get_queryset(self) -> QuerySet[Notification]:
        return Notification.objects.order_by("-accepted_on", "-processed_at", "-id")

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"])],
        responses=KosekiNotificationOut(many=True),
        summary="受付帳 (氏名なし) / The koseki notification log, without names",
        description=(
            "受理したすべての届出(と移行データの読込み)を受理日順に。ページ分割した JSON、または ?format=csv で CSV。"
            "\n\nEvery accepted notification (and migration load) by date of acceptance, as paginated JSON or CSV."
        ),
    )
    def get(self, request: Request) -> HttpResponseBase:
        filters = filters_for(self, request)
        export = request.accepted_renderer.format == "csv"
        rows = selectors.notification_log(actor=person_of(request._request), filters=filters, export=export)
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
