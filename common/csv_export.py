"""Every CSV that Kyodo writes goes through here: cells a spreadsheet would run as a formula are neutralised.

OWASP "CSV Injection": a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel and LibreOffice as a formula (``=HYPERLINK(...)``, DDE). A resident's name, an address or an audit
purpose typed by anyone could then run on the auditor's machine. Such a cell is written with a leading
apostrophe, which spreadsheets show as text; Kyodo's own CSV imports remove it again (common.csv_import), so an
export stays a valid import file. See docs/security.md "CSV exports".
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


class _Writable(Protocol):
    def write(self, value: str, /) -> Any: ...


def _formula_like(value: str) -> bool:
    # Leading apostrophes are skipped, so that a value that already looks neutralised is escaped once more and
    # restore_cell gives back exactly what was stored.
    return value.lstrip(_QUOTE).startswith(FORMULA_PREFIXES)


def neutralise_cell(value: Any) -> Any:
    """``value`` as a spreadsheet reads it: as text."""
    if isinstance(value, str) and _formula_like(value):
        return _QUOTE + value
    return value  # numbers, dates and None are written by our code, never read as a formula


def restore_cell(value: str) -> str:
    """The inverse of ``neutralise_cell`` for a cell read back from a Kyodo export."""
    if value.startswith(_QUOTE) and _formula_like(value):
        return value[1:]
    return value


class SafeCSVWriter:
    """``csv.writer`` whose rows are neutralised cell by cell."""

    def __init__(self, stream: _Writable) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise_cell(cell) for cell in row])
