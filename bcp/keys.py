"""Encryption keys and storage credentials of the backup sites, looked up by reference in the settings.

Sites and backups store only a reference name (``encryption_key_ref``, ``credentials_ref``); the values come
from the workers' environment (``KYODO_BACKUP_KEYS`` / ``KYODO_BACKUP_CREDENTIALS``, JSON), so a stolen copy of
the database or of a backup site never holds what decrypts the backups.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyrage
from django.conf import settings

from bcp.errors import CredentialsNotConfigured, InvalidKey, KeyNotConfigured


def configured_key_refs() -> list[str]:
    return sorted(getattr(settings, "KYODO_BACKUP_KEYS", {}) or {})


def configured_credential_refs() -> list[str]:
    return sorted(getattr(settings, "KYODO_BACKUP_CREDENTIALS", {}) or {})


def identity_for(key_ref: str) -> pyrage.x25519.Identity:
    """The age x25519 identity (secret key) named ``key_ref``: decrypts the backups made for it."""
    keys = getattr(settings, "KYODO_BACKUP_KEYS", {}) or {}
    secret = keys.get(key_ref)
    if not key_ref or not secret:
        raise KeyNotConfigured(
            f"暗号鍵「{key_ref}」が設定 (KYODO_BACKUP_KEYS) にありません。", details={"key_ref": key_ref}
        )
    try:
        return pyrage.x25519.Identity.from_str(str(secret).strip())
    except pyrage.IdentityError as exc:
        raise InvalidKey(details={"key_ref": key_ref}) from exc


def recipient_for(key_ref: str) -> pyrage.x25519.Recipient:
    """The public half of ``key_ref``: what the backups are encrypted to."""
    return identity_for(key_ref).to_public()


@dataclass(frozen=True)
class S3Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


def credentials_for(credentials_ref: str) -> S3Credentials | None:
    """S3 credentials named ``credentials_ref``; an empty ref means boto3's own chain (instance role, env)."""
    if not credentials_ref:
        return None
    credentials = (getattr(settings, "KYODO_BACKUP_CREDENTIALS", {}) or {}).get(credentials_ref)
    if not isinstance(credentials, dict) or not credentials.get("access_key_id"):
        raise CredentialsNotConfigured(
            f"認証情報「{credentials_ref}」が設定 (KYODO_BACKUP_CREDENTIALS) にありません。",
            details={"credentials_ref": credentials_ref},
        )
    return S3Credentials(
        access_key_id=str(credentials["access_key_id"]),
        secret_access_key=str(credentials.get("secret_access_key", "")),
        session_token=credentials.get("session_token") or None,
    )
