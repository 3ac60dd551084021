"""Audited logs of the register: 異動 and 交付履歴 (no names: numbers, kinds and dates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from common import audit
from common.filters import FilterSet
from resident_records.models import (
    CertificateIssuance,
    ChangeEvent,
)
from tenants.models import Person

if TYPE_CHECKING:
    from tenants.models import Person

# --- audited logs (no names: numbers, kinds and dates) -----------------------------------------------------


def change_event_log(*, actor: Person | None, filters: FilterSet, export: bool) -> QuerySet[ChangeEvent]:
    """The 異動 log, filtered by ``kind``, ``since`` and ``until`` (resident_records.filters, validated); its listing
    or export is audited with its filters."""
    events = ChangeEvent.objects.select_related("household", "cancelled_by").order_by("-processed_at", "-id")
    audit.record(
        actor=actor,
        action="resident.event_export" if export else "resident.event_list",
        details=filters.audit_details(),
    )
    return filters.filter_queryset(events)


def certificate_issuance_log(
    *, actor: Person | None, filters: FilterSet, export: bool
) -> QuerySet[CertificateIssuance]:
    """交付履歴 (標準仕様書 §1.3.8) filtered by 交付日 (Asia/Tokyo days), kind and voided (resident_records.filters,
    validated); audited with its filters."""
    rows = CertificateIssuance.objects.prefetch_related("residents").order_by("-issued_at", "-id")
    audit.record(
        actor=actor,
        action="certificate.log_export" if export else "certificate.log_list",
        details=filters.audit_details(),
    )
    return filters.filter_queryset(rows)
