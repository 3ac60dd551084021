"""Deployment checks (``manage.py check --deploy``): a configuration that is unsafe for real data fails.

Django's own deploy checks only warn about DEBUG and a weak SECRET_KEY; here they are errors, together with
the keys this repository publishes (common/keys.py). See docs/security.md "Deployment checks".
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from common.keys import DEV_MYNUMBER_KEY, PUBLISHED_SECRET_KEYS

# Django's own floor for a strong SECRET_KEY (django.core.checks.security.base, W009).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5
# ALLOWED_HOSTS entries that accept any Host header, or hosts every machine resolves to itself.
UNSAFE_ALLOWED_HOSTS = {"*", "localhost", ".localhost"}


@register(Tags.security, deploy=True)
def demo_mode_off_in_deploy(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The demo two-factor shortcut must never be on in a deployment."""
    if getattr(settings, "KYODO_DEMO_MODE", False):
        return [Error("KYODO_DEMO_MODE is on: demo two-factor shortcut enabled", id="kyodo.E001")]
    return []


@register(Tags.security, deploy=True)
def debug_off_in_deploy(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """DEBUG shows settings, SQL and personal data in error pages."""
    if settings.DEBUG:
        return [Error("DEBUG is on: error pages would show settings and personal data", id="kyodo.E002")]
    return []


@register(Tags.security, deploy=True)
def secret_key_is_private_and_strong(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """A published or weak SECRET_KEY lets anyone forge sessions and signed values."""
    key = str(getattr(settings, "SECRET_KEY", "") or "")
    hint = "Generate one: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    if key in PUBLISHED_SECRET_KEYS:
        return [Error("SECRET_KEY is a key published in the Kyodo repository", hint=hint, id="kyodo.E003")]
    if (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith("django-insecure-")
    ):
        return [
            Error(
                f"SECRET_KEY is too weak: at least {SECRET_KEY_MIN_LENGTH} characters and "
                f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones, not Django's 'django-insecure-' placeholder",
                hint=hint,
                id="kyodo.E004",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def allowed_hosts_are_explicit(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Town hosts pick the schema: a wildcard or localhost host would answer for any name or for the server."""
    unsafe = sorted({host for host in settings.ALLOWED_HOSTS if host.strip().lower() in UNSAFE_ALLOWED_HOSTS})
    if unsafe:
        return [
            Error(
                f"ALLOWED_HOSTS contains {', '.join(unsafe)}",
                hint="List the council's host names, e.g. KYODO_ALLOWED_HOSTS=.kyodo.example.jp",
                id="kyodo.E005",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def mynumber_key_is_private_and_well_formed(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """個人番号 are encrypted with this key (resident_records.mynumber): it must be 32 random private bytes."""
    raw = str(getattr(settings, "KYODO_MYNUMBER_KEY", "") or "").strip()
    hint = (
        "Generate one: python -c "
        "'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'"
    )
    if raw == DEV_MYNUMBER_KEY:
        return [
            Error("KYODO_MYNUMBER_KEY is the development key published in the repository", hint=hint, id="kyodo.E006")
        ]
    if mynumber_key_bytes(raw) is None:
        return [Error("KYODO_MYNUMBER_KEY is not url-safe base64 of 32 bytes", hint=hint, id="kyodo.E007")]
    return []


def mynumber_key_bytes(raw: str) -> bytes | None:
    """The 32 key bytes, or None unless ``raw`` is exactly url-safe base64 of 32 bytes (no stray characters)."""
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded if len(decoded) == 32 else None
