"""Authentication events from Django and django-axes, written to the town's audit trail.

These are hooks into third-party code that offers only signals; they record, they decide nothing.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from common import audit
from tenants.models import Person


def _username(credentials: dict[str, Any] | None, username: str | None = None) -> str:
    return str(username or (credentials or {}).get("username", ""))[:64]


@receiver(user_login_failed, dispatch_uid="kyodo_audit_login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any] | None = None, request: Any = None, **kwargs: Any
) -> None:
    if request is None or getattr(request, "tenant", None) is None:
        return
    name = _username(credentials)
    audit.record(
        actor=Person.objects.filter(username=name).first(),
        action="auth.login_failed",
        details={"username": name},
    )


@receiver(user_locked_out, dispatch_uid="kyodo_audit_locked_out")
def audit_locked_out(sender: Any, request: Any = None, username: str | None = None, **kwargs: Any) -> None:
    if request is None or getattr(request, "tenant", None) is None:
        return
    name = _username(None, username)
    audit.record(
        actor=Person.objects.filter(username=name).first(),
        action="auth.locked_out",
        details={"username": name, "ip_address": kwargs.get("ip_address")},
    )
