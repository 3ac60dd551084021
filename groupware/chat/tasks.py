"""Celery tasks of the chat (docs/domain/chat.md §5)."""

from __future__ import annotations

from celery import shared_task

from groupware.chat import services


@shared_task(name="groupware.chat.tasks.purge_expired_messages")
def purge_expired_messages() -> int:
    """Nightly (beat): delete the threads past their channel's retention, audited in the council's trail. The
    chat lives in the council's schema, which the service enters itself, whatever tenant queued the task."""
    return services.purge_expired()
