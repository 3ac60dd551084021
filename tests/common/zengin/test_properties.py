"""Property tests: every built file parses back to its input and is 120 bytes a record plus separators; the
parser never fails on arbitrary bytes; normalised names only ever hold the 全銀 set."""

from __future__ import annotations

import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.zengin import (
    FileKind,
    Requester,
    RequesterBank,
    Separator,
    ZenginFile,
    ZenginRecord,
    build_file,
    parse_file,
    spec_from_parsed,
)
from common.zengin.charset import ALLOWED_BYTES, ALLOWED_CHARACTERS, encode, normalize_text
from common.zengin.errors import ZenginFieldError
from common.zengin.layouts import Field, FieldType
from common.zengin.values import text as checked_text

PROPERTY = settings(database=None, deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
ALPHABET = sorted(ALLOWED_CHARACTERS)


def zengin_text(max_size: int, *, min_size: int = 0) -> st.SearchStrategy[str]:
    """Text already in the 全銀 set, as the parser gives it back: no spaces at either end."""
    return (
        st.text(alphabet=ALPHABET, min_size=min_size, max_size=max_size)
        .map(str.strip)
        .filter(lambda value: len(value) >= min_size)
    )


def digits(length: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=length, max_size=length)


@st.composite
def records(draw: st.DrawFn, kind: FileKind) -> ZenginRecord:
    extra: dict[str, str | None] = {}
    if kind is FileKind.TRANSFER:
        extra["transfer_kind"] = draw(st.sampled_from("78"))
        if draw(st.booleans()):
            extra["edi"] = draw(zengin_text(20, min_size=1))
        else:
            extra["customer_code"] = draw(zengin_text(20))
    elif kind is FileKind.DEBIT:
        extra["customer_code"] = draw(zengin_text(20))
    return ZenginRecord(
        bank_code=draw(digits(4)),
        bank_name=draw(zengin_text(15)),
        branch_code=draw(digits(3)),
        branch_name=draw(zengin_text(15)),
        account_type=draw(st.sampled_from("1249")),
        account_number=draw(digits(7)),
        name=draw(zengin_text(30, min_size=1)),
        amount=draw(st.integers(min_value=1, max_value=9_999_999_999)),
        new_code=draw(st.sampled_from("012")),
        **extra,
    )


@st.composite
def zengin_files(draw: st.DrawFn) -> ZenginFile:
    kind = draw(st.sampled_from(list(FileKind)))
    with_account = not kind.is_debit or draw(st.booleans())
    bank = RequesterBank(
        code=draw(digits(4)),
        name=draw(zengin_text(15)),
        branch_code=draw(digits(3)),
        branch_name=draw(zengin_text(15)),
        account_type=draw(st.sampled_from("1249")) if with_account else None,
        account_number=draw(digits(7)) if with_account else None,
    )
    return ZenginFile(
        kind=kind,
        requester=Requester(code=draw(digits(10)), name=draw(zengin_text(40, min_size=1))),
        date=draw(st.dates(datetime.date(2024, 1, 1), datetime.date(2028, 12, 31))).strftime("%m%d"),
        bank=bank,
        records=draw(st.lists(records(kind), min_size=1, max_size=12)),
        separator=draw(st.sampled_from([Separator.CRLF, Separator.NONE])),
    )


@PROPERTY
@given(zengin_files())
def test_every_built_file_parses_back_to_its_input(spec: ZenginFile) -> None:
    parsed = parse_file(build_file(spec).data)
    assert parsed.errors == []
    assert spec_from_parsed(parsed) == spec


@PROPERTY
@given(zengin_files())
def test_every_built_file_is_120_bytes_a_record_plus_separators(spec: ZenginFile) -> None:
    result = build_file(spec)
    count = len(spec.records) + 3  # header, trailer, end
    assert len(result.data) == count * (120 + len(spec.separator.bytes))
    assert result.total_amount == sum(record.amount for record in spec.records)


@PROPERTY
@given(zengin_files())
def test_totals_of_a_built_file_are_those_of_its_records(spec: ZenginFile) -> None:
    parsed = parse_file(build_file(spec).data)
    assert parsed.trailer is not None
    assert parsed.trailer.fields["total_count"] == len(spec.records)
    assert parsed.trailer.fields["total_amount"] == sum(record.amount for record in spec.records)


@PROPERTY
@given(st.binary(max_size=800))
def test_the_parser_never_fails_on_arbitrary_bytes(data: bytes) -> None:
    parsed = parse_file(data)
    # Whatever it read, it says where: every record lies inside the input and every problem is worded.
    assert all(0 <= record.offset < len(data) for record in parsed.records)
    assert all(problem.message for problem in parsed.problems)


@PROPERTY
@given(zengin_files(), st.integers(min_value=0), st.binary(min_size=1, max_size=4))
def test_a_damaged_file_is_reported_never_crashes(spec: ZenginFile, where: int, damage: bytes) -> None:
    data = bytearray(build_file(spec).data)
    at = where % len(data)
    data[at : at + len(damage)] = damage
    parsed = parse_file(bytes(data))
    assert all(problem.message for problem in parsed.problems)


NAME = Field("name", "受取人名", 51, 30, FieldType.TEXT)


@PROPERTY
@given(st.text(max_size=40))
def test_normalised_text_is_in_the_zengin_set_or_refused(value: str) -> None:
    try:
        written, _ = checked_text(value, where="データレコード1件目", field=NAME, record=2, truncate=True)
    except ZenginFieldError:
        return
    raw = encode(written)
    assert len(raw) <= 30
    assert all(byte in ALLOWED_BYTES for byte in raw)


@PROPERTY
@given(zengin_text(40))
def test_normalising_text_of_the_set_changes_nothing(value: str) -> None:
    assert normalize_text(value) == value
