"""REST of the chat: /api/v1/chat/ (channels, messages, read marks) and /api/v1/chat_export/ (the compliance
export, auditors only). Each view parses, calls the same selector or service as the pages, and serializes
(docs/domain/chat.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.rest import CSVStreamRenderer, stream_csv
from groupware.chat import selectors, services
from groupware.chat.models import Channel, Message
from tenants.access import person_of


class ChatChannelOut(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["id", "kind", "name", "town_schema", "unit_code", "retention_days"]


class ChatAttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()


class ChatMessageOut(serializers.Serializer):
    id = serializers.IntegerField()
    channel = serializers.IntegerField()
    thread = serializers.IntegerField(
        source="parent", allow_null=True, help_text="返信先のスレッド(最初のメッセージのID) / The thread replied to"
    )
    author_id = serializers.IntegerField()
    author = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    time = serializers.CharField(help_text="投稿日時(日本時間) / Posted at, Asia/Tokyo")
    replies = serializers.IntegerField()
    attachments = ChatAttachmentOut(many=True)
    read_count = serializers.IntegerField(help_text="既読の人数(投稿者を除く) / Readers other than the author")
    read_by = serializers.ListField(child=serializers.CharField(), help_text="既読の人 / Who has read it")


class ChatMessageIn(serializers.Serializer):
    body = serializers.CharField(max_length=services.MAX_BODY, allow_blank=True, required=False, default="")
    thread = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="返信するメッセージのID / The message replied to"
    )
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ChatReadIn(serializers.Serializer):
    upto = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class ChatReadOut(serializers.Serializer):
    upto = serializers.IntegerField()


class ChatRefusalOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField()


class ChatExportQuery(serializers.Serializer):
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class ChatExportRowOut(serializers.Serializer):
    id = serializers.IntegerField()
    channel_id = serializers.IntegerField()
    channel = serializers.CharField()
    kind = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    author_id = serializers.IntegerField()
    author = serializers.CharField()
    created_at = serializers.DateTimeField()
    body = serializers.CharField()
    attachments = serializers.ListField(child=serializers.CharField())


NOT_MEMBER = OpenApiResponse(
    ChatRefusalOut,
    description="チャンネルがない、または参加していない / No such channel, or not a member (code channel_not_member).",
)


def _channel(request: Request, pk: int) -> Channel:
    channel = selectors.channel_for(actor=person_of(request._request), channel_id=pk)
    if channel is None:
        raise services.NotChannelMember()
    return channel


class ChannelListView(APIView):
    kyodo_module = "chat"

    @extend_schema(
        responses=ChatChannelOut(many=True),
        summary="チャットのチャンネル一覧 / Chat channels you reach",
        description="参加しているチャンネル(町・組織・協議会全体・招待されたもの)。\n\nThe channels you reach.",
    )
    def get(self, request: Request) -> Response:
        return Response(ChatChannelOut(selectors.channels_for(actor=person_of(request._request)), many=True).data)


class MessageListView(APIView):
    kyodo_module = "chat"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        parameters=[OpenApiParameter("after", int, description="このIDより後 / Only messages after this id")],
        responses={200: ChatMessageOut(many=True), 404: NOT_MEMBER},
        summary="チャンネルのメッセージ / Messages of a channel",
        description="新しい100件(返信は数のみ)。\n\nThe newest 100 top-level messages, oldest first.",
    )
    def get(self, request: Request, pk: int) -> Response:
        channel = _channel(request, pk)
        after = request.query_params.get("after", "0")
        rows = selectors.messages(channel=channel, after_id=int(after) if after.isdigit() else 0)
        marks = selectors.readers(channel)
        return Response(ChatMessageOut([selectors.payload(row, marks) for row in rows], many=True).data)

    @extend_schema(
        request={"multipart/form-data": ChatMessageIn, "application/json": ChatMessageIn},
        responses={201: ChatMessageOut, 404: NOT_MEMBER},
        summary="メッセージの投稿 / Post a message to a channel",
        description=(
            "参加しているチャンネルへの投稿(返信は thread、添付は files)。"
            "参加していなければ 404 channel_not_member で、何も記録されない。本文・返信先・添付の誤りは 400 "
            "(message_invalid, parent_not_found, file_too_large)。\n\nPost to a channel you reach; otherwise 404 "
            "channel_not_member and nothing is written; a bad body, thread or file is a 400."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ChatMessageIn(data={"body": request.data.get("body", ""), "thread": request.data.get("thread") or None})
        data.is_valid(raise_exception=True)
        actor = person_of(request._request)
        message = services.post_message(
            actor=actor, channel_id=pk, body=data.validated_data["body"], parent_id=data.validated_data["thread"],
            files=request.FILES.getlist("files"),
        )  # fmt: skip
        marks = selectors.readers(_channel(request, pk))
        return Response(ChatMessageOut(selectors.payload(message, marks)).data, status=status.HTTP_201_CREATED)


class ReadView(APIView):
    kyodo_module = "chat"

    @extend_schema(
        request=ChatReadIn,
        responses={200: ChatReadOut, 404: NOT_MEMBER},
        summary="既読にする / Mark a channel read",
        description=(
            "指定のID(省略時は最新)まで既読にする。\n\nMark the channel read up to the id (default: the latest)."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ChatReadIn(data=request.data)
        data.is_valid(raise_exception=True)
        upto = services.mark_read(actor=person_of(request._request), channel_id=pk, upto_id=data.validated_data["upto"])
        return Response({"upto": upto})


def _export_row(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "channel_id": message.channel_id,
        "channel": message.channel.name,
        "kind": message.channel.kind,
        "parent_id": message.parent_id,
        "author_id": message.author_id,
        "author": message.author_name,
        "created_at": message.created_at.isoformat(),
        "body": message.body,
        "attachments": [a.name for a in message.attachments.all()],
    }


def _json_lines(rows: Iterator[Message]) -> Iterator[str]:
    """A JSON array written one message at a time: the export never holds the whole trail in memory."""
    yield "["
    for n, message in enumerate(rows):
        yield ("," if n else "") + json.dumps(_export_row(message), ensure_ascii=False)
    yield "]"


CSV_HEADER = [
    "id",
    "channel_id",
    "channel",
    "kind",
    "parent_id",
    "author_id",
    "author",
    "created_at",
    "body",
    "attachments",
]


class ExportView(APIView):
    kyodo_module = "chat_export"
    renderer_classes = [JSONRenderer, CSVStreamRenderer]

    @extend_schema(
        parameters=[ChatExportQuery, OpenApiParameter("format", str, enum=["json", "csv"])],
        responses={200: ChatExportRowOut(many=True)},
        summary="チャットのコンプライアンス用エクスポート / Compliance export of the chat",
        description=(
            "町の画面では町のチャンネルと協議会全体のチャンネル、協議会の画面では全チャンネルのメッセージを古い順に逐次出力"
            "(JSON 配列または CSV)。エクスポートは監査記録に残る。\n\nEvery message of the town's and the council-wide "
            "channels (all channels on the council host), oldest first, streamed as a JSON array or CSV; audited."
        ),
    )
    def get(self, request: Request) -> HttpResponseBase:
        query = ChatExportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = services.export_messages(
            actor=person_of(request._request), since=query.validated_data.get("since"),
            until=query.validated_data.get("until"),
        )  # fmt: skip
        if request.accepted_renderer.format == "csv":
            return stream_csv("chat-export.csv", CSV_HEADER, (_export_row(m) for m in rows), _csv_cells)
        response = StreamingHttpResponse(_json_lines(rows), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="chat-export.json"'
        return response


def _csv_cells(row: dict[str, Any]) -> list[Any]:
    return [*(row[name] for name in CSV_HEADER[:-1]), " / ".join(row["attachments"])]
