from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from common import audit
from common.models import AuditEvent


def list_audit_events(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    action: str | None = None,
    person: str | None = None,
) -> QuerySet[AuditEvent]:
    """Audit rows of the current schema, newest first. ``action`` ending in '.' or '*' is a prefix.

    ``person`` (a 宛名番号) selects the reads that showed that person: a view lists everyone it showed in
    ``details["persons"]`` (one row per view, docs/audit.md), matched by JSON containment, which the GIN index
    ``audit_details_path_gin`` serves."""
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
    if person:
        events = events.filter(details__contains={"persons": [person]})
    return events.order_by("-seq")


def read_audit_events(
    *, actor: Any, filters: dict[str, Any], export: bool = False, trail: str | None = None
) -> QuerySet[AuditEvent]:
    """The audit trail as an auditor reads it: the reading itself is audited (who looked at the log, filtered how).
    ``actor`` is the person reading (a tenants.Person; common names no app).

    The row is written to the current town's trail; the caller runs the returned query in the trail it shows.
    """
    details = {k: str(v) for k, v in filters.items()} | ({"trail": trail} if trail is not None else {})
    audit.record(actor=actor, action="audit.export" if export else "audit.list", details=details)
    return list_audit_events(**filters)
