"""Demo backup sites for `./kyodo up`: an inland and a remote site as directories on this machine.

A real council points the inland site at the inland server room's storage and the remote site at an
S3-compatible object store far from the coast (see README.md). The demo keeps both under the project's
state directory, encrypted with the development key of config/settings/local.py (never for production).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from django.db import transaction

from bcp.errors import BackupError
from bcp.models import BackupSite, SiteRole, StorageKind
from bcp.sites import set_up_site

DEMO_KEY_REF = "dev"  # config/settings/local.py: a fixed development key, marked not for production

DEMO_SITES = [
    # name, label, role, retention (daily, weekly, monthly), RPO and RTO targets in minutes
    ("inland", "内陸サイト(標高約200m・デモ)", SiteRole.INLAND, (14, 0, 0), 24 * 60, 60),
    ("remote", "遠隔地サイト(デモ)", SiteRole.REMOTE, (7, 0, 12), 24 * 60, 240),
]


def seed_demo_sites(*, root: Path) -> list[BackupSite]:
    """Create the two demo sites under ``root`` unless the council already has backup sites (idempotent)."""
    if BackupSite.objects.exists():
        # A demo made before sites carried a marker (docs/domain/bcp-reliability.md §1): set its own sites up, so its
        # backups go on.
        for site in BackupSite.objects.filter(marker_written_at__isnull=True, location__startswith=str(root.resolve())):
            with contextlib.suppress(BackupError):  # a site that cannot be set up shows as failed copies instead
                set_up_site(actor=None, site=site)
        return []
    created = []
    with transaction.atomic():
        for name, label, role, (daily, weekly, monthly), rpo, rto in DEMO_SITES:
            directory = (root / name).resolve()
            directory.mkdir(parents=True, exist_ok=True)
            created.append(
                BackupSite.objects.create(
                    name=name,
                    label=label,
                    role=role,
                    storage_kind=StorageKind.FILESYSTEM,
                    location=str(directory),
                    encryption_key_ref=DEMO_KEY_REF,
                    keep_daily=daily,
                    keep_weekly=weekly,
                    keep_monthly=monthly,
                    rpo_target_minutes=rpo,
                    rto_target_minutes=rto,
                )
            )
        for site in created:
            set_up_site(actor=None, site=site)
    return created
