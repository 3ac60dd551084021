"""REST views of the bulletin and the workflow (/api/v1/groupware/notices/, requests/): the same selectors and
services as the pages, the same rights (docs/domain/groupware.md §10)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import NotFound
from groupware import selectors
from groupware.models import WorkflowRequest
from groupware.serializers import (
    GwDecisionIn,
    GwNoticeDetailOut,
    GwNoticeOut,
    GwRefusalOut,
    GwRequestDetailOut,
    GwRequestIn,
    GwRequestOut,
)
from groupware.services import bulletin, workflow
from tenants.access import person_of

MODULE = "groupware"
NOT_FOUND = OpenApiResponse(GwRefusalOut, description="見つからない、閲覧できない / Not found or not yours to see.")


class NoticeListView(GenericAPIView):
    kyodo_module = MODULE
    serializer_class = GwNoticeOut

    def get_queryset(self) -> QuerySet[WorkflowRequest]:
        return WorkflowRequest.objects.none()  # for the schema; the list is selectors.notices_for

    @extend_schema(
        responses=GwNoticeOut(many=True),
        summary="お知らせの一覧 / Notices you may read",
        description=(
            "この町と協議会全体のお知らせのうち、閲覧できるものすべて(新しい順、ページ送り)と既読かどうか。\n\n"
            "All the notices of this town and the council-wide ones that you may read, newest first, paginated, "
            "with whether you have read each."
        ),
    )
    def get(self, request: Request) -> Response:
        rows = selectors.NoticeList(actor=person_of(request._request))
        page: list[Any] | None = self.paginate_queryset(rows)  # type: ignore[arg-type]
        return self.get_paginated_response(GwNoticeOut(page, many=True).data)


def _notice_detail(request: Request, pk: int, *, council_wide: bool) -> Response:
    page = selectors.notice_page(actor=person_of(request._request), notice_id=pk, council_wide=council_wide)
    if page is None:
        raise NotFound()
    not_read = page.not_read
    payload = {
        "notice": page.notice,
        "attachments": [a.name for a in page.attachments],
        "comments": page.comments,
        "readers": page.readers,
        "not_read": None if not_read is None else [{"person_id": i, "person_name": n} for i, n in not_read],
    }
    return Response(GwNoticeDetailOut(payload).data)


NOTICE_DETAIL = (
    "本文、添付ファイル名、コメント。掲示者と情報システム担当には既読者と未読者も。開いても既読にはなりません"
    "(既読は read/ への POST)。\n\n"
    "Body, file names and comments; for its author and IT staff also who has and has not read it. Reading "
    "through the API marks nothing (POST read/ does)."
)
MARK_READ = "既読を記録します(1人1回、最初の1回)。\n\nRecords your read receipt (once per person; the first counts)."


class NoticeView(APIView):
    kyodo_module = MODULE

    @extend_schema(
        responses={200: GwNoticeDetailOut, 404: NOT_FOUND},
        summary="お知らせ / One notice of this town",
        description=NOTICE_DETAIL,
    )
    def get(self, request: Request, pk: int) -> Response:
        return _notice_detail(request, pk, council_wide=False)


class CouncilNoticeView(APIView):
    kyodo_module = MODULE

    @extend_schema(
        responses={200: GwNoticeDetailOut, 404: NOT_FOUND},
        summary="協議会全体のお知らせ / One council-wide notice",
        description=NOTICE_DETAIL,
    )
    def get(self, request: Request, pk: int) -> Response:
        return _notice_detail(request, pk, council_wide=True)


class NoticeReadView(APIView):
    kyodo_module = MODULE

    @extend_schema(
        request=None,
        responses={204: None, 404: NOT_FOUND},
        summary="お知らせを既読にする / Mark a notice of this town read",
        description=MARK_READ,
    )
    def post(self, request: Request, pk: int) -> Response:
        bulletin.record_read(actor=person_of(request._request), notice_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CouncilNoticeReadView(APIView):
    kyodo_module = MODULE

    @extend_schema(
        request=None,
        responses={204: None, 404: NOT_FOUND},
        summary="協議会全体のお知らせを既読にする / Mark a council-wide notice read",
        description=MARK_READ,
    )
    def post(self, request: Request, pk: int) -> Response:
        bulletin.record_read(actor=person_of(request._request), notice_id=pk, council_wide=True)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- workflow -----------------------------------------------------------------------------------------------


class RequestListView(GenericAPIView):
    kyodo_module = MODULE
    serializer_class = GwRequestOut

    def get_queryset(self) -> QuerySet[WorkflowRequest]:
        return WorkflowRequest.objects.none()  # for the schema; the list is selectors.my_requests_query

    @extend_schema(
        responses=GwRequestOut(many=True),
        summary="自分の申請 / Your requests",
        description=(
            "自分が申請者または提出者(代理申請)である申請(新しい順、ページ送り)。\n\n"
            "Requests you applied for or submitted for someone (代理申請), newest first, paginated."
        ),
    )
    def get(self, request: Request) -> Response:
        rows = selectors.my_requests_query(actor=person_of(request._request))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(GwRequestOut(page, many=True).data)

    @extend_schema(
        request=GwRequestIn,
        responses={201: GwRequestOut, 404: NOT_FOUND},
        summary="申請する / Submit a new request",
        description=(
            "様式の既定の経路で申請します(経路の変更・添付・代理申請は画面から)。\n\n"
            "Submits with the form's own route (changing the route, attachments and 代理申請 are on the pages)."
        ),
    )
    def post(self, request: Request) -> Response:
        payload = GwRequestIn(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        created = workflow.submit_request(
            actor=person_of(request._request), form_id=data["form_id"], title=data["title"], data=data["values"]
        )
        return Response(GwRequestOut(created).data, status=status.HTTP_201_CREATED)


class AwaitingRequestListView(GenericAPIView):
    kyodo_module = MODULE
    serializer_class = GwRequestOut

    def get_queryset(self) -> QuerySet[WorkflowRequest]:
        return WorkflowRequest.objects.none()  # for the schema; the list is selectors.requests_awaiting_query

    @extend_schema(
        responses=GwRequestOut(many=True),
        summary="承認待ちの申請 / Requests awaiting your approval",
        description=(
            "自分(または代理承認を任された人)の承認を待っている申請(受信箱、古い順、ページ送り)。\n\n"
            "Requests whose current step waits for you or for someone you approve for (代理承認): the inbox, "
            "oldest first, paginated."
        ),
    )
    def get(self, request: Request) -> Response:
        rows = selectors.requests_awaiting_query(actor=person_of(request._request))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(GwRequestOut(page, many=True).data)


class RequestView(APIView):
    kyodo_module = MODULE

    @extend_schema(
        responses={200: GwRequestDetailOut, 404: NOT_FOUND},
        summary="申請 / One request",
        description=(
            "申請者・提出者・経路上の人とその代理者だけが見られます。\n\n"
            "Only its applicant, submitter, the people on its route and their proxies see it."
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        found = selectors.request_for(actor=person_of(request._request), request_id=pk)
        if found is None:
            raise NotFound()
        return Response(GwRequestDetailOut(found).data)


class RequestApproveView(APIView):
    kyodo_module = MODULE

    @extend_schema(
        request=GwDecisionIn,
        responses={200: GwRequestOut, 404: NOT_FOUND},
        summary="申請を承認する / Approve the request",
        description=(
            "現在のステップの承認者(またはその代理者)として承認します。自己承認はできません。\n\n"
            "Approves as an approver of the current step (or their proxy); never one's own request."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        payload = GwDecisionIn(data=request.data)
        payload.is_valid(raise_exception=True)
        actor = person_of(request._request)
        if selectors.request_for(actor=actor, request_id=pk) is None:
            raise NotFound()
        decided = workflow.approve_request(actor=actor, request_id=pk, comment=payload.validated_data["comment"])
        return Response(GwRequestOut(decided).data)
