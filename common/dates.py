"""Today's date in the council's time zone (Asia/Tokyo), the one clock every date rule uses."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

TOKYO = ZoneInfo("Asia/Tokyo")


def local_today() -> date:
    return timezone.localdate()


def day_start(day: date) -> datetime:
    """The first instant of ``day`` in Asia/Tokyo, for filtering timestamps by local calendar day."""
    return datetime.combine(day, time.min, tzinfo=TOKYO)
