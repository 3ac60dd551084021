"""Setting up a backup site: the marker that lets every later write prove it reaches the site.

docs/domain/bcp-reliability.md §1. A site is identified by a small marker object at its root naming the site (its id
and name) and the council; it is written here, when IT staff set the site up, and read back before it counts. From
then on every write to the site (bcp.storage.IdentifiedStorage) checks it before and after, so an unmounted disk's
empty mount point, a typo in the location, or another council's store is a failed copy with an alert.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from bcp.errors import ObjectMissing, SiteMarkerForeign
from bcp.models import BackupSite
from bcp.storage import (
    MARKER_KEY,
    check_mount_point,
    marker_bytes,
    site_marker,
    unchecked_storage_for,
    verify_site_marker,
)
from common import audit

if TYPE_CHECKING:
    from tenants.models import Person

AUDIT_LABELS = {"bcp.site_set_up": "BCP: バックアップサイトの識別マーカー設置"}


def set_up_site(*, actor: Person | None, site: BackupSite) -> BackupSite:
    """Write the site's marker (unless it is already there) and read it back; idempotent.

    Refuses a site whose location already holds another site's or another council's marker (it is not this site's
    storage) and, where required, a location that is not a mount point. Raises a
    :class:`bcp.errors.StorageError` subclass; nothing is recorded unless the marker was read back."""
    check_mount_point(site)
    store = unchecked_storage_for(site)
    expected = site_marker(site)
    written = False
    try:
        found = json.loads(store.get_bytes(MARKER_KEY).decode("utf-8"))
    except ObjectMissing:
        found = None
    except (ValueError, UnicodeDecodeError):
        found = {"unreadable": True}
    if found is None:
        store.put_bytes(marker_bytes(expected), MARKER_KEY)
        written = True
    elif not isinstance(found, dict) or any(found.get(name) != expected[name] for name in ("site_id", "council")):
        raise SiteMarkerForeign(
            f"保存先には別のサイトまたは別の協議会の識別マーカーがあります。バックアップサイト「{site.name}」としては"
            "使用できません(保存先を確認してください)。",
            details={"site": site.name, "found": found},
        )
    # Read back through the same check every write uses: what we wrote must be what the site now answers.
    verify_site_marker(site, store)
    with transaction.atomic():
        now = timezone.now()
        BackupSite.objects.filter(pk=site.pk).update(marker_written_at=now)
        site.marker_written_at = now
        audit.record(
            actor=actor,
            action="bcp.site_set_up",
            obj=site,
            details={"site": site.name, "location": site.location, "marker_written": written},
            council=True,
        )
    return site
