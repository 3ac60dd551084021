"""RFC 5545 recurrence, through python-dateutil (no hand-written recurrence; docs/domain/groupware.md §2).

Rules are expanded in Asia/Tokyo wall-clock time, so a weekly 09:00 meeting stays at 09:00.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from itertools import islice

from dateutil.rrule import rrule, rrulestr

from common.dates import TOKYO
from groupware.errors import RecurrenceInvalid

# A finite series longer than this is refused: five years of working days is far beyond any real meeting series.
MAX_OCCURRENCES = 1500


def normalise(rule: str) -> str:
    rule = rule.strip().upper()
    return rule.removeprefix("RRULE:")


@lru_cache(maxsize=512)
def _template(rule: str) -> rrule:
    # Parsing the text is the costly part of expanding a series; a calendar of many entries shares few rules, so
    # each distinct rule text is parsed once (anchored at a fixed moment) and re-anchored per entry.
    try:
        parsed = rrulestr(rule, dtstart=datetime(2000, 1, 3, tzinfo=TOKYO))
    except (ValueError, TypeError, KeyError) as exc:
        raise RecurrenceInvalid(details={"field": "rrule"}) from exc
    if not isinstance(parsed, rrule):
        raise RecurrenceInvalid(details={"field": "rrule"})
    return parsed


def parse(rule: str, starts_at: datetime) -> rrule:
    """The rule anchored at ``starts_at``; RecurrenceInvalid when it is not one valid RRULE."""
    template = _template(normalise(rule))
    try:
        return template.replace(dtstart=starts_at.astimezone(TOKYO))
    except (ValueError, TypeError) as exc:
        raise RecurrenceInvalid(details={"field": "rrule"}) from exc


def series_end(rule: str, starts_at: datetime, ends_at: datetime) -> datetime | None:
    """The end of the last occurrence, or None for a rule that repeats without end."""
    if not rule:
        return ends_at
    parsed = parse(rule, starts_at)
    if not {part.split("=", 1)[0] for part in normalise(rule).split(";")} & {"COUNT", "UNTIL"}:
        return None
    starts = list(islice(parsed, MAX_OCCURRENCES + 1))
    if not starts:
        raise RecurrenceInvalid("繰り返しの指定では一度も予定が入りません。", details={"field": "rrule"})
    if len(starts) > MAX_OCCURRENCES:
        raise RecurrenceInvalid(f"繰り返しは{MAX_OCCURRENCES}回までにしてください。", details={"field": "rrule"})
    return starts[-1] + (ends_at - starts_at)


def occurrences(
    rule: str, starts_at: datetime, ends_at: datetime, *, window_start: datetime, window_end: datetime
) -> list[tuple[datetime, datetime]]:
    """(start, end) of every occurrence that overlaps [window_start, window_end)."""
    duration = ends_at - starts_at
    if not rule:
        return [(starts_at, ends_at)] if starts_at < window_end and ends_at > window_start else []
    parsed = parse(rule, starts_at)
    # between() is exclusive: an occurrence overlaps when it starts after window_start - duration.
    after = window_start - duration - timedelta(microseconds=1)
    starts = parsed.between(after.astimezone(TOKYO), window_end.astimezone(TOKYO), inc=False)
    return [(start, start + duration) for start in starts if start + duration > window_start and start < window_end]
