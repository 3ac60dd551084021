"""Counts of the register that other modules use (the council's cost sharing: 人口割 and 利用割)."""

from __future__ import annotations

from datetime import date, timedelta

from common.dates import day_start
from resident_records.models import CertificateIssuance, ResidentRecord, ResidentStatus
from resident_records.selectors.as_of import NOT_A_STATE, effective_records


def population_on(day: date) -> int:
    """住民基本台帳人口 on ``day``: residents whose entry, as it stood that day, was a 住民 (not 転出・死亡・消除).
    Public for the council's cost sharing (人口割, docs/domain/finance.md §9)."""
    latest = (
        effective_records()
        .filter(effective_on__lte=day)
        .exclude(event__kind__in=NOT_A_STATE)
        .order_by("resident_id", "-effective_on", "-recorded_at", "-id")
        .distinct("resident_id")
    )
    return ResidentRecord.objects.filter(
        pk__in=latest.values("pk"), status=ResidentStatus.RESIDENT, became_resident_on__lte=day
    ).count()


def certificates_issued(since: date, until: date) -> int:
    """住民票の写し等 issued in the period and not voided (a usage metric of the cost sharing)."""
    return CertificateIssuance.objects.filter(
        issued_at__gte=day_start(since), issued_at__lt=day_start(until + timedelta(days=1)), voided_at__isnull=True
    ).count()
