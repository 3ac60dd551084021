"""Filters of the BCP API lists (common.filters: 西暦 or 和暦 dates, the platform's errors)."""

from __future__ import annotations

import django_filters

from bcp.models import DrillStatus, RestoreDrill
from common.filters import FilterSet, LocalDayFilter


class DrillFilter(FilterSet):
    schema = django_filters.CharFilter(
        field_name="schema_name", max_length=63, help_text="Schema drilled, e.g. nakatosa"
    )
    site = django_filters.CharFilter(field_name="site__name", max_length=50, help_text="BackupSite name")
    status = django_filters.ChoiceFilter(choices=DrillStatus.choices)
    kind = django_filters.ChoiceFilter(choices=[("drill", "復元訓練"), ("restore", "復元")])
    since = LocalDayFilter(field_name="started_at", help_text="Started on or after this day (YYYY-MM-DD or 和暦, JST)")
    until = LocalDayFilter(
        field_name="started_at", end=True, help_text="Started on or before this day (YYYY-MM-DD or 和暦, JST)"
    )

    class Meta:
        model = RestoreDrill
        fields: list[str] = []
