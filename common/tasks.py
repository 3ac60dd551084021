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


@shared_task(name="common.tasks.run_job")
def run_job(job_id: int) -> str | None:
    """Run a background job (common.jobs) in the schema of the town that queued it; a no-op if it ran already."""
    from common import jobs

    job = jobs.run_job(job_id)
    return job.state if job is not None else None


@shared_task(name="common.tasks.chain_audit_trail", ignore_result=True)
def chain_audit_trail(trail: str) -> int:
    """Link the rows just committed to ``trail`` into its chain (queued by audit.record on commit)."""
    return audit.run_sequencer(trail)


@shared_task(name="common.tasks.chain_all_audit_trails", ignore_result=True)
def chain_all_audit_trails() -> dict[str, int]:
    """Every few seconds (beat): the safety net of the on-commit runs, for every trail."""
    return audit.chain_all_trails()
