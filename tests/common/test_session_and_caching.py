"""Background polls leave the idle timeout running; a page view writes the session only when its activity stamp is
due; nothing a signed-in person sees is cached (docs/security.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from common.middleware import session_stamp_seconds
from tenants.models import Person
from tests.resident_records.factories import move_in_family, person

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime(2026, 11, 2, 9, 0, tzinfo=TOKYO)
IDLE = timedelta(seconds=settings.SESSION_COOKIE_AGE)


def _expiry(client: Any) -> datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_polling_the_progress_bar_does_not_extend_the_idle_session(client_for: Any) -> None:
    with time_machine.travel(START, tick=False):
        client = client_for("it_admin", "nakatosa")
        assert client.get("/bcp/").status_code == 200
        opened = _expiry(client)
    assert opened == START + IDLE

    # The dashboard stays open and polls every 2 s; nobody touches it.
    with time_machine.travel(START + IDLE - timedelta(minutes=1), tick=False):
        poll = client.get("/bcp/progress.json")
        assert poll.status_code == 200
        assert "jobs" in poll.json()
    assert _expiry(client) == opened

    with time_machine.travel(START + IDLE + timedelta(seconds=1), tick=False):
        expired = client.get("/bcp/progress.json")
    assert expired.status_code == 302
    assert expired["Location"].startswith("/accounts/login/")


def test_a_real_request_still_slides_the_idle_window(client_for: Any) -> None:
    with time_machine.travel(START, tick=False):
        client = client_for("it_admin", "nakatosa")
        client.get("/")
    later = START + timedelta(minutes=20)
    with time_machine.travel(later, tick=False):
        assert client.get("/bcp/").status_code == 200
    assert _expiry(client) == later + IDLE


def test_personal_data_api_responses_are_not_stored(client_for: Any) -> None:
    with schema_context("nakatosa"):
        _, (resident,) = move_in_family(Person.objects.get(username="tanaka"), members=[person()])
    client = client_for("tanaka", "nakatosa")
    response = client.get(f"/api/v1/resident_records/residents/{resident.atena_number}/", {"purpose": "照会"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    # Errors too: they may echo what was asked for.
    missing = client.get("/api/v1/resident_records/residents/00000000000/", {"purpose": "照会"})
    assert "no-store" in missing["Cache-Control"]


def test_pages_for_a_signed_in_person_are_not_stored(client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    for path in ("/", "/resident_records/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path


def test_the_town_stylesheet_keeps_its_own_caching(client_for: Any) -> None:
    response = client_for("tanaka", "nakatosa").get("/brand.css")
    assert response["Cache-Control"] == "public, max-age=300"


def _session_writes(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return sum('UPDATE "django_session"' in q["sql"] for q in captured.captured_queries)


def test_a_plain_page_view_reads_the_session_without_writing_it(client_for: Any) -> None:
    with time_machine.travel(START, tick=False):
        client = client_for("it_admin", "nakatosa")
        client.get("/")  # the first request stamps the session
    with time_machine.travel(START + timedelta(seconds=10), tick=False):
        assert _session_writes(client, "/bcp/") == 0
    assert _expiry(client) == START + IDLE


def test_the_activity_stamp_is_written_once_it_is_due(client_for: Any) -> None:
    with time_machine.travel(START, tick=False):
        client = client_for("it_admin", "nakatosa")
        client.get("/")
    due = START + timedelta(seconds=session_stamp_seconds())
    with time_machine.travel(due, tick=False):
        assert _session_writes(client, "/bcp/") == 1
    assert _expiry(client) == due + IDLE


def test_requests_without_a_write_do_not_keep_an_idle_session_alive(client_for: Any) -> None:
    with time_machine.travel(START, tick=False):
        client = client_for("it_admin", "nakatosa")
        client.get("/")
    # Within the stamp interval: served, not written; the session ends IDLE after the stamp.
    with time_machine.travel(START + timedelta(seconds=session_stamp_seconds() - 1), tick=False):
        assert client.get("/bcp/").status_code == 200
    with time_machine.travel(START + IDLE + timedelta(seconds=1), tick=False):
        expired = client.get("/bcp/")
    assert expired.status_code == 302
    assert expired["Location"].startswith("/accounts/login/")
