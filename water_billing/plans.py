"""分納 (docs/domain/water_billing.md §7.4): the state of a plan from its schedule and what was paid against it — a
pure rule shared by the service, the plan page and the arrears list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

ON_TRACK = "on_track"
BROKEN = "broken"
COMPLETED = "completed"
LABELS = {ON_TRACK: "履行中", BROKEN: "不履行", COMPLETED: "完納"}


@dataclass(frozen=True)
class Instalment:
    due: date
    amount: int
    paid: int  # of this instalment, paying the instalments in order

    @property
    def balance(self) -> int:
        return self.amount - self.paid


@dataclass(frozen=True)
class PlanStatus:
    state: str
    instalments: list[Instalment]
    paid: int
    total: int

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def next_due(self) -> Instalment | None:
        return next((i for i in self.instalments if i.balance > 0), None)

    @property
    def missed(self) -> Instalment | None:
        return self.next_due if self.state == BROKEN else None


def schedule_of(raw: Sequence[dict[str, object]]) -> list[tuple[date, int]]:
    return [(date.fromisoformat(str(row["due"])), int(str(row["amount"]))) for row in raw]


def status(*, schedule: Sequence[tuple[date, int]], paid: int, today: date) -> PlanStatus:
    """Payments fill the instalments in date order. Completed when everything is paid; broken when an instalment
    whose date has passed (its day counts: paying on the date keeps the plan) is not paid in full."""
    left = paid
    instalments = []
    for due, amount in schedule:
        part = min(amount, max(left, 0))
        left -= part
        instalments.append(Instalment(due, amount, part))
    total = sum(amount for _, amount in schedule)
    if paid >= total:
        state = COMPLETED
    elif any(i.due < today and i.balance > 0 for i in instalments):
        state = BROKEN
    else:
        state = ON_TRACK
    return PlanStatus(state, instalments, paid, total)
