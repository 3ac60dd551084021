"""What the koseki module tells the modules above it (an upward need, exposed as a hook the upper app registers:
docs/ARCHITECTURE.md). koseki never imports the resident register; resident_records registers its handler in
its AppConfig.ready().

``birth_accepted``: an accepted 出生届 (戸籍法 第49条) reaches the resident register of the town, so the birth is
never typed twice (住基法 第8条, 第9条第2項; docs/domain/resident_register.md §出生). Handlers run inside the
届出's transaction: if one raises, the 届出 is refused as a whole; a handler that cannot place the child leaves a
task for the resident clerk instead of raising.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from tenants.models import Person


@dataclass(frozen=True)
class Parent:
    family_name: str
    given_name: str
    birth_date: date
    resident_code: str  # 住民票コード recorded on the member when the registers were linked (may be empty)


@dataclass(frozen=True)
class BirthAccepted:
    """The facts of an accepted 出生届 the resident register needs."""

    notification_id: int
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    sex: str  # "1" 男, "2" 女
    birth_date: date
    notified_on: date
    honseki: str
    head_name: str  # 筆頭者
    mother: Parent
    father: Parent | None


BirthHandler = Callable[..., object]  # handler(*, actor, birth); what it returns is ignored
_birth_handlers: list[BirthHandler] = []


def on_birth_accepted(handler: BirthHandler) -> BirthHandler:
    """Register ``handler(*, actor, birth)``; registering the same function twice keeps one."""
    if handler not in _birth_handlers:
        _birth_handlers.append(handler)
    return handler


def birth_accepted(*, actor: Person | None, birth: BirthAccepted) -> None:
    for handler in list(_birth_handlers):
        handler(actor=actor, birth=birth)
