"""The demo chat (docs/domain/chat.md §8): channels with history, the vendor in the project channel only."""

from __future__ import annotations

from typing import Any

from groupware.chat import selectors
from groupware.chat.demo import PROJECT, seed_demo
from tests.conftest import person


def test_the_demo_vendor_reaches_the_project_channel_with_its_history(db: Any) -> None:
    lines: list[str] = []
    seed_demo(lines.append)
    (channel,) = selectors.channels_for(actor=person("vendor"))
    assert channel.name == PROJECT
    assert len(selectors.messages(channel=channel)) == 2  # two threads; the replies hang on the first


def test_the_demo_is_loaded_once(db: Any) -> None:
    seed_demo(lambda _line: None)
    lines: list[str] = []
    seed_demo(lines.append)
    assert lines == []
