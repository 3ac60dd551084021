"""Filters of the resident register's API lists (common.filters: 西暦 or 和暦 dates, the platform's errors)."""

from __future__ import annotations

import django_filters

from common.filters import BooleanFilter, FilterSet, LocalDayFilter, WarekiDateFilter
from resident_records.models import CertificateIssuance, CertificateKind, ChangeEvent


class ChangeEventFilter(FilterSet):
    kind = django_filters.CharFilter(help_text="異動の種類 / kind of change event")
    since = WarekiDateFilter(
        field_name="event_date", lookup_expr="gte", help_text="異動日の始め / 異動日 from (YYYY-MM-DD or 和暦)"
    )
    until = WarekiDateFilter(
        field_name="event_date", lookup_expr="lte", help_text="異動日の終わり / 異動日 up to (YYYY-MM-DD or 和暦)"
    )

    class Meta:
        model = ChangeEvent
        fields: list[str] = []


class CertificateIssuanceFilter(FilterSet):
    since = LocalDayFilter(field_name="issued_at", help_text="交付日 from (YYYY-MM-DD or 和暦, Asia/Tokyo)")
    until = LocalDayFilter(field_name="issued_at", end=True, help_text="交付日 up to, inclusive (YYYY-MM-DD or 和暦)")
    kind = django_filters.ChoiceFilter(choices=CertificateKind.choices)
    voided = BooleanFilter(
        field_name="voided_at", lookup_expr="isnull", exclude=True, help_text="取消済みのみ / 未取消のみ"
    )

    class Meta:
        model = CertificateIssuance
        fields: list[str] = []
