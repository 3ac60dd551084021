from __future__ import annotations

from typing import Any

from celery import shared_task

from common import audit
from common.tenancy import current_schema


@shared_task(name="common.tasks.verify_audit_chain")
def verify_audit_chain() -> dict[str, Any]:
    """Verify the audit chain of the schema the task runs in (the town that queued it)."""
    report = audit.verify_chain(current_schema())
    return {
        "trail": report.trail,
        "rows": report.rows,
        "intact": report.intact,
        "first_break": str(report.first_break) if report.first_break else None,
    }


@shared_task(name="common.tasks.verify_all_audit_chains")
def verify_all_audit_chains() -> list[dict[str, Any]]:
    """Nightly: verify every trail (audit.verify_all_trails)."""
    return audit.verify_all_trails()
