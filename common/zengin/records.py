"""Record-level helpers shared by the builder and the parser: naming a record, and fields to and from bytes."""

from __future__ import annotations

from collections.abc import Mapping

from common.zengin import charset
from common.zengin.layouts import RECORD_LENGTH, Field, FieldType, RecordType

_NAMES = {
    RecordType.HEADER: "ヘッダーレコード",
    RecordType.DATA: "データレコード",
    RecordType.TRAILER: "トレーラーレコード",
    RecordType.END: "エンドレコード",
}


def where(record_type: RecordType | None, number: int, data_index: int | None = None) -> str:
    """How a message names a record: 'データレコード2件目（3レコード目）', 'ヘッダーレコード（1レコード目）'."""
    if number == 0:
        return "ファイル"
    position = f"{number}レコード目"
    if record_type is None:
        return position
    name = _NAMES[record_type]
    if record_type is RecordType.DATA and data_index is not None:
        name = f"{name}{data_index}件目"
    return f"{name}（{position}）"


def render(layout: tuple[Field, ...], values: Mapping[str, str]) -> bytes:
    """One record from values already checked and sized (digits at full width, text at most the field long)."""
    parts = []
    for field in layout:
        if field.type is FieldType.BLANK:
            parts.append(b" " * field.length)
            continue
        raw = charset.encode(values.get(field.name, ""))
        # The checks of common.zengin.values ran before; a value that still does not fit is a bug, not input.
        if len(raw) > field.length or (field.type is FieldType.DIGITS and len(raw) != field.length):
            raise AssertionError(f"{field.name}: {raw!r} does not fit {field.length} bytes")
        parts.append(raw.ljust(field.length, b" "))
    record = b"".join(parts)
    if len(record) != RECORD_LENGTH:
        raise AssertionError(f"record of {len(record)} bytes")
    return record
