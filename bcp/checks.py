"""Deployment checks of the BCP module (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

import pyrage
from django.core.checks import CheckMessage, Error, Tags, register

from bcp.errors import BackupError
from bcp.keys import configured_key_refs, identity_for
from common.keys import DEV_BACKUP_KEY


@register(Tags.security, deploy=True)
def backup_keys_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """A deployment without a usable backup key makes no backups: the council's reason to exist (docs/bcp.md)."""
    refs = configured_key_refs()
    if not refs:
        return [
            Error(
                "KYODO_BACKUP_KEYS is empty: the nightly backups cannot be encrypted",
                hint='Set KYODO_BACKUP_KEYS={"<ref>": "AGE-SECRET-KEY-1..."} in the workers\' environment.',
                id="kyodo.E101",
            )
        ]
    problems: list[CheckMessage] = []
    for ref in refs:
        try:
            identity = identity_for(ref)
        except BackupError:
            problems.append(Error(f"KYODO_BACKUP_KEYS[{ref!r}] is not an age secret key", id="kyodo.E102"))
            continue
        # The repository publishes the demo's key (common/keys.py): backups made with it are readable
        # by anyone. Compared as identities, so a change of letter case does not slip through.
        if str(identity) == str(pyrage.x25519.Identity.from_str(DEV_BACKUP_KEY)):
            problems.append(
                Error(f"KYODO_BACKUP_KEYS[{ref!r}] is the development key published in the repository", id="kyodo.E103")
            )
    return problems
