"""Audited logs of the register: 異動 and 交付履歴 (no names: numbers, kinds and dates)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet

from common import audit
from common.dates import day_start
from common.errors import ValidationFailed
from resident_records.models import (
    CertificateIssuance,
    ChangeEvent,
)
from tenants.models import Person

if TYPE_CHECKING:
    from tenants.models import Person

# --- audited logs (no names: numbers, kinds and dates) -----------------------------------------------------


def change_event_log(*, actor: Person | None, filters: Mapping[str, str], export: bool) -> QuerySet[ChangeEvent]:
    """The 異動 log, filtered by ``kind``, ``since`` and ``until`` (YYYY-MM-DD); its listing or export is audited."""
    events = ChangeEvent.objects.select_related("household", "cancelled_by").order_by("-processed_at", "-id")
    try:
        if filters.get("kind"):
            events = events.filter(kind=filters["kind"])
        if filters.get("since"):
            events = events.filter(event_date__gte=filters["since"])
        if filters.get("until"):
            events = events.filter(event_date__lte=filters["until"])
        events.exists()
    except DjangoValidationError as exc:
        raise ValidationFailed("日付は YYYY-MM-DD で指定してください。", details={"error": exc.messages}) from exc
    audit.record(
        actor=actor,
        action="resident.event_export" if export else "resident.event_list",
        details={k: v for k, v in filters.items() if k in {"kind", "since", "until"}},
    )
    return events


def certificate_issuance_log(
    *, actor: Person | None, filters: Mapping[str, Any], export: bool
) -> QuerySet[CertificateIssuance]:
    """交付履歴 (標準仕様書 §1.3.8) filtered by 交付日 (Asia/Tokyo days), kind and voided; audited with its filters."""
    rows = CertificateIssuance.objects.prefetch_related("residents").order_by("-issued_at", "-id")
    if filters.get("since"):
        rows = rows.filter(issued_at__gte=day_start(filters["since"]))
    if filters.get("until"):
        rows = rows.filter(issued_at__lt=day_start(filters["until"] + timedelta(days=1)))
    if filters.get("kind"):
        rows = rows.filter(kind=filters["kind"])
    if filters.get("voided") is not None:
        rows = rows.filter(voided_at__isnull=not filters["voided"])
    audit.record(
        actor=actor,
        action="certificate.log_export" if export else "certificate.log_list",
        details={k: str(v) for k, v in filters.items() if v not in (None, "")},
    )
    return rows
