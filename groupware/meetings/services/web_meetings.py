"""Web会議: a Jitsi-compatible link ``https://<server>/<room>`` generated for a schedule entry or a meeting
(docs/domain/meetings.md §6). The server is the one the council configures; the room name is unguessable."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction

from common import audit
from common.town_settings import SettingSpec, setting_in_force
from groupware import council
from groupware.errors import EventNotFound, NotOrganiser
from groupware.meetings.errors import WebMeetingUnconfigured
from groupware.meetings.models import WebMeeting
from groupware.meetings.selectors import meetings_schema
from groupware.meetings.services.meetings import organised_meeting
from groupware.models import Event
from tenants.models import Person

WEB_MEETING_SERVER = "meetings.web_meeting_server"
SETTINGS = (
    SettingSpec(
        WEB_MEETING_SERVER, "Web会議サーバーのURL(Jitsi互換)", "url", "",
        "協議会の設定が両町に適用されます。例: https://meet.kyodo.example.lg.jp",
    ),
)  # fmt: skip
ROOM_BYTES = 24  # 192 random bits; still over 160 after Jitsi folds the room name to lower case


def web_meeting_server() -> str:
    """The server configured by the council (its setting ``meetings.web_meeting_server``, else the deployment's
    ``KYODO_WEB_MEETING_SERVER``); refused when there is none or it is not an https:// URL with a host."""
    with council.in_council() as found:
        configured = setting_in_force(WEB_MEETING_SERVER) if found else ""
    server = (configured or getattr(settings, "KYODO_WEB_MEETING_SERVER", "") or "").strip().rstrip("/")
    parts = urlsplit(server)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise WebMeetingUnconfigured(details={"server": server})
    return server


def new_room() -> str:
    return secrets.token_urlsafe(ROOM_BYTES)


def _create(actor: Person, server: str, **target: object) -> WebMeeting:
    try:
        with transaction.atomic():
            link = WebMeeting.objects.create(
                server=server, room=new_room(), created_by_id=actor.pk, created_by_name=actor.full_name, **target
            )
            targets = {name: getattr(value, "pk", value) for name, value in target.items()}
            audit.record(actor=actor, action="meetings.web_meeting", obj=link, details={"server": server, **targets})
    except IntegrityError:  # generated twice at once (a double click): the first one stands
        found = WebMeeting.objects.filter(**target).first()
        if found is None:
            raise
        return found
    return link


def for_event(*, actor: Person, event_id: int, council_wide: bool = False) -> WebMeeting:
    """The Web会議 of a schedule entry (its organiser's); generated once, then kept. The link lives with the entry:
    in the current town's schema, or for an entry across towns (``council_wide``) in the council's."""
    if not council_wide:
        return _for_event_here(actor, event_id)
    with council.in_council() as found:
        if not found:
            raise EventNotFound()
        return _for_event_here(actor, event_id)


def _for_event_here(actor: Person, event_id: int) -> WebMeeting:
    event = Event.objects.filter(pk=event_id, cancelled_at__isnull=True).first()
    if event is None:
        raise EventNotFound()
    if event.organiser_id != actor.pk:
        raise NotOrganiser("Web会議を発行できるのは予定の登録者だけです。")
    existing = WebMeeting.objects.filter(event_id=event.pk).first()
    if existing is not None:
        return existing
    return _create(actor, web_meeting_server(), event_id=event.pk)


def for_meeting(*, actor: Person, meeting_id: int) -> WebMeeting:
    """The Web会議 of a meeting (its organiser's); generated once, then kept."""
    with meetings_schema():
        with transaction.atomic():
            meeting = organised_meeting(actor, meeting_id)
            existing = WebMeeting.objects.filter(meeting=meeting).first()
        return existing or _create(actor, web_meeting_server(), meeting=meeting)


AUDIT_LABELS = {"meetings.web_meeting": "会議: Web会議URLの発行"}
