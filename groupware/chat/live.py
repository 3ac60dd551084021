"""Live delivery (docs/domain/chat.md §3): after a write commits, its event goes to the channel's group on the
channel layer (channels-redis); the consumers of that group forward it to their browsers."""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from common.health import DEPENDENCY_ERRORS, note_degraded

# What a send may meet when Redis is away: the cache's dependency errors, or the socket's own.
LIVE_ERRORS: tuple[type[BaseException], ...] = (*DEPENDENCY_ERRORS, OSError)


def group_name(channel_id: int) -> str:
    return f"chat.{channel_id}"


def send_now(channel_id: int, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        # Serialised once here, not once per socket: a consumer forwards the text as it is (no work per recipient).
        text = json.dumps(event, cls=DjangoJSONEncoder)
        async_to_sync(layer.group_send)(group_name(channel_id), {"type": "chat.event", "text": text})
    except LIVE_ERRORS as exc:
        # Without Redis only the live copy is lost: the message is committed and the pages poll for it.
        note_degraded("chat.live_skipped", exc)


def publish(channel_id: int, event: dict[str, Any]) -> None:
    """Send ``event`` to the channel's live clients once the current transaction has committed."""
    transaction.on_commit(lambda: send_now(channel_id, event))
