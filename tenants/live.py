"""Ending the live connections (WebSockets) of a session or a person (docs/security.md "Live connections").

A page's access is checked on every request, but a WebSocket is checked once, at its handshake. So every live
consumer (the chat's, groupware.chat.consumers) joins two groups on the channel layer: one of its session and
one of its person. What ends a session or changes what a person may reach sends an event there after commit:

- ``end_session``: the session is over (logout). Its sockets close at once with ``SESSION_ENDED``.
- ``access_changed``: a membership granted, ended or edited, an account switched off, an emergency grant revoked,
  a chat channel's membership removed. The person's sockets re-check their access (session, account, membership,
  role, channel) and close with ``ACCESS_WITHDRAWN`` (or ``SESSION_ENDED``) when it is gone.

What ends with no event — the idle timeout, an emergency grant reaching its minute, a town made inactive — is
caught by each socket's own re-check every ``RECHECK_SECONDS``. The lower layers (tenants, bcp) only send; the
consumers live in the modules above them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from redis.exceptions import RedisError

from common.health import DEPENDENCY_ERRORS, note_degraded

# WebSocket close codes (4000–4999 are the application's, RFC 6455 §7.4.2); the page shows what each means.
SESSION_ENDED = 4401  # signed out or timed out: sign in again
ACCESS_WITHDRAWN = 4403  # still signed in, but no longer allowed here (membership, role, channel)
RECHECK_SECONDS = 60  # the safety net for what ends without an event (idle timeout, expiry to the minute)

END = "live.end"
RECHECK = "live.recheck"

LIVE_ERRORS: tuple[type[BaseException], ...] = (*DEPENDENCY_ERRORS, RedisError, OSError)


def session_group(session_key: str) -> str:
    # The session key is a credential: the group name carries a digest of it, never the key itself.
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def person_group(person_id: int) -> str:
    return f"person.{person_id}"


def _send(groups: list[str], event_type: str) -> None:
    layer = get_channel_layer()
    if layer is None or not groups:
        return

    async def send_all() -> None:
        for group in groups:
            await layer.group_send(group, {"type": event_type})

    try:
        async_to_sync(send_all)()
    except LIVE_ERRORS as exc:
        # Without Redis the event is lost: each socket's periodic re-check still closes it within RECHECK_SECONDS.
        note_degraded("live.revoke_skipped", exc)


def _after_commit(groups: list[str], event_type: str) -> None:
    transaction.on_commit(lambda: _send(groups, event_type))


def end_session(session_key: str | None) -> None:
    """Close every live connection of this session (after the current transaction commits)."""
    if session_key:
        _after_commit([session_group(session_key)], END)


def access_changed(person_ids: Iterable[Any]) -> None:
    """Make every live connection of these people re-check its access (after the current transaction commits)."""
    groups = sorted({person_group(int(pk)) for pk in person_ids if pk is not None})
    if groups:
        _after_commit(groups, RECHECK)
