"""REST views of the groupware (/api/v1/groupware/): entries, facilities and bookings. Each parses its input,
calls the same selector or service as the pages, and serializes (docs/domain/groupware.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import NotFound, PermissionDenied
from groupware import scim, selectors
from groupware.serializers import (
    GwBookingIn,
    GwBookingOut,
    GwBookingQuery,
    GwEventIn,
    GwEventOut,
    GwFacilityOut,
    GwOccurrenceOut,
    GwRangeQuery,
    GwRefusalOut,
    GwScimListOut,
    GwScimQuery,
    GwScimResourceOut,
)
from groupware.services import facilities as facility_service
from groupware.services import schedule
from tenants.access import person_of, request_roles
from tenants.models import ApiToken, Role

MODULE = "groupware"
CLASH = OpenApiResponse(
    GwRefusalOut, description="その時間帯は既に予約されている / The slot is already booked (code booking_clash)."
)
NO_FACILITY = OpenApiResponse(GwRefusalOut, description="施設が見つからない / No such facility you may book.")


class EventListView(APIView):
    kyodo_module = MODULE

    @extend_schema(
        parameters=[GwRangeQuery],
        responses=GwOccurrenceOut(many=True),
        summary="予定の一覧 / Schedule entries of people in a range",
        description=(
            "指定した職員(省略時は自分)の、期間内の予定(繰り返しは展開済み)。他人の非公開の予定は「予定あり」。\n\n"
            "Occurrences (repeats expanded) of the given people, or yourself, in the range; another person's "
            "private entry shows as 「予定あり」."
        ),
    )
    def get(self, request: Request) -> Response:
        query = GwRangeQuery(data={**request.query_params.dict(), "person": request.query_params.getlist("person")})
        query.is_valid(raise_exception=True)
        actor = person_of(request._request)
        people = query.validated_data.get("person") or [actor.pk]
        start = selectors.day_start(query.validated_data["start"])
        end = start + timedelta(days=query.validated_data["days"])
        found = selectors.occurrences_by_person(viewer_id=actor.pk, person_ids=people, start=start, end=end)
        rows = [{"person_id": person_id, **occ._asdict()} for person_id in people for occ in found.get(person_id, [])]
        return Response(GwOccurrenceOut(rows, many=True).data)

    @extend_schema(
        request=GwEventIn,
        responses={201: GwEventOut},
        summary="予定の登録 / Record a schedule entry",
        description=(
            "RRULE (RFC 5545) で繰り返しを指定できます。参加者は両町・協議会の職員ID。\n\n"
            "Repeats are an RFC 5545 RRULE; participants are person ids of either town or the council."
        ),
    )
    def post(self, request: Request) -> Response:
        payload = GwEventIn(data=request.data)
        payload.is_valid(raise_exception=True)
        event = schedule.create_event(actor=person_of(request._request), **payload.validated_data)
        return Response(GwEventOut(event).data, status=status.HTTP_201_CREATED)


class FacilityListView(APIView):
    kyodo_module = MODULE

    @extend_schema(
        responses=GwFacilityOut(many=True),
        summary="予約できる施設・設備 / Facilities you may book",
        description="自分が予約できる施設・設備と、その利用規則。\n\nThe facilities you may book, with their rules.",
    )
    def get(self, request: Request) -> Response:
        rows = selectors.facilities_for(actor=person_of(request._request))
        return Response(GwFacilityOut(rows, many=True).data)


class BookingListView(APIView):
    kyodo_module = MODULE

    @extend_schema(
        parameters=[GwBookingQuery],
        responses=GwBookingOut(many=True),
        summary="施設の予約状況 / Bookings of your facilities in a range",
        description=(
            "予約できる施設の、期間内の予約(承認待ち・確定)。\n\n"
            "Pending and confirmed bookings of the facilities you may book, in the range."
        ),
    )
    def get(self, request: Request) -> Response:
        query = GwBookingQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        actor = person_of(request._request)
        start = selectors.day_start(query.validated_data["start"])
        facility_ids = selectors.facilities_for(actor=actor).values_list("pk", flat=True)
        rows = selectors.bookings_between(
            facility_ids=facility_ids, start=start, end=start + timedelta(days=query.validated_data["days"])
        )
        return Response(GwBookingOut(rows, many=True).data)

    @extend_schema(
        request=GwBookingIn,
        responses={201: GwBookingOut, 404: NO_FACILITY, 409: CLASH},
        summary="施設の予約 / Book a facility slot",
        description=(
            "重なる予約はデータベースが拒否します(409 booking_clash)。承認が必要な施設は承認待ちになります。\n\n"
            "An overlapping booking is refused by the database (409 booking_clash); a facility needing approval "
            "starts pending."
        ),
    )
    def post(self, request: Request) -> Response:
        payload = GwBookingIn(data=request.data)
        payload.is_valid(raise_exception=True)
        booking = facility_service.book_facility(actor=person_of(request._request), **payload.validated_data)
        return Response(GwBookingOut(booking).data, status=status.HTTP_201_CREATED)


# --- SCIM 2.0 (read-only) -----------------------------------------------------------------------------------


class ScimTokenRequired(PermissionDenied):
    message = "SCIM は情報システム担当の APIトークンでのみ利用できます。"


class ScimView(APIView):
    """Read-only SCIM: an API token (never a browser session) of a person holding the IT staff role here."""

    kyodo_module = "directory"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not isinstance(request.auth, ApiToken):
            raise ScimTokenRequired()
        if Role.IT_ADMIN not in request_roles(request._request):
            raise ScimTokenRequired()

    def base(self, request: Request) -> str:
        return request.build_absolute_uri(reverse("api:directory:scim_users")).removesuffix("Users")

    def query(self, request: Request) -> dict[str, Any]:
        query = GwScimQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return {"filter_text": data["filter"], "start": data["startIndex"], "count": data["count"]}


SCIM_DESCRIPTION = (
    "情報システム担当の APIトークンで読み出します(ブラウザのセッションは不可)。\n\n"
    "Read with an API token of IT staff (never a browser session)."
)


class ScimUsersView(ScimView):
    @extend_schema(
        operation_id="directory_scim_users_list",
        parameters=[GwScimQuery],
        responses=GwScimListOut,
        summary="SCIM Users: この町の職員 / The town's staff",
        description=SCIM_DESCRIPTION,
    )
    def get(self, request: Request) -> Response:
        return Response(scim.list_users(base=self.base(request), **self.query(request)))


class ScimUserView(ScimView):
    @extend_schema(
        operation_id="directory_scim_user_retrieve",
        responses=GwScimResourceOut,
        summary="SCIM User: 職員1名 / One staff member",
        description=SCIM_DESCRIPTION,
    )
    def get(self, request: Request, person_id: int) -> Response:
        found = scim.get_user(base=self.base(request), person_id=person_id)
        if found is None:
            raise NotFound()
        return Response(found)


class ScimGroupsView(ScimView):
    @extend_schema(
        operation_id="directory_scim_groups_list",
        parameters=[GwScimQuery],
        responses=GwScimListOut,
        summary="SCIM Groups: この町の組織 / The town's organisation units",
        description=SCIM_DESCRIPTION,
    )
    def get(self, request: Request) -> Response:
        return Response(scim.list_groups(base=self.base(request), **self.query(request)))


class ScimGroupView(ScimView):
    @extend_schema(
        operation_id="directory_scim_group_retrieve",
        responses=GwScimResourceOut,
        summary="SCIM Group: 組織1件 / One organisation unit",
        description=SCIM_DESCRIPTION,
    )
    def get(self, request: Request, code: str) -> Response:
        found = scim.get_group(base=self.base(request), code=code)
        if found is None:
            raise NotFound()
        return Response(found)
