"""Today's date in the council's time zone (Asia/Tokyo), the one clock every date rule uses."""

from __future__ import annotations

from datetime import date

from django.utils import timezone


def local_today() -> date:
    return timezone.localdate()
