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
from common.rest import CSVStreamRenderer, stream_csv
from resident_records import selectors
from resident_records.errors import ResidentNotFound
from resident_records.models import ChangeEvent
from resident_records.serializers import EventOut, HistoryEntryOut, PurposeQuery, ResidentOut
from tenants.access import person_of

MODULE = "resident_records"


def _purpose(request: Request) -> tuple[str, Any]:
    query = PurposeQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["purpose"], query.validated_data.get("as_of") or local_today()


class ResidentDetailView(GenericAPIView):
    kyodo_module = MODULE
    serializer_class = ResidentOut

    @extend_schema(parameters=[PurposeQuery], summary="A resident's entry (now or as of a date)")
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
    serializer_class = HistoryEntryOut

    @extend_schema(parameters=[PurposeQuery], summary="Every recorded state of a resident, cancelled ones marked")
    def get(self, request: Request, atena_number: str) -> Response:
        purpose, _ = _purpose(request)
        resident = selectors.resident_by_atena_number(atena_number)
        records = selectors.view_resident_history(actor=person_of(request._request), resident=resident, purpose=purpose)
        return Response(HistoryEntryOut(records, many=True).data)


class HouseholdDetailView(GenericAPIView):
    kyodo_module = MODULE
    serializer_class = ResidentOut

    @extend_schema(parameters=[PurposeQuery], summary="A household's members (now or as of a date)")
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
    renderer_classes = [JSONRenderer, CSVStreamRenderer]

    def get_queryset(self) -> QuerySet[ChangeEvent]:
        return ChangeEvent.objects.none()  # for the schema; the list is selectors.change_event_log

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str),
            OpenApiParameter("since", str, description="異動日 from (YYYY-MM-DD)"),
            OpenApiParameter("until", str, description="異動日 up to (YYYY-MM-DD)"),
            OpenApiParameter("format", str, enum=["json", "csv"]),
        ],
        summary="The change-event log",
    )
    def get(self, request: Request) -> HttpResponseBase:
        export = request.accepted_renderer.format == "csv"
        events = selectors.change_event_log(
            actor=person_of(request._request),
            filters={k: str(request.query_params[k]) for k in ("kind", "since", "until") if k in request.query_params},
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
