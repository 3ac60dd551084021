"""Per-request (or per-task) context that audit rows and log lines pick up without plumbing.

Set by common.middleware.RequestContextMiddleware for web requests and by Celery signal handlers for
tasks. Context variables keep concurrent requests in threaded servers apart.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class RequestContext:
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    client_ip: str | None = None
    terminal: str = ""
    roles: tuple[str, ...] = ()
    person_id: int | None = None
    channel: str = "system"  # web, api, admin, task, command, system


_current: ContextVar[RequestContext | None] = ContextVar("kyodo_request_context", default=None)


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        ctx = RequestContext()
        _current.set(ctx)
    return ctx


def activate(ctx: RequestContext) -> object:
    return _current.set(ctx)


def deactivate(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
