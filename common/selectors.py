from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from common import audit
from common.filters import AuditEventFilter, filter_action, filter_person
from common.models import AuditEvent


def list_audit_events(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    action: str | None = None,
    person: str | None = None,
) -> QuerySet[AuditEvent]:
    """Audit rows of the current schema, newest first. ``action`` ending in '.' or '*' is a prefix; ``person`` (a
    宛名番号) selects the reads that showed that person (common.filters.filter_person)."""
    events = AuditEvent.objects.all()
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    if actor:
        events = events.filter(actor_username=actor)
    if action:
        events = filter_action(events, action)
    if person:
        events = filter_person(events, person)
    return events.order_by("-seq")


def read_audit_events(
    *, actor: Any, filters: AuditEventFilter, export: bool = False, trail: str | None = None
) -> QuerySet[AuditEvent]:
    """The audit trail as an auditor reads it (``filters`` validated, common.filters): the reading itself is
    audited (who looked at the log, filtered how). ``actor`` is the person reading (a tenants.Person; common names
    no app).

    The row is written to the current town's trail; the caller runs the returned query in the trail it shows.
    """
    details = filters.audit_details() | ({"trail": trail} if trail is not None else {})
    audit.record(actor=actor, action="audit.export" if export else "audit.list", details=details)
    return filters.filter_queryset(AuditEvent.objects.all()).order_by("-seq")
