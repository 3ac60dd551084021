"""The value rules of 全銀 fields, shared by the builder (a clerk's input) and the parser (a file's bytes).

docs/domain/zengin.md, "Values" and "Character set". Each check raises the ZenginFieldError a clerk reads.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, NoReturn

import jaconv

from common.zengin import charset
from common.zengin.errors import (
    FieldRequired,
    FieldTooLong,
    InvalidAccountType,
    InvalidAmount,
    InvalidCharacter,
    InvalidChoice,
    InvalidDate,
    InvalidDigits,
    ZenginFieldError,
)
from common.zengin.layouts import Field
from common.zengin.types import Truncation

ACCOUNT_TYPES = {"1": "普通", "2": "当座", "4": "貯蓄", "9": "その他"}
NEW_CODES = {"0": "その他", "1": "第1回振込分", "2": "変更分"}
TRANSFER_KINDS = {"7": "テレ振込", "8": "文書振込"}
AMOUNT_MIN = 1
AMOUNT_MAX = 9_999_999_999


def _raise(error: type[ZenginFieldError], where: str, field: Field, **params: Any) -> NoReturn:
    raise error(where=where, field=field.label, field_name=field.name, **params)


def allowed_text(choices: dict[str, str]) -> str:
    return "、".join(f"{code} {label}" for code, label in choices.items())


# --- checks on text as it stands in a file (also the last step of building) ---


def check_digits(text: str, *, where: str, field: Field) -> None:
    if len(text) != field.length or not (text.isascii() and text.isdigit()):
        _raise(InvalidDigits, where, field, value=text, expected=f"{field.length}桁の数字")


def check_characters(text: str, *, where: str, field: Field) -> None:
    index = charset.first_invalid_character(text)
    if index is not None:
        _raise(InvalidCharacter, where, field, char=charset.describe_character(text[index]), position=index + 1)


def check_account_type(text: str, *, where: str, field: Field) -> None:
    if text not in ACCOUNT_TYPES:
        _raise(InvalidAccountType, where, field, value=text)


def check_choice(text: str, choices: dict[str, str], *, where: str, field: Field) -> None:
    if text not in choices:
        _raise(InvalidChoice, where, field, value=text, allowed=allowed_text(choices))


def check_amount(amount: int, *, where: str, field: Field) -> None:
    if not AMOUNT_MIN <= amount <= AMOUNT_MAX:
        _raise(InvalidAmount, where, field, value=f"{amount:,}")


def check_mmdd(text: str, *, where: str, field: Field) -> None:
    """A month and day that exist in some year (0229 included): the bank adds the year itself."""
    valid = len(text) == 4 and text.isascii() and text.isdigit()
    if valid:
        try:
            datetime.date(2000, int(text[:2]), int(text[2:]))  # 2000 is a leap year
        except ValueError:
            valid = False
    if not valid:
        _raise(InvalidDate, where, field, value=text)


# --- a clerk's input, normalised and checked, as the field's text ---


def digits(value: str, *, where: str, field: Field, pad: bool = False) -> str:
    """A code or number: full-width digits accepted; zero-padded to the field only when `pad` (口座番号)."""
    text = _half_width_digits(value)
    if not text:
        _raise(FieldRequired, where, field)
    if not (text.isascii() and text.isdigit()) or len(text) > field.length or (len(text) < field.length and not pad):
        expected = f"{field.length}桁以内の数字" if pad else f"{field.length}桁の数字"
        _raise(InvalidDigits, where, field, value=value, expected=expected)
    return text.zfill(field.length)


def text(
    value: str, *, where: str, field: Field, record: int, required: bool = False, truncate: bool = False
) -> tuple[str, Truncation | None]:
    """A name or code in the 全銀 set, normalised as a clerk expects; longer than the field only when `truncate`."""
    normalized = charset.normalize_text(value)
    if required and not normalized:
        _raise(FieldRequired, where, field)
    check_characters(normalized, where=where, field=field)
    if len(normalized) <= field.length:
        return normalized, None
    if not truncate:
        _raise(FieldTooLong, where, field, value=normalized, length=len(normalized), max_length=field.length)
    written = normalized[: field.length].rstrip()
    return written, Truncation(record=record, field=field.name, original=normalized, written=written)


def _half_width_digits(value: str) -> str:
    return jaconv.z2h(str(value), kana=False, ascii=False, digit=True).strip()


def account_type(value: str, *, where: str, field: Field) -> str:
    text = _half_width_digits(value)
    check_account_type(text, where=where, field=field)
    return text


def code(value: str, choices: dict[str, str], *, where: str, field: Field) -> str:
    """One of a field's defined codes (新規コード, 振込指定区分)."""
    text = _half_width_digits(value)
    check_choice(text, choices, where=where, field=field)
    return text


def amount(value: Any, *, where: str, field: Field) -> str:
    """Integer yen (an int, or a Decimal without a fraction); never a float or a string."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value, whole = int(value), True
    if not whole:
        _raise(InvalidAmount, where, field, value=str(value))
    check_amount(value, where=where, field=field)
    return str(value).zfill(field.length)


def mmdd(value: str | datetime.date, *, where: str, field: Field) -> str:
    text = value.strftime("%m%d") if isinstance(value, datetime.date) else str(value).strip()
    check_mmdd(text, where=where, field=field)
    return text
