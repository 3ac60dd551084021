"""住基法 第19条第1項: a 異動 in the resident register is notified to the 戸籍の附票 kept by the 本籍地.

The 附票 is kept by the koseki module (koseki.fuhyo), which sits above this app (docs/ARCHITECTURE.md, "Layers"):
this module is the contract. The services here call ``notify_moves`` / ``strike_notices`` inside their own
transaction; koseki registers the keeper that writes the lines (koseki.apps). Without a keeper (a platform with
no koseki module) there is no 附票 to keep, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from common.tenancy import current_schema

# How a 附票 line names the 異動 that wrote it (the labels printed on the line).
EVENT_MOVE_IN = "転入"
EVENT_CHANGE_OF_ADDRESS = "転居"
EVENT_MOVE_OUT = "転出"
EVENT_IMPORT = "移行"


def event_reference(event_id: int, *, schema: str | None = None) -> str:
    """How a line names the 異動 that caused it: ``"<schema>:<ChangeEvent id>"`` (ids repeat across towns)."""
    return f"{schema or current_schema()}:{event_id}"


class FuhyoKeeper(Protocol):
    def record_resident_moves(
        self, *, actor: Any, residents: Iterable[Any], event: str, source_reference: str, moved_out: bool = False
    ) -> Any: ...

    def strike_lines_of_event(self, *, actor: Any, reference: str, reason: str) -> Any: ...


_keeper: FuhyoKeeper | None = None


def register_keeper(keeper: FuhyoKeeper) -> None:
    global _keeper
    _keeper = keeper


def notify_moves(*, actor: Any, residents: Iterable[Any], event: str, event_id: int, moved_out: bool = False) -> None:
    """The addresses a 異動 gave these residents go to the 附票 of their 本籍地 (this town or another)."""
    if _keeper is not None:
        _keeper.record_resident_moves(
            actor=actor, residents=residents, event=event, source_reference=event_reference(event_id),
            moved_out=moved_out,
        )  # fmt: skip


def strike_notices(*, actor: Any, event_id: int, reason: str) -> None:
    """A cancelled 異動 strikes (消除) the 附票 lines it wrote."""
    if _keeper is not None:
        _keeper.strike_lines_of_event(actor=actor, reference=event_reference(event_id), reason=reason)
