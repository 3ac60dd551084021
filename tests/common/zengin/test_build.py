"""Building: normalisation a clerk expects, and every refusal with the message that names record, field, char."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from common.zengin import DataRejected, FileKind, RequesterBank, Separator, build_file, parse_file
from common.zengin.errors import (
    EdiWithCustomerCode,
    FieldNotInKind,
    FieldRequired,
    FieldTooLong,
    InvalidAccountType,
    InvalidAmount,
    InvalidCharacter,
    InvalidChoice,
    InvalidDate,
    InvalidDigits,
    InvalidKind,
    InvalidSeparator,
    NoRecords,
    TotalTooLarge,
    ZenginFieldError,
)
from tests.common.zengin.factories import TOWN_BANK, payee, zengin_file


def rejected(spec) -> list[ZenginFieldError]:
    with pytest.raises(DataRejected) as caught:
        build_file(spec)
    return caught.value.errors


def only_error(spec) -> ZenginFieldError:
    errors = rejected(spec)
    assert len(errors) == 1, [error.message for error in errors]
    return errors[0]


def written_name(**overrides) -> str:
    parsed = parse_file(build_file(zengin_file(records=[payee(**overrides)])).data)
    return str(parsed.records[0].fields["name"])


# --- normalisation ---


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("やまだ　たろう", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # hiragana and a full-width space
        ("ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # full-width katakana
        ("ｷｮｳｺ", "ｷﾖｳｺ"),  # small half-width kana
        ("きょうこ", "ｷﾖｳｺ"),
        ("ァィゥェォャュョッ", "ｱｲｳｴｵﾔﾕﾖﾂ"),
        ("ｶ)abc", "ｶ)ABC"),  # lower-case ASCII
        ("ＡＢＣ１２３", "ABC123"),  # full-width letters and digits
        ("カ）コーポレーション", "ｶ)ｺ-ﾎﾟﾚ-ｼﾖﾝ"),  # full-width bracket; the long-vowel mark is written as "-"
        ("ｶﾞｯｺｳ", "ｶﾞﾂｺｳ"),  # half-width voiced marks stay two bytes
        ("ヴァイオリン", "ｳﾞｱｲｵﾘﾝ"),
        ("  ﾔﾏﾀﾞ  ", "ﾔﾏﾀﾞ"),  # surrounding spaces
        ("ﾔﾏﾀﾞ￥", "ﾔﾏﾀﾞ¥"),  # the yen sign is byte 0x5C
    ],
)
def test_names_are_normalised_to_the_zengin_set(typed: str, written: str) -> None:
    assert written_name(name=typed) == written


def test_yen_sign_is_byte_5c() -> None:
    data = build_file(zengin_file(records=[payee(name="ﾔﾏﾀﾞ¥")])).data
    assert data[122 + 50 : 122 + 56] == b"\xd4\xcf\xc0\xde\x5c "


def test_full_width_digits_in_codes_are_accepted() -> None:
    parsed = parse_file(build_file(zengin_file(records=[payee(bank_code="０５７８", account_number="１２３")])).data)
    assert parsed.records[0].fields["bank_code"] == "0578"
    assert parsed.records[0].fields["account_number"] == "0000123"


# --- characters ---


def test_kanji_is_refused_naming_record_field_and_character() -> None:
    error = only_error(zengin_file(records=[payee(), payee(name="山田 ﾀﾛｳ")]))
    assert isinstance(error, InvalidCharacter)
    assert error.code == "zengin_invalid_character"
    assert error.message.startswith(
        "データレコード2件目（3レコード目）の受取人名：「山」は全銀ファイルで使えない文字です"
    )
    assert error.details["field"] == "name"


@pytest.mark.parametrize("char", ["・", "＠", "!", "ｦ", "~", "\\"])
def test_symbols_outside_the_set_are_refused(char: str) -> None:
    error = only_error(zengin_file(records=[payee(name=f"ﾔﾏﾀﾞ{char}ﾀﾛｳ")]))
    assert isinstance(error, InvalidCharacter)
    assert error.params["position"] == 5


def test_kanji_in_the_requester_name_names_the_header() -> None:
    spec = replace(zengin_file(), requester=replace(zengin_file().requester, name="中土佐町"))
    error = only_error(spec)
    assert error.message.startswith("ヘッダーレコード（1レコード目）の振込依頼人名：「中」は")


def test_invisible_characters_are_named_by_code_point() -> None:
    error = only_error(zengin_file(records=[payee(name="ﾔﾏﾀﾞ\tﾀﾛｳ")]))
    assert "「U+0009」" in error.message


# --- lengths and truncation ---


def test_a_name_longer_than_its_field_is_refused_by_default() -> None:
    error = only_error(zengin_file(records=[payee(name="ｱ" * 31)]))
    assert isinstance(error, FieldTooLong)
    assert error.message == (
        "データレコード1件目（2レコード目）の受取人名：「"
        + "ｱ" * 31
        + "」は31文字で、この項目に入る30文字を超えています"
        "（切り詰めてよい場合は truncate を指定してください）。"
    )


def test_voiced_marks_count_as_a_byte_each() -> None:
    error = only_error(zengin_file(records=[payee(name="ガ" * 16)]))  # 32 bytes in half-width
    assert error.params["length"] == 32


def test_truncation_when_asked_is_reported_per_record() -> None:
    long_name = "ｱｲｳｴｵ" * 7  # 35
    result = build_file(zengin_file(records=[payee(), payee(name=long_name)], truncate=True))
    assert len(result.truncations) == 1
    cut = result.truncations[0]
    assert (cut.record, cut.field, cut.original, cut.written) == (3, "name", long_name, long_name[:30])
    assert parse_file(result.data).records[1].fields["name"] == long_name[:30]


def test_truncation_never_applies_to_codes() -> None:
    error = only_error(zengin_file(records=[payee(customer_code="1" * 21)], truncate=True))
    assert isinstance(error, FieldTooLong)


def test_a_name_is_required() -> None:
    error = only_error(zengin_file(records=[payee(name="  ")]))
    assert isinstance(error, FieldRequired)
    assert error.message == "データレコード1件目（2レコード目）の受取人名：入力が必要です。"


# --- values ---


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("bank_code", "578", "4桁の数字"),
        ("bank_code", "05780", "4桁の数字"),
        ("branch_code", "32", "3桁の数字"),
        ("branch_code", "A32", "3桁の数字"),
        ("account_number", "12345678", "7桁以内の数字"),
        ("account_number", "12-3456", "7桁以内の数字"),
    ],
)
def test_codes_and_account_numbers_must_be_digits_of_their_length(field: str, value: str, expected: str) -> None:
    error = only_error(zengin_file(records=[payee(**{field: value})]))
    assert isinstance(error, InvalidDigits)
    assert error.message.endswith(f"「{value}」ではなく{expected}で指定してください。")


def test_account_numbers_are_zero_padded() -> None:
    parsed = parse_file(build_file(zengin_file(records=[payee(account_number="42")])).data)
    assert parsed.records[0].fields["account_number"] == "0000042"


@pytest.mark.parametrize("account_type", ["1", "2", "4", "9"])
def test_account_types_accepted(account_type: str) -> None:
    parsed = parse_file(build_file(zengin_file(records=[payee(account_type=account_type)])).data)
    assert parsed.records[0].fields["account_type"] == account_type


@pytest.mark.parametrize("account_type", ["0", "3", "5", "8", "11", ""])
def test_other_account_types_are_refused(account_type: str) -> None:
    error = only_error(zengin_file(records=[payee(account_type=account_type)]))
    assert isinstance(error, InvalidAccountType)
    assert "（1 普通、2 当座、4 貯蓄、9 その他）" in error.message


@pytest.mark.parametrize("amount", [1, 9_999_999_999, Decimal("5000")])
def test_amounts_in_range_are_accepted(amount: int) -> None:
    assert build_file(zengin_file(records=[payee(amount=amount)])).total_amount == int(amount)


@pytest.mark.parametrize("amount", [0, -1, 10_000_000_000, 1000.0, Decimal("10.5"), "1000", True])
def test_other_amounts_are_refused(amount: object) -> None:
    error = only_error(zengin_file(records=[payee(amount=amount)]))
    assert isinstance(error, InvalidAmount)
    assert "は1円以上9,999,999,999円以下の整数で指定してください。" in error.message


@pytest.mark.parametrize("date", ["1301", "0230", "0431", "041", "4/10", ""])
def test_invalid_dates_are_refused(date: str) -> None:
    error = only_error(zengin_file(date=date))
    assert isinstance(error, InvalidDate)
    assert error.message.startswith("ヘッダーレコード（1レコード目）の振込指定日：")


def test_a_date_object_is_written_as_mmdd() -> None:
    import datetime

    data = build_file(zengin_file(date=datetime.date(2027, 2, 5))).data
    assert data[54:58] == b"0205"


def test_new_code_and_transfer_kind_must_be_defined_codes() -> None:
    errors = rejected(zengin_file(records=[payee(new_code="5", transfer_kind="9")]))
    assert [type(error) for error in errors] == [InvalidChoice, InvalidChoice]
    assert errors[0].message.endswith("「5」は指定できません（0 その他、1 第1回振込分、2 変更分）。")
    assert errors[1].message.endswith("「9」は指定できません（7 テレ振込、8 文書振込）。")


def test_transfer_kind_defaults_to_telegraphic() -> None:
    data = build_file(zengin_file()).data
    assert data[122 + 111 : 122 + 112] == b"7"


# --- fields a kind does not have ---


@pytest.mark.parametrize(
    ("kind", "field", "label"),
    [
        (FileKind.SALARY, "customer_code", "顧客コード"),
        (FileKind.BONUS, "edi", "EDI情報"),
        (FileKind.SALARY, "transfer_kind", "振込指定区分"),
        (FileKind.DEBIT, "transfer_kind", "振込指定区分"),
        (FileKind.DEBIT, "edi", "EDI情報"),
    ],
)
def test_a_field_the_kind_does_not_have_is_refused_if_given(kind: FileKind, field: str, label: str) -> None:
    error = only_error(zengin_file(kind, [payee(**{field: ""})]))
    assert isinstance(error, FieldNotInKind)
    assert error.message == (
        f"データレコード1件目（2レコード目）の{label}：種別{kind.value}（{kind.label}）のファイルにはこの項目がありません。"
    )


def test_edi_and_customer_code_together_are_refused() -> None:
    error = only_error(zengin_file(records=[payee(edi="INV1", customer_code="C1")]))
    assert isinstance(error, EdiWithCustomerCode)


def test_an_empty_edi_leaves_the_customer_code() -> None:
    data = build_file(zengin_file(records=[payee(edi="", customer_code="C1")])).data
    assert data[122 + 91 : 122 + 113] == b"C1".ljust(20) + b"7 "


# --- the requester's account ---


def test_a_transfer_header_needs_the_town_account() -> None:
    spec = zengin_file(bank=replace(TOWN_BANK, account_type=None, account_number=None))
    errors = rejected(spec)
    assert [error.field_name for error in errors] == ["account_type", "account_number"]
    assert errors[0].message == "ヘッダーレコード（1レコード目）の預金種目（依頼人）：入力が必要です。"


def test_a_debit_header_may_leave_out_the_account() -> None:
    spec = zengin_file(FileKind.DEBIT, bank=RequesterBank(code="0175", branch_code="232"))
    assert build_file(spec).data[95:120] == b" " * 25


def test_a_debit_header_with_half_an_account_is_refused() -> None:
    spec = zengin_file(FileKind.DEBIT, bank=RequesterBank(code="0175", branch_code="232", account_type="1"))
    assert only_error(spec).field_name == "account_number"


# --- the file as a whole ---


def test_every_error_is_reported_at_once_and_nothing_is_written() -> None:
    spec = zengin_file(records=[payee(name="山田"), payee(), payee(amount=0, account_type="3")], date="1340")
    with pytest.raises(DataRejected) as caught:
        build_file(spec)
    error = caught.value
    assert error.code == "zengin_data_rejected"
    assert [item.code for item in error.errors] == [
        "zengin_invalid_date",
        "zengin_invalid_character",
        "zengin_invalid_account_type",
        "zengin_invalid_amount",
    ]
    assert error.message.startswith("全銀ファイルを作成できません（誤り4件）。\n")
    assert len(error.details["errors"]) == 4


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(InvalidKind) as caught:
        build_file(zengin_file(kind="22"))  # type: ignore[arg-type]
    assert caught.value.code == "zengin_invalid_kind"


def test_unknown_separator_is_refused() -> None:
    with pytest.raises(InvalidSeparator):
        build_file(zengin_file(separator=Separator.LF))


def test_a_file_without_records_is_refused() -> None:
    with pytest.raises(NoRecords) as caught:
        build_file(zengin_file(records=[]))
    assert caught.value.message == "データレコードが1件もありません。"


def test_a_total_beyond_the_trailer_is_refused() -> None:
    with pytest.raises(TotalTooLarge):
        build_file(zengin_file(records=[payee(amount=9_999_999_999)] * 101))


def test_totals_are_computed() -> None:
    result = build_file(zengin_file(records=[payee(amount=1), payee(amount=2_500), payee(amount=9_999_999_999)]))
    trailer = result.data[4 * 122 : 4 * 122 + 120]
    assert trailer[1:19] == b"000003" + b"010000002500"
    assert (result.record_count, result.total_amount) == (3, 10_000_002_500)


def test_separator_none_gives_120_bytes_a_record() -> None:
    data = build_file(zengin_file(records=[payee(), payee()], separator=Separator.NONE)).data
    assert len(data) == 5 * 120
    assert b"\r" not in data


# --- the bank master ---


def test_an_unknown_bank_is_a_warning_and_the_code_is_kept() -> None:
    result = build_file(zengin_file(records=[payee(bank_code="0999", bank_name="ｷﾕｳｷﾞﾝｺｳ")]))
    assert [warning.code for warning in result.warnings] == ["zengin_unknown_bank"]
    warning = result.warnings[0]
    assert (warning.record, warning.start, warning.end, warning.offset) == (2, 2, 5, 123)
    assert "金融機関コード「0999」は金融機関マスター（zengin-code " in warning.message
    assert result.data[123:142] == b"0999" + "ｷﾕｳｷﾞﾝｺｳ".encode("cp932").ljust(15)


def test_an_unknown_branch_is_a_warning() -> None:
    result = build_file(zengin_file(records=[payee(branch_code="999")]))
    assert [(warning.code, warning.field) for warning in result.warnings] == [("zengin_unknown_branch", "branch_code")]
    assert "金融機関「0578」の支店コード「999」は" in result.warnings[0].message


def test_names_are_taken_as_given_not_from_the_master() -> None:
    data = build_file(zengin_file(records=[payee(bank_name="ﾍﾞﾂﾒｲ")])).data
    assert data[127:142] == "ﾍﾞﾂﾒｲ".encode("cp932").ljust(15)


def test_known_codes_give_no_warning() -> None:
    assert build_file(zengin_file()).warnings == []
