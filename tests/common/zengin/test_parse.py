"""Parsing and checking files: result codes and totals, a tampered trailer, and every problem at its bytes."""

from __future__ import annotations

import pytest

from common.zengin import FileKind, Problem, Separator, build_file, parse_file
from tests.common.zengin.factories import payee, zengin_file
from tests.common.zengin.golden_records import GOLDEN

CRLF = b"\r\n"


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def records(data: bytes) -> list[bytearray]:
    return [bytearray(item) for item in data.split(CRLF)[:-1]]


def join(items: list[bytearray]) -> bytes:
    return b"".join(bytes(item) + CRLF for item in items)


def patched(data: bytes, record: int, position: int, new: bytes) -> bytes:
    """The file with bytes replaced in record `record` (1-based) from 1-based `position`."""
    items = records(data)
    items[record - 1][position - 1 : position - 1 + len(new)] = new
    return join(items)


def codes(problems: list[Problem]) -> list[str]:
    return [problem.code for problem in problems]


def one_problem(data: bytes, **kwargs: object) -> Problem:
    problems = parse_file(data, **kwargs).problems  # type: ignore[arg-type]
    assert len(problems) == 1, [problem.message for problem in problems]
    return problems[0]


# --- the bank's result file ---


def test_result_file_with_mixed_codes() -> None:
    parsed = parse_file(golden("debit_91_result.dat"))
    assert parsed.is_result
    assert parsed.problems == []
    assert [result.code for result in parsed.results] == ["0", "1", "2", "3", "4", "8", "9", "0"]
    assert [result.label for result in parsed.results] == [
        "振替済",
        "資金不足",
        "預金取引なし",
        "預金者の都合による振替停止",
        "口座振替依頼書なし",
        "委託者の都合による振替停止",
        "その他",
        "振替済",
    ]
    assert [result.succeeded for result in parsed.results] == [True] + [False] * 6 + [True]


def test_result_totals_are_reported() -> None:
    totals = parse_file(golden("debit_91_result.dat")).result_totals
    assert totals is not None
    assert (totals.succeeded_count, totals.succeeded_amount) == (2, 3_240 + 6_600)
    assert (totals.failed_count, totals.failed_amount) == (6, 5_480 + 12_960 + 2_000 + 1_500 + 4_100 + 7_700)
    assert (totals.unknown_count, totals.unknown_amount) == (0, 0)
    assert totals.by_code == {"0": 2, "1": 1, "2": 1, "3": 1, "4": 1, "8": 1, "9": 1}


def test_result_customer_numbers_identify_the_payer() -> None:
    parsed = parse_file(golden("debit_91_result.dat"))
    assert [result.customer_code for result in parsed.results][:4] == ["10001", "10002", "10003", "10001-3"]


def test_tampered_result_trailer_and_unknown_code() -> None:
    parsed = parse_file(golden("debit_91_result_tampered.dat"))
    assert not parsed.ok
    found = [(problem.code, problem.record, problem.start, problem.end, problem.field) for problem in parsed.problems]
    assert found == [
        ("zengin_unknown_result_code", 6, 112, 112, "result_code"),
        ("zengin_total_mismatch", 10, 8, 19, "total_amount"),
        ("zengin_total_mismatch", 10, 20, 25, "succeeded_count"),
        ("zengin_total_mismatch", 10, 26, 37, "succeeded_amount"),
        ("zengin_total_mismatch", 10, 38, 43, "failed_count"),
        ("zengin_total_mismatch", 10, 44, 55, "failed_amount"),
    ]


def test_an_unknown_result_code_is_never_success() -> None:
    parsed = parse_file(golden("debit_91_result_tampered.dat"))
    unknown = parsed.results[4]
    assert (unknown.code, unknown.label, unknown.succeeded) == ("5", "不明な結果コード", False)
    totals = parsed.result_totals
    assert totals is not None
    assert (totals.succeeded_count, totals.unknown_count, totals.unknown_amount) == (2, 1, 1_500)
    assert totals.failed_count == 6


def test_unknown_result_code_message() -> None:
    problem = parse_file(golden("debit_91_result_tampered.dat")).problems[0]
    assert problem.message == (
        "データレコード5件目（6レコード目）の振替結果コード：振替結果コード「5」は定義されていません（0 振替済、"
        "1 資金不足、2 預金取引なし、3 預金者の都合による振替停止、4 口座振替依頼書なし、8 委託者の都合による振替停止、"
        "9 その他）。振替済としては扱いません。"
    )
    assert problem.offset == 5 * 122 + 111


