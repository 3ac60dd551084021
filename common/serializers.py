from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from common.models import AuditEvent

AUDIT_CSV_HEADER = [
    "seq", "occurred_at", "actor_username", "actor_name", "role", "action", "object_type", "object_id",
    "object_repr", "personal_data", "purpose", "client_ip", "terminal", "channel", "request_id", "row_hash",
]  # fmt: skip


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
