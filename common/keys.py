"""Secrets that this repository publishes (tests and the demo only), and this installation's own SECRET_KEY.

Everything here is plain Python with no Django import: the settings and ``scripts/kyodo_up.py`` use it before
Django starts, and ``common/checks.py`` refuses each published value in ``manage.py check --deploy``
(docs/security.md).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

# The SECRET_KEY of config/settings/test.py: it signs nothing outside a throwaway test database.
TEST_SECRET_KEY = "kyodo-test-key-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
# Every SECRET_KEY this repository has ever published: the local settings' default until each installation
# generated its own, and the test key. Anyone can sign sessions, password-reset links and tickets with them.
PUBLISHED_SECRET_KEYS = frozenset({TEST_SECRET_KEY, "kyodo-local-insecure-key-do-not-use-in-production-0123456789"})

# 個人番号 encryption key of the demo and the tests (url-safe base64 of 32 bytes). NOT FOR PRODUCTION.
DEV_MYNUMBER_KEY = "a3lvZG8tZGV2LW15bnVtYmVyLWtleS0zMmJ5dGVzISE="
# BCP backup key of the demo and the tests — NOT FOR PRODUCTION (anyone can read it here). It is fixed, not
# generated at import, so every process (pytest, Celery workers) encrypts and decrypts with the same key.
DEV_BACKUP_KEY = "AGE-SECRET-KEY-17W0LY88WDG3US3RC54DZC2QNQUE4KM8Y7UVH2SCST2GF8VEX4VDQ4M2AHR"

# Where `./kyodo up` and config.settings.local keep this installation's SECRET_KEY (KYODO_SECRET_KEY_FILE
# overrides it). .kyodo/ is the state directory of the checkout, never committed.
DEFAULT_SECRET_KEY_FILE = Path(__file__).resolve().parent.parent / ".kyodo" / "secret_key"


def secret_key_file() -> Path:
    return Path(os.environ.get("KYODO_SECRET_KEY_FILE") or DEFAULT_SECRET_KEY_FILE)


def installation_secret_key(path: Path | None = None) -> str:
    """This installation's own SECRET_KEY: read from ``path``, or generated there on first use (mode 0600).

    Processes started together (gunicorn workers, Celery) may all get here first: the key is written to a
    private temporary file and linked into place, so exactly one key wins and every process reads that one.
    """
    path = path or secret_key_file()
    existing = _read(path)
    if existing:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as stream:
            stream.write(secrets.token_urlsafe(50) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(candidate, path)
    finally:
        candidate.unlink(missing_ok=True)
    key = _read(path)
    if not key:
        raise RuntimeError(f"SECRET_KEY could not be read from {path}")
    return key


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""
