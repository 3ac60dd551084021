"""``{% event_web_meeting event is_organiser %}``: the Web会議 box of the scheduler's event page, a hook that keeps
the groupware's own view unchanged (docs/domain/meetings.md §6): for a town's entry and for an entry across towns
kept in the council's schema (``event.council_wide``) alike."""

from __future__ import annotations

from typing import Any

from django import template

from groupware.meetings.selectors import web_meeting_for_event
from tenants.access import person_of

register = template.Library()


@register.inclusion_tag("groupware_meetings/_event_web_meeting.html", takes_context=True)
def event_web_meeting(context: template.Context, event: Any, is_organiser: bool) -> dict[str, Any]:
    viewer = person_of(context["request"])
    return {
        "event": event,
        "is_organiser": is_organiser,
        "council_wide": bool(getattr(event, "council_wide", False)),
        "web_meeting": web_meeting_for_event(
            viewer_id=viewer.pk, event_id=event.pk, council_wide=bool(getattr(event, "council_wide", False))
        ),
        "csrf_token": context.get("csrf_token"),
    }
