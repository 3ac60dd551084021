"""Hooks that apps above the access layer register with it.

Apps depend downwards (common ← tenants ← business apps and bcp): the access layer never imports an app built
on it. Where it must let one act — disaster mode (bcp) records an emergency member's use of a town once the
request is let in — that app registers a callable here in its ``AppConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.http import HttpRequest


class AccessGranted(Protocol):
    def __call__(self, request: HttpRequest, *, user: Any = None, api: bool = False) -> None: ...


_access_granted: list[AccessGranted] = []


def on_access_granted(hook: AccessGranted) -> None:
    """Call ``hook`` after every page or API request that the access pipeline let in (idempotent)."""
    if hook not in _access_granted:
        _access_granted.append(hook)


def access_granted(request: HttpRequest, *, user: Any = None, api: bool = False) -> None:
    for hook in _access_granted:
        hook(request, user=user, api=api)


def registered() -> tuple[Callable[..., None], ...]:
    return tuple(_access_granted)
