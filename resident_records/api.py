"""REST API of the resident register (clerks, auditors). Reads are personal data: a purpose is required and
every read is audited. Residents are addressed by 宛名番号, households by 世帯番号; an unknown number and a
number of another town are answered alike (404)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from common.dates import local_today
from common.filters import filters_for
from common.rest import CSVStreamRenderer, stream_csv
from resident_records import selectors
from resident_records.errors import ResidentNotFound
from resident_records.filters import ChangeEventFilter
from resident_records.models import ChangeEvent
from resident_records.serializers import EventOut, HistoryEntryOut, HouseholdOut, PurposeQuery, ResidentOut
from tenants.access import person_of

MODULE = "resident_records"


def _purpose(request: Request) -> tuple[str, Any]:
    query = PurposeQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["purpose"], query.validated_data.get("as_of") or local_today()


class ResidentDetailView(GenericAPIView):
    kyodo_module = MODULE
    serializer_class = ResidentOut

    @extend_schema(
        parameters=[PurposeQuery],
        summary="住民の記録 (現在または指定日時点) / A resident's entry (now or as of a date)",
        description=(
            "宛名番号で住民の記録を返します。利用目的が必須で、閲覧は監査ログに記録されます。\n\n"
            "A resident's entry by 宛名番号. A purpose is required; every read is audited."
        ),
    )
    def get(self, request: Request, atena_number: str) -> Response:
        purpose, as_of = _purpose(request)
        resident = selectors.resident_by_atena_number(atena_number)
        if selectors.resident_as_of(resident, as_of) is None:
            raise ResidentNotFound(f"{as_of} 時点の記録はありません。")
        view = selectors.view_resident(
            actor=person_of(request._request), resident=resident, purpose=purpose, as_of=as_of, with_household=False
        )
        return Response(ResidentOut(view.entry).data)


class ResidentHistoryView(GenericAPIView):
    kyodo_module = MODULE
    filter_backends = []  # filters are read by the view's own query serializer; no model queryset to filter
    serializer_class = HistoryEntryOut
    pagination_class = None  # the whole history, in one answer

    @extend_schema(
        parameters=[PurposeQuery],
        responses=HistoryEntryOut(many=True),
        summary="住民の履歴 (取消分も表示) / Every recorded state of a resident, cancelled ones marked",
        description=(
            "住民の記録のすべての版(取り消された異動も印付きで)。利用目的が必須で、監査ログに記録されます。\n\n"
            "Every recorded state of a resident, cancelled ones marked. A purpose is required; audited."
        ),
    )
    def get(self, request: Request, atena_number: str) -> Response:
        purpose, _ = _purpose(request)
        resident = selectors.resident_by_atena_number(atena_number)
        records = selectors.view_resident_history(actor=person_of(request._request), resident=resident, purpose=purpose)
        return Response(HistoryEntryOut(records, many=True).data)


class HouseholdDetailView(GenericAPIView):
    kyodo_module = MODULE
    serializer_class = ResidentOut

    @extend_schema(
        parameters=[PurposeQuery],
        responses=HouseholdOut,
        summary="世帯の構成員 (現在または指定日時点) / A household's members (now or as of a date)",
        description=(
            "世帯番号で世帯の構成員を返します。利用目的が必須で、構成員ごとに監査ログに記録されます。\n\n"
            "The members of a household by its number. A purpose is required; each member's read is audited."
        ),
    )
    def get(self, request: Request, number: str) -> Response:
        purpose, as_of = _purpose(request)
        household = selectors.household_by_number(number)
        view = selectors.view_household(
            actor=person_of(request._request), household=household, purpose=purpose, as_of=as_of
        )
        return Response(
            {"number": household.number, "as_of": as_of, "members": ResidentOut(view.members, many=True).data}
        )


class EventListView(GenericAPIView):
    """The 異動 log (no names: event facts and numbers only), JSON or streamed CSV."""

    kyodo_module = MODULE
    serializer_class = EventOut
    filterset_class = ChangeEventFilter
    renderer_classes = [JSONRenderer, CSVStreamRenderer]

    def get_queryset(self) -> QuerySet[ChangeEvent]:
        return ChangeEvent.objects.none()  # for the schema; the list is selectors.change_event_log

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"])],
        responses=EventOut(many=True),
        summary="異動の記録 (氏名なし) / The change-event log, without names",
        description=(
            "異動の記録(氏名を含まず、異動の事実と番号のみ)。ページ分割した JSON、または ?format=csv で CSV。\n\n"
            "The 異動 log (event facts and numbers only), as paginated JSON or a streamed CSV (?format=csv)."
        ),
    )
    def get(self, request: Request) -> HttpResponseBase:
        export = request.accepted_renderer.format == "csv"
        events = selectors.change_event_log(
            actor=person_of(request._request),
            filters=filters_for(self, request),
            export=export,
        )
        if export:
            header = ["id", "kind", "kind_label", "event_date", "notified_on", "processed_at", "ex_officio",
                      "cancelled", "household_number", "reason", "actor_name"]  # fmt: skip

            def row(event: ChangeEvent) -> list[Any]:
                return [
                    event.pk, event.kind, event.get_kind_display(), event.event_date, event.notified_on or "",
                    event.processed_at.isoformat(), int(event.ex_officio), int(hasattr(event, "cancelled_by")),
                    event.household.number if event.household else "", event.reason, event.actor_name,
                ]  # fmt: skip

            return stream_csv("resident-events.csv", header, events.iterator(chunk_size=2000), row)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(EventOut(page, many=True).data)
