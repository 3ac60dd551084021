"""The groupware benchmarks' lines — never their speed: the shape, zero double bookings, nothing left behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from groupware import bench


@pytest.fixture
def committed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    # The scenarios commit into their own scratch schemas (tests/test_bench.py does the same), never elsewhere.
    name = connection.settings_dict["NAME"]
    if name != connection.creation._get_test_db_name():
        pytest.fail(f"not the test database ({name})")
    with django_db_blocker.unblock():
        yield
        with connection.cursor() as cursor:
            cursor.execute(r"SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'bench\_%'")
            assert cursor.fetchone() == (0,)


def _run(*args: str) -> list[dict[str, Any]]:
    out = StringIO()
    call_command("bench", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_both_scenarios_report_and_the_room_is_never_double_booked(
    committed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The smallest sizes: the shape and the clash handling do not depend on them (real runs use the defaults).
    monkeypatch.setattr(bench, "EVENTS", 1_000)
    monkeypatch.setattr(bench, "BOOKINGS_PER_REPEAT", 1)  # the scenario's floor: 5 bookings per worker and run
    week, book = _run("groupware_week", "facility_book", "--repeat", "1")
    print(json.dumps(week, ensure_ascii=False), json.dumps(book, ensure_ascii=False))
    assert week["events"] == 1_000
    assert week["rows_read"] >= 1_000
    assert week["p95"] > 0
    assert book["double_bookings"] == 0
    assert book["bookings"] + book["clashes_refused"] == book["attempts"]
    assert book["clashes_refused"] > 0
