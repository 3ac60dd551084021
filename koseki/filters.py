"""Filters of the koseki API lists (common.filters: 西暦 or 和暦 dates, the platform's errors)."""

from __future__ import annotations

import django_filters

from common.filters import BooleanFilter, FilterSet, LocalDayFilter, WarekiDateFilter
from koseki.models import CertificateIssuance, CertificateKind, Notification, NotificationKind


class KosekiIssuanceFilter(FilterSet):
    since = LocalDayFilter(field_name="issued_at", help_text="交付日 from (YYYY-MM-DD or 和暦, Asia/Tokyo)")
    until = LocalDayFilter(field_name="issued_at", end=True, help_text="交付日 up to, inclusive (YYYY-MM-DD or 和暦)")
    kind = django_filters.ChoiceFilter(choices=CertificateKind.choices)
    wide_area = BooleanFilter(help_text="広域交付 only")

    class Meta:
        model = CertificateIssuance
        fields: list[str] = []


class KosekiNotificationFilter(FilterSet):
    since = WarekiDateFilter(field_name="accepted_on", lookup_expr="gte", help_text="受理日 from (YYYY-MM-DD or 和暦)")
    until = WarekiDateFilter(
        field_name="accepted_on", lookup_expr="lte", help_text="受理日 up to, inclusive (YYYY-MM-DD or 和暦)"
    )
    kind = django_filters.ChoiceFilter(choices=NotificationKind.choices)

    class Meta:
        model = Notification
        fields: list[str] = []
