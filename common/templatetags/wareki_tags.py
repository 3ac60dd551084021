"""Template filters for Japanese era dates: {{ value|wareki }} and {{ value|wareki_full }}."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone

from common.wareki import WarekiError, to_wareki

register = template.Library()


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@register.filter
def wareki(value: date | datetime | None) -> str:
    if not value:
        return ""
    try:
        return to_wareki(_as_date(value))
    except WarekiError:
        return str(value)


@register.filter
def wareki_fullwidth(value: date | datetime | None) -> str:
    if not value:
        return ""
    try:
        return to_wareki(_as_date(value), fullwidth=True)
    except WarekiError:
        return str(value)


@register.filter
def wareki_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{wareki(local)} {local:%H:%M}"
