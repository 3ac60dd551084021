"""The chat's WebSocket through the real ASGI application (config.asgi) and the Redis channel layer: who may
connect (session, 2FA, town of the Host, same origin, channel membership), live delivery of a committed message,
and read marks sent over the socket (docs/domain/chat.md §3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from groupware.chat import selectors, services
from groupware.chat.models import Channel
from tests.support.people import verified_session
from tests.support.websocket import WebSocket


@pytest.fixture
def room(new_person: Any) -> dict[str, Any]:
    from django_tenants.utils import schema_context

    clerk = new_person("ws_clerk", nakatosa="clerk")
    vendor = new_person("ws_vendor", council="vendor")
    outsider = new_person("ws_outsider", nakatosa="clerk")
    with schema_context("nakatosa"):
        channel = services.create_channel(actor=clerk, kind="project", name="WS試験", member_ids=[vendor.pk])
    return {"clerk": clerk, "vendor": vendor, "outsider": outsider, "channel": channel}


def _socket(
    application: Any, channel: Channel, session: str | None, host: str = "nakatosa.localhost", origin: str = ""
) -> WebSocket:
    headers = [(b"host", host.encode()), (b"origin", (origin or f"http://{host}").encode())]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebSocket(application, f"/ws/chat/{channel.pk}/", headers)


def _connects(application: Any, channel: Channel, session: str | None, **kwargs: str) -> bool:
    async def attempt() -> bool:
        socket = _socket(application, channel, session, **kwargs)
        connected = await socket.connect()
        await socket.disconnect()
        return connected

    return async_to_sync(attempt)()


def test_a_member_connects_on_the_towns_host(application: Any, room: dict[str, Any]) -> None:
    assert _connects(application, room["channel"], verified_session(room["clerk"]))


def test_an_invited_vendor_connects_on_the_councils_host(application: Any, room: dict[str, Any]) -> None:
    session = verified_session(room["vendor"])
    assert _connects(application, room["channel"], session, host="council.localhost")


def test_a_vendor_is_refused_on_a_host_where_it_has_no_membership(application: Any, room: dict[str, Any]) -> None:
    assert not _connects(application, room["channel"], verified_session(room["vendor"]))


def test_someone_not_in_the_channel_is_refused(application: Any, room: dict[str, Any]) -> None:
    assert not _connects(application, room["channel"], verified_session(room["outsider"]))


def test_an_anonymous_socket_is_refused(application: Any, room: dict[str, Any]) -> None:
    assert not _connects(application, room["channel"], None)


def test_a_socket_from_another_origin_is_refused(application: Any, room: dict[str, Any]) -> None:
    session = verified_session(room["clerk"])
    assert not _connects(application, room["channel"], session, origin="https://evil.example")


def test_a_session_without_two_factor_is_refused(application: Any, room: dict[str, Any]) -> None:
    from django.test import Client

    client = Client()
    client.force_login(room["clerk"], backend="django.contrib.auth.backends.ModelBackend")
    assert not _connects(application, room["channel"], client.session.session_key)


def test_a_committed_message_reaches_the_connected_members(
    application: Any, room: dict[str, Any], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    def post() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return services.post_message(actor=room["clerk"], channel_id=room["channel"].pk, body="届きますか").pk

    async def scenario() -> tuple[int, dict[str, Any]]:
        socket = _socket(application, room["channel"], await sync_to_async(verified_session)(room["vendor"]),
                         host="council.localhost")  # fmt: skip
        connected = await socket.connect()
        assert connected
        posted = await sync_to_async(post)()
        event = await socket.receive_json()
        await socket.disconnect()
        return posted, event

    posted, event = async_to_sync(scenario)()
    assert event["type"] == "message"
    assert event["message"]["id"] == posted
    assert event["message"]["body"] == "届きますか"


def test_a_read_mark_sent_over_the_socket_is_recorded(application: Any, room: dict[str, Any]) -> None:
    message = services.post_message(actor=room["clerk"], channel_id=room["channel"].pk, body="読んでください")

    async def scenario() -> None:
        session = await sync_to_async(verified_session)(room["vendor"])
        socket = _socket(application, room["channel"], session, host="council.localhost")
        connected = await socket.connect()
        assert connected
        await socket.send_json({"type": "read", "upto": message.pk})
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()

    async_to_sync(scenario)()
    marks = {r.person_id: r.last_read_id for r in selectors.readers(room["channel"])}
    assert marks[room["vendor"].pk] == message.pk
