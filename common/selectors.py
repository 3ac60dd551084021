from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from common.models import AuditEvent


def list_audit_events(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    action: str | None = None,
) -> QuerySet[AuditEvent]:
    """Audit rows of the current schema, newest first. ``action`` ending in '.' or '*' is a prefix."""
    events = AuditEvent.objects.all()
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    if actor:
        events = events.filter(actor_username=actor)
    if action:
        if action.endswith(("*", ".")):
            events = events.filter(action__startswith=action.rstrip("*"))
        else:
            events = events.filter(action=action)
    return events.order_by("-seq")