def test_tampered_trailer_message() -> None:
    problem = parse_file(golden("debit_91_result_tampered.dat")).problems[2]
    assert problem.message == (
        "トレーラーレコード（10レコード目）の振替済件数：3件となっていますが、データレコードから計算すると2件です。"
    )


def test_a_blank_result_code_in_a_result_file_is_a_problem() -> None:
    data = patched(golden("debit_91_result.dat"), 3, 112, b" ")
    parsed = parse_file(data, result=True)
    assert "zengin_unknown_result_code" in codes(parsed.problems)
    assert parsed.results[1].succeeded is False


def test_request_file_is_not_a_result() -> None:
    parsed = parse_file(golden("debit_91.dat"))
    assert not parsed.is_result
    assert parsed.result_totals is None


def test_a_request_with_results_in_its_trailer_is_a_problem_when_read_as_a_request() -> None:
    data = patched(golden("debit_91.dat"), 5, 20, b"000001")
    parsed = parse_file(data, result=False)
    assert codes(parsed.problems) == ["zengin_total_mismatch"]
    assert parsed.problems[0].field == "succeeded_count"


def test_a_request_with_a_result_code_is_a_problem_when_read_as_a_request() -> None:
    data = patched(golden("debit_91.dat"), 2, 112, b"1")
    problem = one_problem(data, result=False)
    assert (problem.code, problem.start) == ("zengin_invalid_choice", 112)


# --- trailer of transfer files ---


def test_trailer_count_mismatch() -> None:
    problem = one_problem(patched(golden("transfer_21.dat"), 4, 2, b"000003"))
    assert (problem.code, problem.record, problem.start, problem.end) == ("zengin_total_mismatch", 4, 2, 7)
    assert problem.message == (
        "トレーラーレコード（4レコード目）の合計件数：3件となっていますが、データレコードから計算すると2件です。"
    )


def test_trailer_amount_mismatch() -> None:
    problem = one_problem(patched(golden("transfer_21.dat"), 4, 8, b"000001284568"))
    assert (problem.field, problem.start, problem.end) == ("total_amount", 8, 19)
    assert "1,284,568円となっていますが、データレコードから計算すると1,284,567円です。" in problem.message


# --- records ---


def test_a_short_record_is_a_problem() -> None:
    items = records(golden("transfer_21.dat"))
    items[1] = items[1][:119]
    parsed = parse_file(join(items))
    assert codes(parsed.errors) == ["zengin_record_length"]
    assert (
        parsed.errors[0].message
        == "データレコード（2レコード目）：レコード長が119バイトです（120バイトでなければなりません）。"
    )


def test_no_separator_file_with_a_partial_record() -> None:
    data = build_file(zengin_file(separator=Separator.NONE)).data[:-1]
    parsed = parse_file(data)
    assert parsed.separator is Separator.NONE
    assert codes(parsed.problems) == ["zengin_record_length"]
    assert parsed.problems[0].record == 4


def test_an_unknown_record_type_is_a_problem() -> None:
    parsed = parse_file(patched(golden("transfer_21.dat"), 3, 1, b"3"))
    # The record is not counted as data, so the trailer no longer matches either.
    assert codes(parsed.problems) == ["zengin_record_type", "zengin_total_mismatch", "zengin_total_mismatch"]
    problem = parsed.problems[0]
    assert (problem.record, problem.start, problem.end) == (3, 1, 1)
    assert problem.message == (
        "3レコード目：データ区分「3」のレコードはここに置けません（データ（2）かトレーラー（8）が続きます）。"
    )


def test_missing_trailer_and_end() -> None:
    items = records(golden("transfer_21.dat"))[:3]
    parsed = parse_file(join(items))
    assert codes(parsed.problems) == ["zengin_record_missing", "zengin_record_missing"]
    assert parsed.problems[0].message == "ファイル：トレーラーレコードがありません。"


def test_missing_header() -> None:
    items = records(golden("transfer_21.dat"))[1:]
    parsed = parse_file(join(items))
    assert codes(parsed.problems) == ["zengin_record_missing"]
    assert parsed.kind is None


def test_data_after_the_end_record() -> None:
    items = records(golden("transfer_21.dat"))
    parsed = parse_file(join([*items, items[1]]))
    assert codes(parsed.problems) == ["zengin_trailing_data"]
    assert parsed.problems[0].record == 6


def test_a_second_header_is_a_problem() -> None:
    items = records(golden("transfer_21.dat"))
    parsed = parse_file(join([items[0], *items[:3], *items[3:]]))
    assert codes(parsed.problems) == ["zengin_record_type"]


