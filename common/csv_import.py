"""What every CSV import of Kyodo shares: the column list, the header check, typed reads of a row's cells with
an error per row and column, the file-level refusals (unreadable, no header, a row of the wrong width) and the
error report. Used by the resident register import
(resident_records.csv_io) and the 戸籍 migration import (koseki.importer); each keeps its own layout and rules.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from common.csv_export import restore_cell
from common.errors import ValidationFailed
from common.text import to_katakana
from common.wareki import WarekiError, parse_wareki

BOM = b"\xef\xbb\xbf"
DEFAULT_MAX_ERRORS = 500


@dataclass(frozen=True)
class RowError:
    row: int  # CSV record number, the header being row 1
    column: str  # Japanese column label ("" for the whole row or file)
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


def error_details(errors: Sequence[RowError], limit: int = DEFAULT_MAX_ERRORS) -> dict[str, Any]:
    """The errors of a refused import as the API and the command show them (the first ``limit`` of them)."""
    shown = errors[:limit]
    return {"errors": [e.as_dict() for e in shown], "total": len(errors), "omitted": len(errors) - len(shown)}


@dataclass(frozen=True)
class Column:
    name: str  # machine name (also accepted as a header)
    label: str  # Japanese header, as exported
    required: bool = False
    export: bool = True
    import_: bool = True


def read_header(
    row: Sequence[str], columns: Sequence[Column], errors: list[RowError], *, layout_doc: str
) -> list[Column | None]:
    """The column of each header cell (by machine name or Japanese label); unknown, repeated and missing required
    columns are errors of row 1. A column not imported (``import_=False``) maps to None."""
    by_header = {key: c for c in columns for key in (c.name, c.label)}
    found: list[Column | None] = []
    seen: set[str] = set()
    for cell in row:
        name = cell.strip().lstrip("\ufeff")
        column = by_header.get(name)
        if column is None:
            errors.append(RowError(1, name, f"不明な列です: 「{name}」({layout_doc} の列名を使ってください)。"))
        elif column.name in seen:
            errors.append(RowError(1, column.label, f"列「{column.label}」が2回あります。"))
        elif not column.import_:
            column = None
        else:
            seen.add(column.name)
        found.append(column)
    for column in columns:
        if column.required and column.name not in seen:
            errors.append(RowError(1, column.label, f"必須の列「{column.label}」がありません。"))
    return found


class RowReader:
    """One CSV record: typed reads of its cells, each error recorded with the row number and column label."""

    text_max_length = 100
    kana_pattern = re.compile(r"[\u30a0-\u30ff ]*")
    kana_message = "{label}はカタカナで入力してください。"

    def __init__(
        self, number: int, values: dict[str, str], errors: list[RowError], today: date, labels: dict[str, str]
    ) -> None:
        self.number, self.errors, self.today, self.labels = number, errors, today, labels
        # A Kyodo export is a valid import file: its neutralised formula cells are read back as stored.
        self.values = {name: restore_cell(value) for name, value in values.items()}

    def error(self, name: str, message: str) -> None:
        self.errors.append(RowError(self.number, self.labels.get(name, name), message))

    def text(self, name: str, *, required: bool = False, max_length: int | None = None) -> str:
        limit = max_length or self.text_max_length
        value = " ".join(self.values.get(name, "").split())
        if required and not value:
            self.error(name, f"{self.labels[name]}を入力してください。")
        elif len(value) > limit:
            self.error(name, f"{self.labels[name]}は{limit}文字以内で入力してください。")
        return value

    def kana(self, name: str, *, max_length: int | None = None) -> str:
        value = to_katakana(self.text(name, max_length=max_length))
        if value and not self.kana_pattern.fullmatch(value):
            self.error(name, self.kana_message.format(label=self.labels[name]))
        return value

    def day(self, name: str, *, required: bool = False, future_ok: bool = False) -> date | None:
        raw = self.values.get(name, "").strip()
        if not raw:
            if required:
                self.error(name, f"{self.labels[name]}を入力してください。")
            return None
        try:
            # 西暦 YYYY-MM-DD, or 和暦 as municipal systems write it (令和8年4月1日, R8.4.1): common.wareki.
            value = parse_wareki(raw)
        except WarekiError as exc:
            self.error(name, exc.message)
            return None
        if not future_ok and value > self.today:
            self.error(name, f"{self.labels[name]}に未来の日付は指定できません。")
        return value


# --- the file around the rows ----------------------------------------------------------------------------
# An import refuses a file it cannot read as CSV or without a header with its own ``ValidationFailed`` subclass
# (its code and message name the import); the row errors are worded here once.


def unreadable(invalid: type[ValidationFailed], line: int, exc: csv.Error) -> ValidationFailed:
    return invalid(
        "CSV として読み取れません。",
        details={"errors": [RowError(line, "", f"CSV の形式が正しくありません: {exc}").as_dict()]},
    )


def without_header(invalid: type[ValidationFailed]) -> ValidationFailed:
    return invalid(
        "ファイルが空です(1行目に見出しが必要です)。",
        details={"errors": [RowError(1, "", "見出し行がありません。").as_dict()]},
    )


def is_blank(record: Sequence[str]) -> bool:
    """A record of empty or blank cells only (often at the end of a file): skipped, not an error."""
    return not "".join(record).strip()


def width_error(number: int, width: int, record: Sequence[str]) -> RowError | None:
    """The error of a record with another number of cells than the header, else None."""
    if len(record) == width:
        return None
    return RowError(number, "", f"列の数が見出しと違います(見出し{width}列、この行{len(record)}列)。")


def read_records(text: str, invalid: type[ValidationFailed]) -> list[list[str]]:
    """Every record of a file held in memory, the header first (refused when unreadable or without a header)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(reader)
    except csv.Error as exc:
        raise unreadable(invalid, reader.line_num, exc) from exc
    if not records or is_blank(records[0]):
        raise without_header(invalid)
    return records


def row_values(
    number: int, record: Sequence[str], columns: Sequence[Column | None], errors: list[RowError]
) -> dict[str, str] | None:
    """The record's cells by column name; None for a blank record or one of the wrong width (an error)."""
    if is_blank(record):
        return None
    if (error := width_error(number, len(columns), record)) is not None:
        errors.append(error)
        return None
    return {c.name: v for c, v in zip(columns, record, strict=True) if c is not None}
