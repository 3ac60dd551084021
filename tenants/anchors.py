"""The audit trails' anchors (tenants.AuditAnchor, public schema), offered to common.audit as its AnchorStore.

The verified head of every trail is kept outside that trail, in public, so that a trail cut at its tail or
re-hashed after the fact no longer matches what was verified before (docs/ARCHITECTURE.md, Audit).
"""

from __future__ import annotations

from django_tenants.utils import get_public_schema_name, schema_context

from tenants.models import AuditAnchor


class AuditAnchorStore:
    def anchors(self, trail: str) -> dict[int, str]:
        with schema_context(get_public_schema_name()):
            return dict(AuditAnchor.objects.filter(trail=trail).values_list("seq", "row_hash"))

    def add(self, trail: str, seq: int, row_hash: str) -> None:
        with schema_context(get_public_schema_name()):
            AuditAnchor.objects.get_or_create(trail=trail, seq=seq, defaults={"row_hash": row_hash})
