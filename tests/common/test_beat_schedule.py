"""Every task Celery beat schedules exists under that name: a typo would only show at 02:00 on the night of a
disaster otherwise (the BCP backups, drills, lag samples and grant expiry are all beat-driven)."""

from __future__ import annotations

from django.conf import settings

from config.celery import app


def test_every_scheduled_task_is_registered() -> None:
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery of <app>.tasks
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled >= {
        "bcp.tasks.run_nightly_backups",
        "bcp.tasks.retry_due_uploads",
        "bcp.drill_tasks.run_due_drills",
        "bcp.standby_tasks.sample_replication_lag",
        "bcp.disaster_tasks.expire_emergency_grants",
    }
    missing = sorted(name for name in scheduled if name not in app.tasks)
    assert missing == []
