"""tenants.live (docs/security.md "Live connections"): what ends a session or changes a person's access sends the
live consumers' groups an event after commit — never before, never the session key in clear, and a Redis that is
away costs only the event (the sockets' own re-check remains)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from tenants import live


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if self.fail:
            raise RedisConnectionError("away")
        self.sent.append((group, message))


@pytest.fixture
def layer(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(live, "get_channel_layer", lambda: recorder)
    return recorder


def test_the_session_group_names_a_digest_not_the_key() -> None:
    key = "abcdefghijklmnopqrstuvwxyz012345"
    group = live.session_group(key)
    assert key not in group
    assert group == live.session_group(key)
    assert group != live.session_group(key + "x")
    assert len(group) < 100  # the channel layer's limit on group names


@pytest.mark.django_db
def test_events_go_out_only_after_commit(
    layer: Recorder, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        live.end_session("k" * 32)
        live.access_changed([7, 7, 8, None])
    assert layer.sent == []  # nothing inside the transaction
    for callback in callbacks:
        callback()
    assert layer.sent == [
        (live.session_group("k" * 32), {"type": live.END}),
        ("person.7", {"type": live.RECHECK}),
        ("person.8", {"type": live.RECHECK}),
    ]


@pytest.mark.django_db
def test_nothing_is_sent_for_no_session_or_nobody(
    layer: Recorder, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        live.end_session(None)
        live.access_changed([])
    assert callbacks == []
    assert layer.sent == []


@pytest.mark.django_db
def test_a_redis_away_loses_only_the_event(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    monkeypatch.setattr(live, "get_channel_layer", lambda: Recorder(fail=True))
    noted: list[str] = []
    monkeypatch.setattr(live, "note_degraded", lambda what, exc: noted.append(what))
    with django_capture_on_commit_callbacks(execute=True):
        live.access_changed([1])
    assert noted == ["live.revoke_skipped"]
