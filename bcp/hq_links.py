"""Links the HQ page shows next to its board (docs/domain/disaster-hq.md §6).

Other modules register what they own for a disaster — the bulletin's HQ board, the HQ chat channel — without
bcp importing them: ``register_hq_link("chat", "本部チャット", lambda disaster: "/groupware/…")`` in their
``AppConfig.ready``. A resolver returns None when it has nothing for that disaster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bcp.models import Disaster

Resolver = Callable[[Disaster], str | None]

_LINKS: dict[str, tuple[str, Resolver]] = {}


@dataclass(frozen=True)
class HqLink:
    key: str
    label: str
    url: str


def register_hq_link(key: str, label: str, resolver: Resolver) -> None:
    _LINKS[key] = (label, resolver)


def unregister_hq_link(key: str) -> None:
    _LINKS.pop(key, None)


def links_for(disaster: Disaster) -> list[HqLink]:
    found = []
    for key, (label, resolver) in sorted(_LINKS.items()):
        url = resolver(disaster)
        if url:
            found.append(HqLink(key, label, url))
    return found
