"""The demo meetings: a council meeting with its agenda PDFs, attendance and confirmed minutes, a town's meeting
with a draft, a cancelled (中止) one; a second run changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import storages
from django_tenants.utils import schema_context

from groupware.meetings.demo import CANCEL_REASON, CANCELLED_TITLE, COUNCIL_TITLE, TOWN_TITLE, seed_demo
from groupware.meetings.models import Document, Meeting, Minutes, MinutesState

pytestmark = pytest.mark.django_db


def _seed() -> list[str]:
    lines: list[str] = []
    seed_demo(lines.append)
    return lines


def test_the_demo_has_meetings_with_agendas_and_minutes(towns: dict[str, Any]) -> None:
    _seed()
    with schema_context("council"):
        assert Meeting.objects.filter(title__in=[COUNCIL_TITLE, TOWN_TITLE]).count() == 2
        states = set(
            Minutes.objects.filter(meeting__title__in=[COUNCIL_TITLE, TOWN_TITLE]).values_list("state", flat=True)
        )
        assert states == {MinutesState.CONFIRMED, MinutesState.DRAFT}


def test_the_demo_has_a_cancelled_meeting(towns: dict[str, Any]) -> None:
    _seed()
    with schema_context("council"):
        meeting = Meeting.objects.get(title=CANCELLED_TITLE)
        assert meeting.is_cancelled
        assert meeting.cancel_reason == CANCEL_REASON
        assert meeting.cancelled_by_name
        assert meeting.participants.count() >= 2
    with schema_context("council"):
        assert not Meeting.objects.get(title=TOWN_TITLE).is_cancelled


def test_the_demo_documents_are_pdfs(towns: dict[str, Any]) -> None:
    _seed()
    with schema_context("council"):
        document = Document.objects.filter(meeting__title=COUNCIL_TITLE).order_by("pk").first()
    assert document is not None
    with storages["groupware"].open(document.storage_key, "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_a_second_run_changes_nothing(towns: dict[str, Any]) -> None:
    _seed()
    assert _seed() == ["  council: meetings already seeded, left as they are"]
