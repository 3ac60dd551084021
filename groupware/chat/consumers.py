"""The chat's WebSocket (docs/domain/chat.md §3): ``/ws/chat/<channel id>/`` on a town's (or the council's) host.

The access pipeline of the pages (tenants.middleware) does not run for a WebSocket, so ``authorise`` applies the
same checks itself, in the same order, before the socket is accepted: same-origin, the town of the Host header
(tenants.hosts, as tenants.host_routing does for HTTP; never the public website's host), signed in through the
session, two-factor verified, the module's role in that town, and the channel reached by the person
(groupware.chat.selectors.channel_for, the one membership check). Anything else closes the handshake."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from common.errors import ApplicationError
from groupware.chat import live, selectors, services
from tenants import hosts
from tenants.access import MODULES, active_roles, module_allowed
from tenants.models import Person


def _header(scope: dict[str, Any], name: bytes) -> str:
    return next((value.decode("latin-1") for key, value in scope.get("headers", []) if key == name), "")


def _verified(scope: dict[str, Any], person: Person) -> bool:
    session = scope.get("session")
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return device is not None and device.user_id == person.pk


def authorise(scope: dict[str, Any], channel_id: int) -> Person | None:
    """The person the socket may serve for this channel, or None (the handshake is refused)."""
    host = _header(scope, b"host").split(":")[0].lower()
    origin = _header(scope, b"origin")
    # Cross-site WebSocket hijacking: a page of another site would ride on the session cookie.
    if not origin or (urlsplit(origin).hostname or "").lower() != host:
        return None
    town = hosts.town_for_host(host)
    if town is None or getattr(town, "kyodo_public_site", False) or not town.is_active:
        return None
    person = scope.get("user")
    if not isinstance(person, Person) or not person.is_authenticated or not person.is_active:
        return None
    if not _verified(scope, person) or not module_allowed(MODULES["chat"], active_roles(person, town)):
        return None
    return person if selectors.channel_for(actor=person, channel_id=channel_id) is not None else None


def _mark_read(person: Person, channel_id: int, upto: int) -> None:
    with contextlib.suppress(ApplicationError):  # the person left the channel meanwhile: nothing to mark
        services.mark_read(actor=person, channel_id=channel_id, upto_id=upto)


class ChatConsumer(AsyncJsonWebsocketConsumer):
    person: Person | None = None
    group: str = ""

    async def connect(self) -> None:
        channel_id = int(self.scope["url_route"]["kwargs"]["channel_id"])
        self.person = await database_sync_to_async(authorise)(self.scope, channel_id)
        if self.person is None:
            await self.close()
            return
        self.channel_id = channel_id
        self.group = live.group_name(channel_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The only thing a client sends: how far it has read (posting goes through the HTTP form, with CSRF)."""
        upto = content.get("upto") if isinstance(content, dict) and content.get("type") == "read" else None
        if self.person is not None and isinstance(upto, int) and upto > 0:
            await database_sync_to_async(_mark_read)(self.person, self.channel_id, upto)

    async def chat_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])
