from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from common import audit
from common.dates import local_today
from common.models import AuditEvent
from tenants.models import Membership


@shared_task(name="tenants.tasks.log_membership_transitions")
def log_membership_transitions() -> int:
    """Daily: note in the council trail every membership that took effect today or ended yesterday.

    Access itself needs no job (it is evaluated per request); this only leaves the auditors a record
    of when transfers and emergency memberships actually started and lapsed. Safe to re-run.
    """
    today = local_today()
    written = 0
    started = Membership.objects.filter(valid_from=today).select_related("person", "municipality")
    ended = Membership.objects.filter(valid_to=today - timedelta(days=1)).select_related("person", "municipality")
    for action, memberships in (("membership.started", started), ("membership.ended", ended)):
        for membership in memberships:
            key = f"{action}:{membership.pk}:{today.isoformat()}"
            if AuditEvent.objects.filter(action=action, details__key=key).exists():
                continue
            audit.record(
                actor=None,
                action=action,
                obj=membership,
                details={
                    "key": key,
                    "person": membership.person.username,
                    "municipality": membership.municipality.schema_name,
                    "role": membership.role,
                    "emergency": membership.is_emergency,
                },
                council=True,
            )
            written += 1
    return written
