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
_TICK = timedelta(microseconds=1)


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


def starts_between(rule: str, starts_at: datetime, *, after: datetime, before: datetime) -> list[datetime]:
    """The starts of the series anchored at ``starts_at`` that fall in [after, before), in Asia/Tokyo.

    The starts depend only on the rule and the anchor, not on the entry's length: a calendar read expands each
    distinct (rule, start) once and lets every entry sharing it add its own length (groupware.selectors_calendar).
    """
    parsed = parse(rule, starts_at)
    # between() is exclusive at both ends; a microsecond earlier makes ``after`` itself count.
    return parsed.between((after - _TICK).astimezone(TOKYO), before.astimezone(TOKYO), inc=False)
