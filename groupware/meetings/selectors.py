"""Reads of the meetings (docs/domain/meetings.md): only the participants (the organiser is one) see a meeting, its
agenda, documents and minutes; every document read is audited. Meetings are read in the council's schema through
``groupware.council.in_council`` — the one place that switches schema — whatever host the reader is on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction

from common import audit
from groupware import council, org
from groupware.chat import selectors as chat_selectors
from groupware.chat.models import Channel
from groupware.meetings.errors import DocumentNotFound, MeetingsUnavailable
from groupware.meetings.models import AgendaItem, Document, Meeting, Minutes, MinutesState, Participant, WebMeeting
from groupware.selectors import event_for
from tenants.access import MODULES, active_roles, module_allowed
from tenants.models import Membership, Person, Role


@contextmanager
def meetings_schema() -> Iterator[None]:
    """Run the body in the council's schema, where the meetings live; refused when there is no council."""
    with council.in_council() as found:
        if not found:
            raise MeetingsUnavailable()
        yield


# --- who may take part --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligible:
    name: str
    affiliation: str  # 「中土佐町・協議会」: where the person holds a membership in force


def _memberships(person_ids: Iterable[int] | None) -> Iterator[Membership]:
    # Staff of either town or the council; a maintenance vendor never takes part (docs/domain/meetings.md §2).
    rows = Membership.objects.active().exclude(role=Role.VENDOR).select_related("person", "municipality")
    if person_ids is not None:
        rows = rows.filter(person_id__in=set(person_ids))
    yield from rows.order_by("person__full_name_kana", "person_id", "municipality__kind", "municipality__code")


def _by_person(rows: Iterable[Membership]) -> dict[int, Eligible]:
    found: dict[int, tuple[str, list[str]]] = {}
    for membership in rows:
        _name, places = found.setdefault(membership.person_id, (membership.person.full_name, []))
        if membership.municipality.name not in places:
            places.append(membership.municipality.name)
    return {pk: Eligible(name, "・".join(places)) for pk, (name, places) in found.items()}


def eligible_participants(person_ids: Iterable[int]) -> dict[int, Eligible]:
    """The people among ``person_ids`` who may take part, with their names and affiliations."""
    ids = {int(pk) for pk in person_ids}
    return _by_person(_memberships(ids)) if ids else {}


def participant_choices() -> list[tuple[int, str]]:
    """(id, 「氏名(団体)」) of everyone who may take part in a meeting: the picker's choices."""
    return [(pk, f"{e.name}({e.affiliation})") for pk, e in _by_person(_memberships(None)).items()]


# --- meetings -----------------------------------------------------------------------------------------------


def meetings_for(*, actor: Person) -> list[Meeting]:
    """The meetings the actor takes part in (or organises), the latest first; empty when there is no council."""
    with council.in_council() as found:
        if not found:
            return []
        mine = Participant.objects.filter(person_id=actor.pk).values("meeting_id")
        return list(Meeting.objects.filter(pk__in=mine).order_by("-starts_at", "-pk"))


def meeting_for(*, actor: Person, meeting_id: int) -> Meeting | None:
    """The meeting, if the actor takes part in it (call inside ``meetings_schema``)."""
    return Meeting.objects.filter(pk=meeting_id, participants__person_id=actor.pk).first()


@dataclass(frozen=True)
class AgendaRow:
    item: AgendaItem
    documents: list[Document]


@dataclass(frozen=True)
class MeetingPage:
    meeting: Meeting
    is_organiser: bool
    participants: list[Participant]
    agenda: list[AgendaRow]
    general_documents: list[Document]  # of the whole meeting, not of one item
    minutes: list[Minutes]  # every version, oldest first
    web_meeting: WebMeeting | None

    @property
    def can_organise(self) -> bool:
        """The organiser's forms show: a cancelled meeting is read-only (§2.5)."""
        return self.is_organiser and not self.meeting.is_cancelled

    @property
    def draft(self) -> Minutes | None:
        return next((m for m in self.minutes if m.state == MinutesState.DRAFT), None)

    @property
    def confirmed(self) -> Minutes | None:
        """The latest confirmed version: the minutes in force."""
        return next((m for m in reversed(self.minutes) if m.state == MinutesState.CONFIRMED), None)


def meeting_page(*, actor: Person, meeting_id: int) -> MeetingPage | None:
    """Everything the meeting page shows, for a participant; None for anyone else (the page answers 404)."""
    with council.in_council() as found:
        meeting = meeting_for(actor=actor, meeting_id=meeting_id) if found else None
        if meeting is None:
            return None
        documents = list(meeting.documents.order_by("pk"))
        agenda = [
            AgendaRow(item, [d for d in documents if d.agenda_item_id == item.pk])
            for item in meeting.agenda.order_by("order")
        ]
        return MeetingPage(
            meeting=meeting,
            is_organiser=meeting.organiser_id == actor.pk,
            participants=list(meeting.participants.order_by("pk")),
            agenda=agenda,
            general_documents=[d for d in documents if d.agenda_item_id is None],
            minutes=list(meeting.minutes.order_by("version")),
            web_meeting=WebMeeting.objects.filter(meeting=meeting).first(),
        )


def document_for(*, actor: Person, meeting_id: int, document_id: int) -> Document | None:
    """A document's description (for the viewer page), for a participant; nothing is read from the storage."""
    with council.in_council() as found:
        if not found or meeting_for(actor=actor, meeting_id=meeting_id) is None:
            return None
        return Document.objects.filter(pk=document_id, meeting_id=meeting_id).select_related("agenda_item").first()


def open_document(*, actor: Person, meeting_id: int, document_id: int) -> tuple[Document, File]:
    """A meeting's PDF, for a participant; the read is audited in the council's trail, with the meeting."""
    with council.in_council() as found:
        document = document_for(actor=actor, meeting_id=meeting_id, document_id=document_id) if found else None
        if document is None:
            raise DocumentNotFound()
        with transaction.atomic():
            audit.record(
                actor=actor,
                action="meetings.document_read",
                obj=document,
                details={"meeting": meeting_id, "size": document.size, "sha256": document.sha256},
            )
    return document, storages["groupware"].open(document.storage_key, "rb")


# --- Web会議 -------------------------------------------------------------------------------------------------


def web_meeting_for_event(*, viewer_id: int, event_id: int, council_wide: bool = False) -> WebMeeting | None:
    """The Web会議 of a schedule entry, for someone who may see the entry (the scheduler's event page, the chat):
    None when there is none or the entry is not theirs to see. ``council_wide``: an entry across towns, kept (with
    its link) in the council's schema and read from a town's host."""
    if event_for(viewer_id=viewer_id, event_id=event_id, council_wide=council_wide) is None:
        return None
    if not council_wide:
        return WebMeeting.objects.filter(event_id=event_id).first()
    with council.in_council():
        return WebMeeting.objects.filter(event_id=event_id).first()


def may_use_chat(actor: Person) -> bool:
    """The chat module admits the actor on this host (not a teacher: docs/domain/chat.md §2)."""
    return module_allowed(MODULES["chat"], active_roles(actor, org.current_town()))


def share_channels(actor: Person) -> list[Channel]:
    """The channels the actor may share a meeting in: those the chat lets them reach (none for a teacher)."""
    return chat_selectors.channels_for(actor=actor) if may_use_chat(actor) else []
