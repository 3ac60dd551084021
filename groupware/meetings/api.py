"""REST views of the meetings (/api/v1/groupware/meetings/): the same selectors as the pages, serialized
(docs/domain/meetings.md §7)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from groupware.meetings import selectors
from groupware.meetings.errors import MeetingNotFound
from groupware.meetings.models import Document
from groupware.meetings.serializers import MtMeetingDetailOut, MtMeetingOut
from groupware.serializers import GwRefusalOut
from tenants.access import person_of

MODULE = "groupware"


class MeetingListView(APIView):
    kyodo_module = MODULE

    @extend_schema(
        responses=MtMeetingOut(many=True),
        summary="参加する会議の一覧 / Meetings you take part in",
        description=(
            "自分が主催または参加する会議(両町・協議会)、新しい順。\n\n"
            "The meetings you organise or take part in (either town or the council), latest first."
        ),
    )
    def get(self, request: Request) -> Response:
        rows = selectors.meetings_for(actor=person_of(request._request))
        return Response(MtMeetingOut(rows, many=True).data)


def _document(meeting_id: int, document: Document) -> dict[str, Any]:
    url = reverse("groupware:meetings:document_pdf", args=[meeting_id, document.pk])
    return {"id": document.pk, "name": document.name, "size": document.size, "sha256": document.sha256, "url": url}


class MeetingDetailView(APIView):
    kyodo_module = MODULE

    @extend_schema(
        responses={
            200: MtMeetingDetailOut,
            404: OpenApiResponse(GwRefusalOut, description="参加していない会議 / Not a meeting of yours."),
        },
        summary="会議の詳細 / A meeting with its agenda, documents and minutes",
        description=(
            "参加者だけが読めます(他の職員には404)。資料のURLはPDFで、閲覧は監査記録に残ります。\n\n"
            "Participants only (404 for anyone else). Document URLs serve the PDF; each read is audited."
        ),
    )
    def get(self, request: Request, meeting_id: int) -> Response:
        page = selectors.meeting_page(actor=person_of(request._request), meeting_id=meeting_id)
        if page is None:
            raise MeetingNotFound()
        meeting = page.meeting
        data = {
            **MtMeetingOut(meeting).data,
            "description": meeting.description,
            "participants": page.participants,
            "agenda": [
                {
                    **{k: getattr(row.item, k) for k in ("order", "title", "presenter")},
                    "documents": [_document(meeting_id, d) for d in row.documents],
                }
                for row in page.agenda
            ],
            "documents": [_document(meeting_id, d) for d in page.general_documents],
            "minutes": page.minutes,
            "web_meeting_url": page.web_meeting.url if page.web_meeting else None,
        }
        return Response(MtMeetingDetailOut(data).data)
