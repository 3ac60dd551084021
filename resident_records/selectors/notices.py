"""Lists the clerk works through: 届出 made after their period, 処理待ち tasks, 転出 never completed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from common import audit
from resident_records.models import (
    ChangeEvent,
    ClerkTask,
    Resident,
    ResidentStatus,
)
from tenants.models import Person

if TYPE_CHECKING:
    from tenants.models import Person


@dataclass(frozen=True)
class OverdueNotice:
    """One line of the 期間経過 list: a 届出 made after its period (住基法 第52条第2項 の通知のため)."""

    event: ChangeEvent
    days_late: int
    names: list[str]
    address: str


def overdue_notices(*, actor: Person | None, purpose: str, since: date, until: date) -> list[OverdueNotice]:
    """住基法 届出 (第22〜25条) recorded 期間経過 with 異動日 in [since, until], not cancelled, oldest first.

    The town notifies the 簡易裁判所 of them (住基法 第52条第2項: 過料); the list names the persons, so reading it
    is an audited read of personal data with its purpose.
    """
    from resident_records.services.common import RESIDENT_NOTICE_KINDS, notice_period_days

    events = list(
        ChangeEvent.objects.filter(
            overdue=True,
            kind__in=RESIDENT_NOTICE_KINDS,
            event_date__range=(since, until),
            cancelled_by__isnull=True,
        )
        .select_related("household")
        .prefetch_related("records")
        .order_by("event_date", "id")
    )
    rows = []
    for event in events:
        records = sorted(event.records.all(), key=lambda r: r.resident_id)
        assert event.notified_on is not None  # overdue implies a 届出日
        rows.append(
            OverdueNotice(
                event=event,
                days_late=(event.notified_on - event.event_date).days - notice_period_days(event.kind),
                names=[r.full_name for r in records],
                address=records[0].address if records else "",
            )
        )
    audit.record(
        actor=actor,
        action="resident.overdue_notices",
        purpose=purpose,
        personal_data=True,
        details={"since": since.isoformat(), "until": until.isoformat(), "events": [r.event.pk for r in rows]},
    )
    return rows


def clerk_tasks(*, limit: int = 200) -> list[ClerkTask]:
    """処理待ち: open tasks first, oldest first (their summaries name 宛名番号, never names: no audited read)."""
    return list(ClerkTask.objects.order_by("status", "created_at", "id")[:limit])


def overdue_move_outs(today: date, *, days: int = 30) -> QuerySet[Resident]:
    """住民 whose 転出予定日 passed more than ``days`` ago with no 転入通知 yet.

    Nothing is done automatically: the clerk investigates (実態調査) and, if the person has left, removes the
    entry by 職権消除 (services.record_ex_officio_removal).
    """
    return Resident.objects.filter(
        status=ResidentStatus.RESIDENT,
        moving_out_confirmed=False,
        moving_out_on__lt=today - timedelta(days=days),
    ).order_by("moving_out_on", "pk")
