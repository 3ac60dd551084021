"""Reads of the chat, all in the council's schema (docs/domain/chat.md).

``reachable`` is the one place that decides whether a person may read and post in a channel (§2); every page,
API view, service and the WebSocket consumer goes through :func:`channel_for` / :func:`channels_for`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from common.dates import local_today
from groupware import org, search
from groupware.chat.models import Attachment, Channel, ChannelKind, ChannelMember, Message, ReadMark
from groupware.council import in_council
from tenants.access import memberships_in_force
from tenants.models import Municipality, Person, Role

PAGE = 100
SEARCH_LIMIT = 50
EXPORT_BATCH = 500


@dataclass
class Reach:
    """What a person reaches (§2): the towns where they hold a staff (non-vendor) membership in force, their units
    there today, and the project and direct channels they were invited to."""

    staff_towns: set[str] = field(default_factory=set)
    units: dict[str, set[str]] = field(default_factory=dict)
    invited: set[int] = field(default_factory=set)

    def allows(self, channel: Channel) -> bool:
        if channel.kind == ChannelKind.COUNCIL:
            return bool(self.staff_towns)
        if channel.kind == ChannelKind.TOWN:
            return channel.town_schema in self.staff_towns
        if channel.kind == ChannelKind.UNIT:
            return channel.unit_code in self.units.get(channel.town_schema, set())
        return channel.pk in self.invited


def reach_of(person: Person) -> Reach:
    """Computed per call from the memberships and postings in force (a 人事異動 moves it with no chat job)."""
    reach = Reach()
    rows = memberships_in_force(person).exclude(role=Role.VENDOR).select_related("municipality")
    towns: dict[str, Municipality] = {m.municipality.schema_name: m.municipality for m in rows}
    reach.staff_towns = set(towns)
    today = local_today()
    for schema, town in towns.items():
        if town.kind == Municipality.Kind.TOWN:
            reach.units[schema] = org.unit_codes_of(person, town, today)
    with in_council():
        reach.invited = set(ChannelMember.objects.filter(person_id=person.pk).values_list("channel_id", flat=True))
    return reach


def is_vendor_only(person: Person) -> bool:
    """A maintenance vendor (only vendor memberships): reaches the channels it was invited to and nothing else."""
    return not reach_of(person).staff_towns


def channel_for(*, actor: Person, channel_id: int, reach: Reach | None = None) -> Channel | None:
    """The channel when the actor may reach it, else None (one answer for "no such channel" and "not yours")."""
    with in_council():
        channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return None
    return channel if (reach or reach_of(actor)).allows(channel) else None


def channels_for(*, actor: Person) -> list[Channel]:
    reach = reach_of(actor)
    wanted = Q(pk__in=reach.invited)
    if reach.staff_towns:
        wanted |= Q(kind=ChannelKind.COUNCIL) | Q(kind=ChannelKind.TOWN, town_schema__in=reach.staff_towns)
    for schema, codes in reach.units.items():
        wanted |= Q(kind=ChannelKind.UNIT, town_schema=schema, unit_code__in=codes)
    with in_council():
        return list(Channel.objects.filter(wanted).order_by("kind", "name", "pk"))


@dataclass(frozen=True)
class Reader:
    person_id: int
    name: str
    last_read_id: int


def readers(channel: Channel) -> list[Reader]:
    with in_council():
        rows = ReadMark.objects.filter(channel=channel).order_by("read_at")
        return [Reader(r.person_id, r.person_name, r.last_read_id) for r in rows]


def read_by(message: Message, marks: list[Reader]) -> list[str]:
    """Who has read the message (§4): everyone but its author whose read mark reaches it."""
    return [r.name for r in marks if r.person_id != message.author_id and r.last_read_id >= message.pk]


def payload(message: Message, marks: list[Reader], attachments: list[Attachment] | None = None) -> dict[str, Any]:
    """The message as the page, the API and the live delivery show it (``attachments``: when the caller has them
    already, as a post does, instead of the message's prefetched ones)."""
    names = read_by(message, marks)
    files = message.attachments.all() if attachments is None else attachments
    return {
        "id": message.pk,
        "channel": message.channel_id,
        "parent": message.parent_id,
        "author_id": message.author_id,
        "author": message.author_name,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
        "time": timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M"),
        "replies": getattr(message, "reply_count", 0),
        "attachments": [{"id": a.pk, "name": a.name, "size": a.size} for a in files],
        "read_count": len(names),
        "read_by": names,
    }


def messages(*, channel: Channel, after_id: int = 0, thread_id: int | None = None) -> list[Message]:
    """The channel's newest top-level messages (or one thread's first message and replies), oldest first, with
    their attachments and reply counts: two queries whatever the number of messages."""
    with in_council():
        rows = Message.objects.filter(channel=channel, pk__gt=after_id).prefetch_related("attachments")
        if thread_id is None:
            rows = rows.filter(parent__isnull=True).annotate(reply_count=Count("replies"))
        else:
            rows = rows.filter(Q(pk=thread_id) | Q(parent_id=thread_id))
        return list(reversed(rows.order_by("-pk")[:PAGE]))


def message_in(*, channel: Channel, message_id: int) -> Message | None:
    with in_council():
        return Message.objects.filter(channel=channel, pk=message_id).first()


def latest_id(channel: Channel) -> int:
    with in_council():
        return Message.objects.filter(channel=channel).order_by("-pk").values_list("pk", flat=True).first() or 0


def members(channel: Channel) -> list[ChannelMember]:
    with in_council():
        return list(ChannelMember.objects.filter(channel=channel).order_by("added_at", "pk"))


def attachment_for(*, actor: Person, attachment_id: int) -> Attachment | None:
    with in_council():
        found = Attachment.objects.select_related("message__channel").filter(pk=attachment_id).first()
    if found is None or not reach_of(actor).allows(found.message.channel):
        return None
    return found


def search_messages(*, actor: Person, term: str) -> list[Message]:
    """Messages of the channels the actor reaches containing ``term`` (groupware.search n-grams), newest first."""
    term = term.strip()[:100]
    wanted = search.term_grams(term)
    if not wanted:
        return []
    ids = [c.pk for c in channels_for(actor=actor)]
    with in_council():
        rows = (
            Message.objects.filter(channel_id__in=ids, search_grams__contains=wanted)
            .select_related("channel")
            .order_by("-pk")
        )
        found = []
        for row in rows.iterator(chunk_size=200):
            if search.matches(term, [row.body]):
                found.append(row)
                if len(found) >= SEARCH_LIMIT:
                    break
        return found


def export_rows(*, channel_filter: Q, since: datetime | None, until: datetime | None) -> Iterator[Message]:
    """Messages for the compliance export (§6), oldest first, read in keyset batches: each batch switches to the
    council's schema itself, so a streamed response may pull batches from any thread."""
    last = 0
    while True:
        with in_council():
            rows = Message.objects.filter(channel__in=Channel.objects.filter(channel_filter), pk__gt=last)
            if since is not None:
                rows = rows.filter(created_at__gte=since)
            if until is not None:
                rows = rows.filter(created_at__lt=until)
            batch = list(rows.select_related("channel").prefetch_related("attachments").order_by("pk")[:EXPORT_BATCH])
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        last = batch[-1].pk


def ids_for_usernames(text: str) -> list[int]:
    """Person ids of the 職員ID (usernames) typed in an invitation, separated by commas or blanks; an unknown one
    is refused by name (the services then check memberships)."""
    from groupware.chat.errors import ChannelInvalid

    names = {name for name in text.replace("、", ",").replace(",", " ").split() if name}
    found = dict(Person.objects.filter(username__in=names, is_active=True).values_list("username", "pk"))
    unknown = sorted(names - set(found))
    if unknown:
        raise ChannelInvalid(
            f"職員IDが見つかりません: {', '.join(unknown)}", code="person_unknown", details={"field": "members"}
        )
    return sorted(found.values())
