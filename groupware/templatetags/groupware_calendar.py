"""``{% occurrence occ %}``: one calendar entry, the same markup as the group week's table (groupware.week_table)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from groupware.selectors_calendar import Occurrence
from groupware.week_table import entry_html, entry_prefixes

register = template.Library()


@register.simple_tag
def occurrence(occ: Occurrence) -> SafeString:
    return mark_safe(entry_html(occ, *entry_prefixes()))  # noqa: S308  (entry_html escapes every value)
