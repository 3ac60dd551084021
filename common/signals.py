"""Celery hooks: every task runs with its own request context, so audit rows name the task."""

from __future__ import annotations

from typing import Any

from celery.signals import task_postrun, task_prerun

from common import context

_tokens: dict[str, object] = {}


@task_prerun.connect
def _task_context(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    if task_id is None:
        return
    _tokens[task_id] = context.activate(context.RequestContext(request_id=task_id, channel="task"))


@task_postrun.connect
def _task_context_done(task_id: str | None = None, **kwargs: Any) -> None:
    token = _tokens.pop(task_id or "", None)
    if token is not None:
        context.deactivate(token)
