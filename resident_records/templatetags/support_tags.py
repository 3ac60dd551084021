"""The red 支援措置 banner (docs/domain/support_measures.md): one include, fed by ``resident_records.disclosure``.

``{% support_banner subject %}`` shows it above a page or form about a resident, a household (any current member
protected), a list of residents, or a koseki member (known to this town's resident register by the same keys the
certificates use); ``{% support_banner subject compact=True %}`` is the short form for a search result row. A
list page asks once for all its rows: ``{% support_protected results as protected %}`` then
``{% support_banner r protected=protected compact=True %}``.
"""

from __future__ import annotations

from typing import Any

from django import template

from resident_records import disclosure

register = template.Library()


@register.simple_tag
def support_protected(items: Any) -> frozenset[int]:
    """Ids of the listed residents (or koseki members) a 支援措置 covers: one query for a whole result list."""
    return frozenset(disclosure.protected_subjects(list(items or [])))


@register.inclusion_tag("resident_records/_support_banner.html")
def support_banner(subject: Any, *, compact: bool = False, protected: frozenset[int] | None = None) -> dict[str, Any]:
    if subject is None or subject == "":
        shown = False
    elif protected is not None:
        shown = getattr(subject, "pk", None) in protected
    else:
        shown = disclosure.is_protected_subject(subject)
    return {"shown": shown, "compact": compact}