def test_unknown_kind() -> None:
    problem = one_problem(patched(golden("transfer_21.dat"), 1, 2, b"22"))
    assert (problem.code, problem.start, problem.end) == ("zengin_unknown_kind", 2, 3)


def test_ebcdic_code_division_is_not_supported() -> None:
    problem = one_problem(patched(golden("transfer_21.dat"), 1, 4, b"1"))
    assert (problem.code, problem.start) == ("zengin_code_division", 4)


@pytest.mark.parametrize(
    ("new", "char", "position"),
    [
        ("ﾔﾏﾀﾞ ﾀﾛｯ".encode("cp932"), "ｯ", 58),  # small kana
        (b"Yamada", "a", 52),  # lower case
        ("山田".encode("cp932"), "山", 51),  # kanji: two bytes
        ("ｦ".encode("cp932"), "ｦ", 51),
        (b"\x00", "0x00", 51),
    ],
)
def test_characters_outside_the_set_are_problems_at_their_byte(new: bytes, char: str, position: int) -> None:
    problem = one_problem(patched(golden("salary_11.dat"), 2, 51, new))
    assert (problem.code, problem.record, problem.start, problem.end) == (
        "zengin_invalid_character",
        2,
        position,
        position,
    )
    assert problem.message.startswith(
        f"データレコード1件目（2レコード目）の受取人名：「{char}」は全銀ファイルで使えない文字です"
    )


def test_digits_fields_must_hold_digits() -> None:
    problem = one_problem(patched(golden("transfer_21.dat"), 2, 81, b"00012345 7"))
    assert (problem.code, problem.field, problem.start, problem.end) == ("zengin_invalid_digits", "amount", 81, 90)


def test_a_zero_amount_is_a_problem() -> None:
    data = patched(golden("salary_11.dat"), 2, 81, b"0000000000")
    parsed = parse_file(patched(data, 4, 8, b"000000198765"))
    assert codes(parsed.problems) == ["zengin_invalid_amount"]


def test_dummy_bytes_must_be_blank() -> None:
    problem = one_problem(patched(golden("transfer_21.dat"), 2, 118, b"X"))
    assert (problem.code, problem.start, problem.end) == ("zengin_not_blank", 118, 118)
    assert "（118バイト目が「X」）" in problem.message


def test_invalid_account_type_in_a_file() -> None:
    problem = one_problem(patched(golden("transfer_21.dat"), 2, 43, b"3"))
    assert (problem.code, problem.start) == ("zengin_invalid_account_type", 43)


def test_invalid_date_in_a_file() -> None:
    problem = one_problem(patched(golden("transfer_21.dat"), 1, 55, b"1332"))
    assert (problem.code, problem.start, problem.end) == ("zengin_invalid_date", 55, 58)


def test_salary_variant_without_department_code_is_accepted() -> None:
    data = patched(golden("salary_11.dat"), 2, 102, b" " * 10)
    parsed = parse_file(data)
    assert parsed.problems == []
    assert parsed.records[0].fields["department_code"] is None


def test_unknown_bank_in_a_file_is_a_warning() -> None:
    parsed = parse_file(patched(golden("transfer_21.dat"), 2, 2, b"0999"))
    assert parsed.ok
    assert codes(parsed.warnings) == ["zengin_unknown_bank"]


def test_line_feed_separator_is_read_with_a_warning() -> None:
    data = golden("transfer_21.dat").replace(CRLF, b"\n")
    parsed = parse_file(data)
    assert parsed.separator is Separator.LF
    assert parsed.ok
    assert codes(parsed.warnings) == ["zengin_separator_lf"]


def test_an_eof_byte_at_the_end_is_accepted() -> None:
    assert parse_file(golden("transfer_21.dat") + b"\x1a").problems == []


def test_an_empty_file() -> None:
    problem = one_problem(b"")
    assert (problem.code, problem.message) == ("zengin_file_empty", "ファイル：ファイルが空です。")


def test_problem_offsets_count_separators() -> None:
    problem = one_problem(patched(golden("transfer_21.dat"), 3, 43, b"5"))
    assert problem.offset == 2 * 122 + 42


def test_bonus_file_without_separator() -> None:
    parsed = parse_file(golden("bonus_12_no_separator.dat"))
    assert (parsed.kind, parsed.separator, parsed.problems) == (FileKind.BONUS, Separator.NONE, [])


def test_built_files_check_clean() -> None:
    spec = zengin_file(FileKind.DEBIT, [payee(customer_code="W-0001"), payee(amount=1)])
    assert parse_file(build_file(spec).data).problems == []
