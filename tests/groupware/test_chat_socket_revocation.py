"""An open chat socket loses its access when the session or the access behind it ends (docs/domain/chat.md §3.9,
tenants.live): logout closes it at once (4401), removal from the channel or an ended membership makes it re-check
and close (4403), a switched-off account or an expired session closes it (4401); nothing is delivered afterwards,
and the other members' sockets are untouched."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tenants.utils import schema_context

from groupware.chat import services
from tenants import live as access_live
from tenants import services as tenant_services
from tenants.models import Membership, Municipality
from tests.support.people import session_client, verified_session
from tests.support.websocket import WebSocket


@pytest.fixture
def room(new_person: Any) -> dict[str, Any]:
    clerk = new_person("wsr_clerk", nakatosa="clerk")
    vendor = new_person("wsr_vendor", council="vendor")
    with schema_context("nakatosa"):
        channel = services.create_channel(actor=clerk, kind="project", name="WS失効試験", member_ids=[vendor.pk])
    return {"clerk": clerk, "vendor": vendor, "channel": channel}


@pytest.fixture
def committing(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[Callable[[], Any]], Any]:
    """Run a write as if it committed: its on-commit sends (live events) go out."""

    def run(write: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return write()

    return run


def _socket(application: Any, channel_id: int, session: str, host: str) -> WebSocket:
    headers = [
        (b"host", host.encode()),
        (b"origin", f"http://{host}".encode()),
        (b"cookie", f"sessionid={session}".encode()),
    ]
    return WebSocket(application, f"/ws/chat/{channel_id}/", headers)


async def _closed_with(socket: WebSocket, timeout: float = 5) -> int:
    output = await socket.receive_output(timeout)
    assert output["type"] == "websocket.close", output
    return int(output["code"])


def _post(committing: Callable[..., Any], room: dict[str, Any], body: str) -> int:
    return int(
        committing(lambda: services.post_message(actor=room["clerk"], channel_id=room["channel"].pk, body=body)).pk
    )


def test_logout_closes_the_sessions_socket(application: Any, room: dict[str, Any], committing: Any) -> None:
    session = verified_session(room["clerk"])

    def logout() -> None:
        committing(lambda: session_client("nakatosa.localhost", session).post("/accounts/logout/"))

    async def scenario() -> int:
        socket = _socket(application, room["channel"].pk, session, "nakatosa.localhost")
        assert await socket.connect()
        await sync_to_async(logout)()
        code = await _closed_with(socket)
        await socket.disconnect()
        return code

    assert async_to_sync(scenario)() == access_live.SESSION_ENDED


def test_removed_from_the_channel_no_more_messages_and_closed(
    application: Any, room: dict[str, Any], committing: Any
) -> None:
    def remove() -> None:
        with schema_context("nakatosa"):
            committing(
                lambda: services.remove_member(
                    actor=room["clerk"], channel_id=room["channel"].pk, person_id=room["vendor"].pk
                )
            )

    async def scenario() -> tuple[int, dict[str, Any], bool]:
        vendor_socket = _socket(application, room["channel"].pk, await sync_to_async(verified_session)(room["vendor"]),
                                "council.localhost")  # fmt: skip
        clerk_socket = _socket(application, room["channel"].pk, await sync_to_async(verified_session)(room["clerk"]),
                               "nakatosa.localhost")  # fmt: skip
        assert await vendor_socket.connect()
        assert await clerk_socket.connect()
        await sync_to_async(remove)()
        code = await _closed_with(vendor_socket)
        await sync_to_async(_post)(committing, room, "外した後のメッセージ")
        clerk_event = await clerk_socket.receive_json()
        vendor_silent = await vendor_socket.receive_nothing(timeout=0.5)
        await vendor_socket.disconnect()
        await clerk_socket.disconnect()
        return code, clerk_event, vendor_silent

    code, clerk_event, vendor_silent = async_to_sync(scenario)()
    assert code == access_live.ACCESS_WITHDRAWN
    assert vendor_silent
    assert clerk_event["message"]["body"] == "外した後のメッセージ"


def test_a_vendor_membership_ended_closes_its_socket(application: Any, room: dict[str, Any], committing: Any) -> None:
    membership = Membership.objects.get(person=room["vendor"])
    yesterday = timezone.localdate() - timedelta(days=1)

    def end() -> None:
        committing(
            lambda: tenant_services.grant_membership(
                actor=None, person=room["vendor"], municipality=Municipality.objects.get(schema_name="council"),
                role=membership.role, valid_from=membership.valid_from, valid_to=max(yesterday, date(2000, 1, 1)),
            )
        )  # fmt: skip

    async def scenario() -> int:
        session = await sync_to_async(verified_session)(room["vendor"])
        socket = _socket(application, room["channel"].pk, session, "council.localhost")
        assert await socket.connect()
        await sync_to_async(end)()
        code = await _closed_with(socket)
        await socket.disconnect()
        return code

    assert async_to_sync(scenario)() == access_live.ACCESS_WITHDRAWN


def test_a_disabled_vendor_account_is_signed_out_of_its_socket(
    application: Any, room: dict[str, Any], committing: Any
) -> None:
    def disable() -> None:
        vendor = room["vendor"]
        vendor.is_active = False
        vendor.save(update_fields=["is_active"])
        committing(
            lambda: tenant_services.record_admin_change(actor=None, obj=vendor, action="change", message="無効化")
        )

    async def scenario() -> int:
        session = await sync_to_async(verified_session)(room["vendor"])
        socket = _socket(application, room["channel"].pk, session, "council.localhost")
        assert await socket.connect()
        await sync_to_async(disable)()
        code = await _closed_with(socket)
        await socket.disconnect()
        return code

    assert async_to_sync(scenario)() == access_live.SESSION_ENDED


@pytest.fixture
def quick_recheck(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(access_live, "RECHECK_SECONDS", 0.2)
    yield


def test_an_expired_session_is_closed_by_the_periodic_recheck(
    application: Any, room: dict[str, Any], quick_recheck: None
) -> None:
    session = verified_session(room["clerk"])

    def expire() -> None:  # the idle timeout sends no event: only the re-check notices
        Session.objects.filter(session_key=session).update(expire_date=timezone.now() - timedelta(seconds=1))

    async def scenario() -> int:
        socket = _socket(application, room["channel"].pk, session, "nakatosa.localhost")
        assert await socket.connect()
        await sync_to_async(expire)()
        code = await _closed_with(socket)
        await socket.disconnect()
        return code

    assert async_to_sync(scenario)() == access_live.SESSION_ENDED


def test_the_periodic_recheck_leaves_a_valid_socket_open(
    application: Any, room: dict[str, Any], committing: Any, quick_recheck: None
) -> None:
    async def scenario() -> dict[str, Any]:
        socket = _socket(application, room["channel"].pk, await sync_to_async(verified_session)(room["clerk"]),
                         "nakatosa.localhost")  # fmt: skip
        assert await socket.connect()
        assert await socket.receive_nothing(timeout=0.7)  # a few re-checks pass
        await sync_to_async(_post)(committing, room, "まだ届きます")
        event = await socket.receive_json()
        await socket.disconnect()
        return dict(event)

    assert async_to_sync(scenario)()["message"]["body"] == "まだ届きます"
