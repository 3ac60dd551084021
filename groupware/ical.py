"""iCalendar (RFC 5545) output through the ``icalendar`` package: the personal feed and the .ics export."""

from __future__ import annotations

from collections.abc import Iterable

from icalendar import Calendar, vRecur
from icalendar import Event as IcsEvent

from groupware.models import Event

PRODID = "-//Kyodo//groupware//JA"


def calendar_of(events: Iterable[Event], *, name: str) -> bytes:
    """A calendar of a person's own entries (they take part in each, so private ones are shown in full, marked
    CLASS:PRIVATE for the client); repeating entries keep their RRULE."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Tokyo")
    for event in events:
        item = IcsEvent()
        item.add("uid", f"{'council-' if event.council_wide else ''}event-{event.pk}@kyodo")
        item.add("summary", event.title)
        if event.location:
            item.add("location", event.location)
        if event.description:
            item.add("description", event.description)
        item.add("dtstart", event.starts_at)
        item.add("dtend", event.ends_at)
        item.add("dtstamp", event.created_at)
        if event.is_private:
            item.add("class", "PRIVATE")
        if event.rrule:
            item.add("rrule", vRecur.from_ical(event.rrule))
        cal.add_component(item)
    return bytes(cal.to_ical())
