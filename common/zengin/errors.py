"""Errors of the 全銀 library: stable codes, Japanese messages that name the record, the field and the character.

A field error raised while building is also what the parser reports as a problem at that field's bytes, so a
clerk reads the same sentence for the same mistake whichever way it was found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from common.errors import ValidationFailed

ALLOWED_SET_TEXT = "半角カナ（ｱ〜ﾝ、ﾞ、ﾟ）、英大文字、数字、空白と記号 ( ) - . / ¥ , ｢ ｣"


class ZenginError(ValidationFailed):
    code = "zengin_error"
    message = "全銀ファイルの内容に誤りがあります。"


class ZenginFieldError(ZenginError):
    """A problem at one field (or one record when field is empty), worded from a template of the subclass."""

    template: ClassVar[str] = "内容に誤りがあります。"
    warning: ClassVar[bool] = False

    def __init__(self, *, where: str, field: str = "", field_name: str = "", **params: Any) -> None:
        subject = f"{where}の{field}" if field else where
        super().__init__(
            f"{subject}：{self.template.format(**params)}",
            details={"record": where, "field": field_name or field, **params},
        )
        self.where = where
        self.field = field
        self.field_name = field_name
        self.params = params


class InvalidCharacter(ZenginFieldError):
    code = "zengin_invalid_character"
    template = "「{char}」は全銀ファイルで使えない文字です（使える文字: " + ALLOWED_SET_TEXT + "）。"


class FieldTooLong(ZenginFieldError):
    code = "zengin_field_too_long"
    template = (
        "「{value}」は{length}文字で、この項目に入る{max_length}文字を超えています"
        "（切り詰めてよい場合は truncate を指定してください）。"
    )


class FieldRequired(ZenginFieldError):
    code = "zengin_field_required"
    template = "入力が必要です。"


class InvalidDigits(ZenginFieldError):
    code = "zengin_invalid_digits"
    template = "「{value}」ではなく{expected}で指定してください。"


class InvalidAccountType(ZenginFieldError):
    code = "zengin_invalid_account_type"
    template = "預金種目「{value}」はありません（1 普通、2 当座、4 貯蓄、9 その他）。"


class InvalidAmount(ZenginFieldError):
    code = "zengin_invalid_amount"
    template = "金額「{value}」は1円以上9,999,999,999円以下の整数で指定してください。"


class InvalidDate(ZenginFieldError):
    code = "zengin_invalid_date"
    template = "「{value}」は月日（MMDD、例 0410）として正しくありません。"


class InvalidChoice(ZenginFieldError):
    code = "zengin_invalid_choice"
    template = "「{value}」は指定できません（{allowed}）。"


class FieldNotInKind(ZenginFieldError):
    code = "zengin_field_not_in_kind"
    template = "種別{kind}（{kind_label}）のファイルにはこの項目がありません。"


class EdiWithCustomerCode(ZenginFieldError):
    code = "zengin_edi_with_customer_code"
    template = "EDI情報と顧客コードは同じ位置（92〜111バイト目）に書くため、両方は指定できません。"


class UnknownBank(ZenginFieldError):
    code = "zengin_unknown_bank"
    template = (
        "金融機関コード「{value}」は金融機関マスター（zengin-code {version}）にありません。"
        "合併・統合で変わっていないか確認してください（コードはそのまま書きます）。"
    )
    warning = True


class UnknownBranch(ZenginFieldError):
    code = "zengin_unknown_branch"
    template = (
        "金融機関「{bank_code}」の支店コード「{value}」は金融機関マスター（zengin-code {version}）にありません。"
        "店舗統合で変わっていないか確認してください（コードはそのまま書きます）。"
    )
    warning = True


# --- Problems only a file can have (found by the parser) ---


class RecordLengthInvalid(ZenginFieldError):
    code = "zengin_record_length"
    template = "レコード長が{length}バイトです（120バイトでなければなりません）。"


class RecordTypeUnexpected(ZenginFieldError):
    code = "zengin_record_type"
    template = "データ区分「{value}」のレコードはここに置けません（{expected}）。"


class RecordMissing(ZenginFieldError):
    code = "zengin_record_missing"
    template = "{missing}がありません。"


class KindUnknown(ZenginFieldError):
    code = "zengin_unknown_kind"
    template = "種別コード「{value}」には対応していません（21 総合振込、11 給与振込、12 賞与振込、91 口座振替）。"


class CodeDivisionUnsupported(ZenginFieldError):
    code = "zengin_code_division"
    template = "コード区分「{value}」には対応していません（0 JIS/SJIS のみ。1 EBCDIC は読めません）。"


class NotBlank(ZenginFieldError):
    code = "zengin_not_blank"
    template = "空白でなければなりません（{position}バイト目が「{char}」）。"


class TotalMismatch(ZenginFieldError):
    code = "zengin_total_mismatch"
    template = "{stated}となっていますが、データレコードから計算すると{computed}です。"


class UnknownResultCode(ZenginFieldError):
    code = "zengin_unknown_result_code"
    template = "振替結果コード「{value}」は定義されていません（{allowed}）。振替済としては扱いません。"


class SeparatorLineFeed(ZenginFieldError):
    code = "zengin_separator_lf"
    template = "レコードの区切りがLF（改行のみ）です。銀行の指定（CRLF か区切りなし）を確認してください。"
    warning = True


class TrailingData(ZenginFieldError):
    code = "zengin_trailing_data"
    template = "エンドレコードの後にデータがあります。"


class FileEmpty(ZenginFieldError):
    code = "zengin_file_empty"
    template = "ファイルが空です。"


# --- Whole-file errors of building ---


class InvalidKind(ZenginError):
    code = "zengin_invalid_kind"
    message = "種別コードは 21（総合振込）、11（給与振込）、12（賞与振込）、91（口座振替）のいずれかです。"


class InvalidSeparator(ZenginError):
    code = "zengin_invalid_separator"
    message = "レコード区切りは crlf（改行）か none（区切りなし）で指定してください。"


class NoRecords(ZenginError):
    code = "zengin_no_records"
    message = "データレコードが1件もありません。"


class TotalTooLarge(ZenginError):
    code = "zengin_total_too_large"
    message = "件数（999,999件まで）または合計金額（999,999,999,999円まで）がトレーラーに書ける範囲を超えています。"


class SpecInvalid(ZenginError):
    code = "zengin_spec_invalid"
    message = "全銀ファイルの指定（JSON）に誤りがあります。"


class DataRejected(ZenginError):
    """Every field error of one build, so a clerk fixes them all at once; nothing is written."""

    code = "zengin_data_rejected"

    def __init__(self, errors: Sequence[ZenginFieldError]) -> None:
        self.errors = list(errors)
        lines = "\n".join(error.message for error in self.errors)
        super().__init__(
            f"全銀ファイルを作成できません（誤り{len(self.errors)}件）。\n{lines}",
            details={"errors": [error.as_dict() for error in self.errors]},
        )
