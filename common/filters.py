"""Filters of the API's lists: django-filter FilterSets with the platform's error format (docs/ARCHITECTURE.md).

A list endpoint declares ``filterset_class`` (its parameters then appear in the OpenAPI schema through
``DjangoFilterBackend``) and reads the validated filters with ``filters_for(view, request)``: a bad value is a
``ValidationFailed`` (400 ``validation_error``, the messages in Japanese by parameter) raised before anything is
read or audited. The audited selector applies them (``filters.filter_queryset(rows)``) and writes
``filters.audit_details()`` into its audit row.

The shared pieces: dates typed in 西暦 (YYYY-MM-DD) or 和暦 (令和8年4月1日, R8.4.1), a timestamp filtered by
Asia/Tokyo calendar day, a strict yes/no, the since/until order check, and the audit trail's own filters.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.drainage import set_override
from rest_framework.request import Request

from common.dates import day_start
from common.errors import ValidationFailed
from common.forms import WarekiDateField
from common.models import AuditEvent

PERIOD_REVERSED = "終了日が開始日より前になっています。"


class _StringInSchema:
    """A string parameter in the OpenAPI schema (和暦 is not an OpenAPI ``date``), described by its help_text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schema = {"type": "string"} | ({"description": str(kwargs["help_text"])} if "help_text" in kwargs else {})
        set_override(self, "field", schema)


class WarekiDateFilter(_StringInSchema, django_filters.DateFilter):
    """A date given in 西暦 (YYYY-MM-DD) or 和暦 (令和8年4月1日, R8.4.1), compared with a date column."""

    field_class = WarekiDateField


class LocalDayFilter(WarekiDateFilter):
    """A timestamp column filtered by Asia/Tokyo calendar day: ``since`` from the day's first instant, ``until``
    (``end=True``) up to the end of the day, inclusive."""

    def __init__(self, *args: Any, end: bool = False, **kwargs: Any) -> None:
        self.end = end
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet[Any], value: date | None) -> QuerySet[Any]:
        if value in django_filters.constants.EMPTY_VALUES or value is None:
            return qs
        if self.end:
            return qs.filter(**{f"{self.field_name}__lt": day_start(value + timedelta(days=1))})
        return qs.filter(**{f"{self.field_name}__gte": day_start(value)})


class StrictBooleanField(forms.Field):
    """true/false (also 1/0, yes/no); anything else is an error, not a silently ignored filter."""

    VALUES = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        found = self.VALUES.get(str(value).strip().lower())
        if found is None:
            raise ValidationError("true か false で指定してください。", code="invalid")
        return found


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class PeriodBoundField(forms.Field):
    """A date (the whole day, Asia/Tokyo; with ``end`` the next day's first instant) or an ISO 8601 date-time."""

    def __init__(self, *, end: bool = False, **kwargs: Any) -> None:
        self.end = end
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            if len(text) == 10:
                day = datetime.strptime(text, "%Y-%m-%d").date()
                return timezone.make_aware(datetime.combine(day + timedelta(days=1) if self.end else day, time.min))
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValidationError(
                "日付は YYYY-MM-DD か ISO 8601 形式の日時で指定してください。", code="invalid_date"
            ) from exc
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


class PeriodBoundFilter(_StringInSchema, django_filters.Filter):
    field_class = PeriodBoundField


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, validated the platform's way: ``validated()`` raises ``ValidationFailed``.

    ``since``/``until``, when a FilterSet has both, must not be reversed (``period_reversed``)."""

    period_message = PERIOD_REVERSED

    def period_reversed(self, since: Any, until: Any) -> bool:
        return bool(since > until)

    def is_valid(self) -> bool:
        if not super().is_valid():
            return False
        data = self.form.cleaned_data
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and self.period_reversed(since, until):
            self.form.add_error("until", self.period_message)
            return False
        return True

    def validated(self) -> dict[str, Any]:
        """The filters given, cleaned (those left empty omitted)."""
        if not self.is_valid():
            raise ValidationFailed(details={name: [str(m) for m in messages] for name, messages in self.errors.items()})
        return {name: value for name, value in self.form.cleaned_data.items() if value not in (None, "")}

    def audit_details(self) -> dict[str, str]:
        """The filters as the audit row of the listing records them."""
        return {name: str(value) for name, value in self.validated().items()}


class FilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend with the platform's error format (a view that filters with ``filter_queryset``)."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if isinstance(filterset, FilterSet):
            filterset.validated()
        elif not filterset.is_valid():
            raise ValidationFailed(details={k: [str(m) for m in v] for k, v in filterset.errors.items()})
        return filterset.qs


def filters_for(view: Any, request: Request) -> FilterSet:
    """The view's ``filterset_class`` bound to the request's query, validated (a bad value raises
    ``ValidationFailed`` before anything is read)."""
    filterset: FilterSet = view.filterset_class(request.query_params, request=request)
    filterset.validated()
    return filterset


# --- The audit trail's filters (common owns the trail) ---------------------------------------------------------


def filter_action(events: QuerySet[AuditEvent], action: str) -> QuerySet[AuditEvent]:
    """An exact action, or a prefix ending in '.' or '*'."""
    if action.endswith(("*", ".")):
        return events.filter(action__startswith=action.rstrip("*"))
    return events.filter(action=action)


def filter_person(events: QuerySet[AuditEvent], atena_number: str) -> QuerySet[AuditEvent]:
    """The reads that showed this person: a view lists everyone it showed in ``details["persons"]`` (one row per
    view, docs/audit.md), matched by JSON containment, which the GIN index ``audit_details_path_gin`` serves."""
    return events.filter(details__contains={"persons": [atena_number]})


class AuditEventFilter(FilterSet):
    since = PeriodBoundFilter(
        field_name="occurred_at", lookup_expr="gte", help_text="From this date (inclusive) or date-time."
    )
    until = PeriodBoundFilter(
        field_name="occurred_at",
        lookup_expr="lt",
        end=True,
        help_text="Up to this date (inclusive) or date-time.",
    )
    actor = django_filters.CharFilter(field_name="actor_username", max_length=64, help_text="Login id of the actor.")
    action = django_filters.CharFilter(
        method="_action", max_length=100, help_text="Exact action, or a prefix ending in '*'."
    )
    person = django_filters.CharFilter(
        method="_person",
        max_length=32,
        help_text="宛名番号: the reads that showed this person (listed in the row's details.persons).",
    )
    # Not a filter of the rows: which trail is read (the view switches to the council's on the council host).
    trail = django_filters.ChoiceFilter(
        choices=[("town", "town"), ("council", "council")],
        method="_trail",
        help_text="'council' on the council host only.",
    )

    period_message = "終了日は開始日以降にしてください。"

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def period_reversed(self, since: Any, until: Any) -> bool:
        return bool(since >= until)  # ``until`` is the first instant after the period

    def _action(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        return filter_action(queryset, value)

    def _person(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        return filter_person(queryset, value)

    def _trail(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        return queryset

    def audit_details(self) -> dict[str, str]:
        return {name: value for name, value in super().audit_details().items() if name != "trail"}
