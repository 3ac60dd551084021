"""Reading and checking a 全銀 file of kind 21, 11, 12 or 91, and the bank's 口座振替 result file.

Nothing in a file is trusted: every record's length, type and place, every field's characters and digits are
checked here; the values and the trailer's counts and sums in common.zengin.checks. Each finding is a Problem
at its record and bytes. Rules: docs/domain/zengin.md.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from common.zengin import charset, values
from common.zengin.checks import check_data, check_header, check_totals
from common.zengin.errors import (
    FileEmpty,
    InvalidCharacter,
    KindUnknown,
    NotBlank,
    RecordLengthInvalid,
    RecordMissing,
    RecordTypeUnexpected,
    SeparatorLineFeed,
    TrailingData,
    ZenginFieldError,
)
from common.zengin.layouts import (
    END,
    HEADER_TRANSFER,
    RECORD_LENGTH,
    RECORD_TYPE,
    Field,
    FieldType,
    FileKind,
    RecordType,
    data_layout,
    field_of,
    header_layout,
    trailer_layout,
)
from common.zengin.records import where
from common.zengin.types import ParsedFile, ParsedRecord, Problem, Separator

EOF_MARKER = b"\x1a"  # some banks end the file with it (docs/domain/zengin.md, "File")

# The order of records as stages: (stage the record needs, stage after it). Stage 0 expects the header, 1 is
# among the data records, 2 expects the end record, 3 is after it.
_ORDER = {RecordType.HEADER: (0, 1), RecordType.DATA: (1, 1), RecordType.TRAILER: (1, 2), RecordType.END: (2, 3)}
_MISSING = ("ヘッダーレコード", "トレーラーレコード", "エンドレコード")
_EXPECTED = (
    "先頭はヘッダーレコード（1）です",
    "データ（2）かトレーラー（8）が続きます",
    "エンドレコード（9）が続きます",
)
INTEGER_FIELDS = frozenset(
    {"amount", "total_count", "total_amount", "succeeded_count", "succeeded_amount", "failed_count", "failed_amount"}
)


@dataclass
class Reader:
    """The file being read, and how a finding becomes a Problem at its record and bytes."""

    parsed: ParsedFile

    def problem(
        self,
        error: ZenginFieldError,
        record: ParsedRecord | None = None,
        field: Field | None = None,
        position: int | None = None,
    ) -> None:
        start = position or (field.start if field else None)
        end = position or (field.end if field else None)
        self.parsed.problems.append(
            Problem(
                code=error.code,
                message=error.message,
                record=record.number if record else 0,
                start=start,
                end=end,
                offset=None if record is None else record.offset + (start or 1) - 1,
                field=field.name if field else "",
                severity="warning" if error.warning else "error",
            )
        )


def parse_file(data: bytes, *, result: bool | None = None) -> ParsedFile:
    """Every record's fields by name, with every problem found.

    `result` says whether a 91 file is the bank's result file; None decides from the file (docs/domain/zengin.md,
    "Result file"). Never raises for what is in the file.
    """
    separator, pieces = _split(data)
    reader = Reader(ParsedFile(kind=None, separator=separator, is_result=False))
    if separator is Separator.LF:
        reader.problem(SeparatorLineFeed(where="ファイル"))
    if not pieces:
        reader.problem(FileEmpty(where="ファイル"))
        return reader.parsed
    records = [_classify(number, offset, raw, reader) for number, (offset, raw) in enumerate(pieces, start=1)]
    _place(records, reader)
    parsed = reader.parsed
    parsed.kind = _read_header(parsed.header, reader)
    if parsed.kind is not None:
        _read_body(parsed.kind, reader)
        parsed.is_result = parsed.kind.is_debit and (result if result is not None else _looks_like_result(parsed))
        check_data(parsed, reader.problem)
        check_totals(parsed, reader.problem)
    if parsed.end is not None:
        read_fields(parsed.end, END, where(RecordType.END, parsed.end.number), reader)
    return parsed


def _split(data: bytes) -> tuple[Separator, list[tuple[int, bytes]]]:
    """The records with their offsets. CRLF, LF or no separator, as found; a final EOF byte is dropped."""
    body = data[:-1] if data.endswith(EOF_MARKER) else data
    if b"\r\n" in body:
        separator = Separator.CRLF
    elif b"\n" in body:
        separator = Separator.LF
    else:
        return Separator.NONE, [(at, body[at : at + RECORD_LENGTH]) for at in range(0, len(body), RECORD_LENGTH)]
    token = separator.bytes
    pieces, offset = [], 0
    for raw in body.split(token):
        pieces.append((offset, raw))
        offset += len(raw) + len(token)
    if pieces[-1][1] == b"":
        pieces.pop()  # the file ends with a separator, as it should
    return separator, pieces


def _classify(number: int, offset: int, raw: bytes, reader: Reader) -> ParsedRecord:
    try:
        record_type: RecordType | None = RecordType(raw[:1].decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        record_type = None
    record = ParsedRecord(number=number, type=record_type, offset=offset, raw=raw)
    if len(raw) != RECORD_LENGTH:
        reader.problem(RecordLengthInvalid(where=where(record_type, number), length=len(raw)), record)
    return record


def _place(records: list[ParsedRecord], reader: Reader) -> None:
    """Header, data, trailer, end in this order, once each (one header-trailer group per file)."""
    parsed, stage = reader.parsed, 0
    for record in records:
        if stage == 3:
            reader.problem(TrailingData(where=where(None, record.number)), record)
            break
        needed, after = _ORDER[record.type] if record.type else (-1, stage)
        if needed < stage:  # an unknown データ区分, a second header, data after the trailer ...
            shown = charset.describe_byte_at(record.raw, 0) if record.raw else "（空）"
            error = RecordTypeUnexpected(where=where(None, record.number), value=shown, expected=_EXPECTED[stage])
            reader.problem(error, record, RECORD_TYPE)
            continue
        for missing in range(stage, needed):
            reader.problem(RecordMissing(where=where(record.type, record.number), missing=_MISSING[missing]), record)
        stage = after
        if record.type is RecordType.HEADER:
            parsed.header = record
        elif record.type is RecordType.DATA:
            parsed.records.append(record)
        elif record.type is RecordType.TRAILER:
            parsed.trailer = record
        else:
            parsed.end = record
    for missing in range(stage, 3):
        reader.problem(RecordMissing(where="ファイル", missing=_MISSING[missing]))


def _read_header(header: ParsedRecord | None, reader: Reader) -> FileKind | None:
    if header is None or len(header.raw) != RECORD_LENGTH:
        return None
    at = where(RecordType.HEADER, header.number)
    raw_kind = header.raw[1:3].decode("cp932", errors="replace")
    try:
        kind = FileKind(raw_kind)
    except ValueError:
        reader.problem(KindUnknown(where=at, value=raw_kind), header, field_of(HEADER_TRANSFER, "kind"))
        return None
    # Some banks' 91 header has ダミー where the town's account is (docs/domain/zengin.md, "Header (all kinds)").
    blank_ok = {"account_type", "account_number"} if kind.is_debit else set()
    read_fields(header, header_layout(kind), at, reader, blank_ok=blank_ok)
    check_header(header, kind, reader.problem)
    return kind


def _read_body(kind: FileKind, reader: Reader) -> None:
    parsed = reader.parsed
    # 給与・賞与: 社員番号 and 所属コード may be spaces (the banks' variant with ダミー, docs/domain/zengin.md).
    blank_ok = {"employee_number", "department_code"}
    for index, record in enumerate(parsed.records, start=1):
        read_fields(record, data_layout(kind), where(RecordType.DATA, record.number, index), reader, blank_ok=blank_ok)
    if parsed.trailer is not None:
        read_fields(parsed.trailer, trailer_layout(kind), where(RecordType.TRAILER, parsed.trailer.number), reader)


def read_fields(
    record: ParsedRecord, layout: tuple[Field, ...], at: str, reader: Reader, *, blank_ok: Collection[str] = ()
) -> None:
    """Each field's value by name; a field's bytes that break its type are a problem and its value None."""
    if len(record.raw) != RECORD_LENGTH:
        return  # already reported: positions in a record of the wrong length mean nothing
    for field in layout:
        raw = record.raw[field.slice]
        if field.type is FieldType.BLANK:
            if raw.strip(b" "):
                position = field.start + len(raw) - len(raw.lstrip(b" "))
                char = charset.describe_byte_at(record.raw, position - 1)
                error = NotBlank(where=at, field=field.label, field_name=field.name, position=position, char=char)
                reader.problem(error, record, field, position)
            continue
        if field.type is FieldType.TEXT:
            record.fields[field.name] = _text(raw, field, at, record, reader)
            continue
        text = raw.decode("cp932", errors="replace")
        if field.name in blank_ok and not raw.strip(b" "):
            record.fields[field.name] = None
            continue
        try:
            values.check_digits(text, where=at, field=field)
        except ZenginFieldError as error:
            reader.problem(error, record, field)
            record.fields[field.name] = None
            continue
        record.fields[field.name] = int(text) if field.name in INTEGER_FIELDS else text


def _text(raw: bytes, field: Field, at: str, record: ParsedRecord, reader: Reader) -> str:
    index = charset.first_invalid_byte(raw)
    if index is not None:
        char = charset.describe_byte_at(raw, index)
        error = InvalidCharacter(where=at, field=field.label, field_name=field.name, char=char, position=index + 1)
        reader.problem(error, record, field, field.start + index)
    return charset.decode(raw).rstrip(" ")


def _looks_like_result(parsed: ParsedFile) -> bool:
    """A 91 file is the bank's result when its trailer has results or a record has a code other than 0."""
    trailer = parsed.trailer.fields if parsed.trailer else {}
    if any(trailer.get(name) for name in ("succeeded_count", "failed_count")):
        return True
    return any(record.fields.get("result_code") not in ("0", "", None) for record in parsed.records)
