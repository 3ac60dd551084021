from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.models import AuditEvent

AUDIT_CSV_HEADER = [
    "seq", "occurred_at", "actor_username", "actor_name", "role", "action", "object_type", "object_id",
    "object_repr", "personal_data", "purpose", "client_ip", "terminal", "channel", "request_id", "row_hash",
]  # fmt: skip


@extend_schema_field(OpenApiTypes.STR)
class PeriodBoundField(serializers.Field):
    """A date (whole day, Asia/Tokyo) or an ISO 8601 date-time."""

    def __init__(self, *, end: bool = False, **kwargs: Any) -> None:
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> datetime:
        text = str(data).strip()
        try:
            if len(text) == 10:
                day = datetime.strptime(text, "%Y-%m-%d").date()
                moment = datetime.combine(day + timedelta(days=1) if self.end else day, time.min)
                return timezone.make_aware(moment)
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise serializers.ValidationError(
                "日付は YYYY-MM-DD か ISO 8601 形式の日時で指定してください。", code="invalid_date"
            ) from exc
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


class AuditQuery(serializers.Serializer):
    since = PeriodBoundField(required=False, help_text="From this date (inclusive) or date-time.")
    until = PeriodBoundField(required=False, end=True, help_text="Up to this date (inclusive) or date-time.")
    actor = serializers.CharField(required=False, max_length=64, help_text="Login id of the actor.")
    action = serializers.CharField(required=False, max_length=100, help_text="Exact action, or a prefix ending in '*'.")
    person = serializers.CharField(
        required=False,
        max_length=32,
        help_text="宛名番号: the reads that showed this person (listed in the row's details.persons).",
    )
    trail = serializers.ChoiceField(
        choices=["town", "council"],
        required=False,
        default="town",
        help_text="'council' on the council host only.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": "終了日は開始日以降にしてください。"}, code="invalid_period")
        return attrs


class AuditEventOut(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "seq", "occurred_at", "trail", "actor_id", "actor_username", "actor_name", "role", "action",
            "object_type", "object_id", "object_repr", "personal_data", "purpose", "client_ip", "terminal",
            "channel", "request_id", "details", "chain_seq", "prev_hash", "row_hash",
        ]  # fmt: skip
        read_only_fields = fields


def audit_csv_row(event: AuditEvent) -> list[Any]:
    return [
        event.seq,
        timezone.localtime(event.occurred_at).isoformat(),
        event.actor_username,
        event.actor_name,
        event.role,
        event.action,
        event.object_type,
        event.object_id,
        event.object_repr,
        "1" if event.personal_data else "0",
        event.purpose,
        event.client_ip or "",
        event.terminal,
        event.channel,
        event.request_id,
        event.row_hash,
    ]
