"""The chat's WebSocket (docs/domain/chat.md §3): ``/ws/chat/<channel id>/`` on a town's (or the council's) host.

The access pipeline of the pages (tenants.middleware) does not run for a WebSocket, so ``authorise`` applies the
same checks itself, in the same order, before the socket is accepted: same-origin, the town of the Host header
(tenants.hosts, as tenants.host_routing does for HTTP; never the public website's host), signed in through the
session, two-factor verified, the module's role in that town, and the channel reached by the person
(groupware.chat.selectors.channel_for, the one membership check). Anything else closes the handshake.

An accepted socket does not keep its access for ever (docs/domain/chat.md §3.9): it joins its session's and its
person's groups (tenants.live), closes at once when the session ends (logout) and re-checks everything above when
the person's access changes (a membership, the account, the channel's members), and on its own every
``tenants.live.RECHECK_SECONDS`` (the idle timeout, an emergency grant's expiry). Delivering a message does no
database work: the event carries the rendered message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from importlib import import_module
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from common.errors import ApplicationError
from groupware.chat import live, selectors, services
from tenants import hosts
from tenants import live as access_live
from tenants.access import MODULES, active_roles, module_allowed
from tenants.models import Person

logger = logging.getLogger(__name__)


def _header(scope: dict[str, Any], name: bytes) -> str:
    return next((value.decode("latin-1") for key, value in scope.get("headers", []) if key == name), "")


def _verified(session: Any, person: Person) -> bool:
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return device is not None and device.user_id == person.pk


def _allowed(scope: dict[str, Any], session: Any, person: Person, channel_id: int) -> bool:
    """The pipeline's checks after "signed in": origin, town of the Host, 2FA, the module's role, the channel."""
    host = _header(scope, b"host").split(":")[0].lower()
    origin = _header(scope, b"origin")
    # Cross-site WebSocket hijacking: a page of another site would ride on the session cookie.
    if not origin or (urlsplit(origin).hostname or "").lower() != host:
        return False
    town = hosts.town_for_host(host)
    if town is None or getattr(town, "kyodo_public_site", False) or not town.is_active:
        return False
    if not _verified(session, person) or not module_allowed(MODULES["chat"], active_roles(person, town)):
        return False
    return selectors.channel_for(actor=person, channel_id=channel_id) is not None


def authorise(scope: dict[str, Any], channel_id: int) -> Person | None:
    """The person the socket may serve for this channel, or None (the handshake is refused)."""
    person = scope.get("user")
    if not isinstance(person, Person) or not person.is_authenticated or not person.is_active:
        return None
    return person if _allowed(scope, scope.get("session"), person, channel_id) else None


def _stored_session(session_key: str) -> SessionBase:
    # Read again from the store: the scope's copy was loaded at the handshake and would never see a logout.
    store: type[SessionBase] = import_module(settings.SESSION_ENGINE).SessionStore
    return store(session_key)


def recheck(scope: dict[str, Any], channel_id: int, person_id: int) -> int | None:
    """None while the socket may stay open, else its close code: ``SESSION_ENDED`` when the session is gone,
    expired or no longer this person's (or the account is off or its password changed), ``ACCESS_WITHDRAWN``
    when the person lost the town, the role, the 2FA of the session or the channel."""
    session_key = getattr(scope.get("session"), "session_key", None)
    session = _stored_session(session_key) if session_key else None
    if session is None or session.get(SESSION_KEY) != str(person_id):
        return access_live.SESSION_ENDED
    person = Person.objects.filter(pk=person_id, is_active=True).first()
    stored_hash = session.get(HASH_SESSION_KEY) or ""
    if person is None or not constant_time_compare(stored_hash, person.get_session_auth_hash()):
        return access_live.SESSION_ENDED
    return None if _allowed(scope, session, person, channel_id) else access_live.ACCESS_WITHDRAWN


def _mark_read(person: Person, channel_id: int, upto: int) -> None:
    with contextlib.suppress(ApplicationError):  # the person left the channel meanwhile: nothing to mark
        services.mark_read(actor=person, channel_id=channel_id, upto_id=upto)


class ChatConsumer(AsyncJsonWebsocketConsumer):
    person: Person | None = None
    joined: list[str]
    ended: bool = False
    watcher: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.joined = []
        channel_id = int(self.scope["url_route"]["kwargs"]["channel_id"])
        self.person = await database_sync_to_async(authorise)(self.scope, channel_id)
        if self.person is None:
            await self.close()
            return
        self.channel_id = channel_id
        self.joined = [
            live.group_name(channel_id),
            access_live.session_group(str(self.scope["session"].session_key)),
            access_live.person_group(self.person.pk),
        ]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.watcher = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        """The safety net for what ends without an event (tenants.live): re-check every RECHECK_SECONDS."""
        while not self.ended:
            # Spread over the last quarter of the interval: sockets that reconnected together (a restart) would
            # otherwise all re-check in the same instant, in the worker's one database thread.
            await asyncio.sleep(access_live.RECHECK_SECONDS * random.uniform(0.75, 1.0))  # noqa: S311
            try:
                await self._recheck()
            except Exception:  # the database away for a moment: try again at the next interval
                logger.exception("chat socket re-check failed")

    async def _recheck(self) -> None:
        if self.person is None or self.ended:
            return
        code = await database_sync_to_async(recheck)(self.scope, self.channel_id, self.person.pk)
        if code is not None:
            await self._end(code)

    async def _end(self, code: int) -> None:
        """Stop delivering first (leave the groups), then close with a code the page explains."""
        if self.ended:
            return
        self.ended = True
        await self._leave()
        await self.close(code=code)

    async def _leave(self) -> None:
        joined, self.joined = self.joined, []
        for group in joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        self.ended = True
        if self.watcher is not None and self.watcher is not asyncio.current_task():
            self.watcher.cancel()
        await self._leave()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The only thing a client sends: how far it has read (posting goes through the HTTP form, with CSRF)."""
        upto = content.get("upto") if isinstance(content, dict) and content.get("type") == "read" else None
        if self.person is not None and not self.ended and isinstance(upto, int) and upto > 0:
            await database_sync_to_async(_mark_read)(self.person, self.channel_id, upto)

    async def live_end(self, message: dict[str, Any]) -> None:
        await self._end(access_live.SESSION_ENDED)

    async def live_recheck(self, message: dict[str, Any]) -> None:
        await self._recheck()

    async def chat_event(self, message: dict[str, Any]) -> None:
        if not self.ended:
            await self.send(text_data=message["text"])  # rendered and serialised once by the sender (live.send_now)
