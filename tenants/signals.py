"""Authentication events from Django and django-axes, written to the town's audit trail.

These are hooks into third-party code that offers only signals; they record, they decide nothing.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from tenants import services


def _username(credentials: dict[str, Any] | None, username: str | None = None) -> str:
    return str(username or (credentials or {}).get("username", ""))[:64]


@receiver(user_login_failed, dispatch_uid="kyodo_audit_login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any] | None = None, request: Any = None, **kwargs: Any
) -> None:
    if request is None or getattr(request, "tenant", None) is None:
        return
    services.record_failed_sign_in(username=_username(credentials))


@receiver(user_locked_out, dispatch_uid="kyodo_audit_locked_out")
def audit_locked_out(sender: Any, request: Any = None, username: str | None = None, **kwargs: Any) -> None:
    if request is None or getattr(request, "tenant", None) is None:
        return
    services.record_lockout(username=_username(None, username), ip_address=kwargs.get("ip_address"))
