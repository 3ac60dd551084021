from __future__ import annotations

from celery import shared_task

from common.dates import local_today
from tenants import services


@shared_task(name="tenants.tasks.log_membership_transitions")
def log_membership_transitions() -> int:
    """Daily: the council trail's note of memberships that started today or ended yesterday."""
    return services.log_membership_transitions(today=local_today())
