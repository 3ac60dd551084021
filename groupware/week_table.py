"""The group week page's table (docs/domain/groupware.md §2.5): each cell shows at most ``CELL_LIMIT`` entries and
says how many more there are, linking to that person's own row of the week, which shows every entry.

A cell of 40 entries is unreadable on any screen and, for an organisation of 50 people, made the page a 1.9 MB table
of 13,000 entries that took over a second to render. The entry links are built from one reversed prefix per kind
(no ``{% url %}`` per entry) and the rows are built in Python from escaped values (no template include per entry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from groupware.selectors_calendar import GroupWeek, Occurrence, WeekRow

CELL_LIMIT = 8


@dataclass(frozen=True)
class Cell:
    shown: list[Occurrence]
    more: int  # entries not shown in this cell


@dataclass(frozen=True)
class Row:
    person_id: int
    name: str
    cells: list[Cell]


def rows(week: GroupWeek, *, limit: int | None = CELL_LIMIT) -> list[Row]:
    """The table's rows; ``limit=None`` shows every entry (one person's row)."""

    def cell(occurrences: list[Occurrence]) -> Cell:
        if limit is None or len(occurrences) <= limit:
            return Cell(occurrences, 0)
        return Cell(occurrences[:limit], len(occurrences) - limit)

    return [_row(row, cell) for row in week.rows]


def _row(row: WeekRow, cell: Callable[[list[Occurrence]], Cell]) -> Row:
    return Row(row.person_id, row.name, [cell(day) for day in row.days])


def _prefix(name: str) -> str:
    # The URL of entry 0 less its id: "/groupware/events/0/" → "/groupware/events/".
    return reverse(name, args=[0])[: -len("0/")]


def entry_prefixes() -> tuple[str, str]:
    """The URL prefixes of a town's entries and of the council's (reverse once, then add the id)."""
    return _prefix("groupware:event"), _prefix("groupware:council_event")


def entry_html(occ: Occurrence, event_prefix: str, council_prefix: str) -> str:
    """The markup of one entry in every calendar (day, week, month, portal, group week; the ``occurrence`` tag),
    built in Python: a template include per entry cost ~50 µs, a group week's 2,800 entries more than the week's
    query and layout together."""
    classes = "gw-occ gw-occ--busy" if occ.masked else "gw-occ"
    when = "" if occ.all_day else f'<span class="gw-time">{occ.local_start:%H:%M}–{occ.local_end:%H:%M}</span> '
    title: str = escape(occ.title)
    if not occ.masked:
        href = f"{council_prefix if occ.council else event_prefix}{occ.event_id}/"
        title = f'<a href="{href}">{title}</a>'
    repeat = ' <span class="gw-repeat" title="繰り返し">↻</span>' if occ.repeats else ""
    return f'<div class="{classes}" data-event="{occ.event_id}">{when}{title}{repeat}</div>'


def render_table(week: GroupWeek, *, unit_code: str, focus: int | None = None) -> SafeString:
    """The ``<tbody>`` rows of the group week: every entry of the focused person, at most CELL_LIMIT a cell
    otherwise. Every value is escaped (titles, names, the unit code); ids and times are numbers."""
    event_prefix, council_prefix = entry_prefixes()
    query = f"?unit={escape(quote(unit_code))}&amp;date={week.days[0].isoformat()}&amp;person="
    parts: list[str] = []
    for row in rows(week, limit=None if focus is not None else CELL_LIMIT):
        person = f"{query}{row.person_id}"
        parts.append(
            f'<tr data-person="{row.person_id}"><th scope="row"><a href="{person}">{escape(row.name)}</a></th>'
        )
        for cell in row.cells:
            parts.append("<td>")
            parts.extend(entry_html(occ, event_prefix, council_prefix) for occ in cell.shown)
            if cell.more:
                parts.append(f'<a class="gw-more" href="{person}">ほか {cell.more} 件</a>')
            parts.append("</td>")
        parts.append("</tr>")
    return mark_safe("".join(parts))  # noqa: S308  (built above from escaped values)
