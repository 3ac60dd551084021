"""The fixed-length layouts of 全銀 files, as data: one table per record type and file kind.

Positions are 1-based and inclusive, as in docs/domain/zengin.md ("Layouts"), so that each line can be checked
against the documentation by eye. The builder and the parser both read these tables; no other module knows a
byte position.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

RECORD_LENGTH = 120


class FileKind(enum.StrEnum):
    """種別コード (header bytes 2-3)."""

    TRANSFER = "21"  # 総合振込
    SALARY = "11"  # 給与振込
    BONUS = "12"  # 賞与振込
    DEBIT = "91"  # 預金口座振替

    @property
    def label(self) -> str:
        return KIND_LABELS[self]

    @property
    def is_debit(self) -> bool:
        return self is FileKind.DEBIT


KIND_LABELS = {
    FileKind.TRANSFER: "総合振込",
    FileKind.SALARY: "給与振込",
    FileKind.BONUS: "賞与振込",
    FileKind.DEBIT: "口座振替",
}


class RecordType(enum.StrEnum):
    """データ区分 (byte 1)."""

    HEADER = "1"
    DATA = "2"
    TRAILER = "8"
    END = "9"


class FieldType(enum.StrEnum):
    DIGITS = "N"  # right-aligned, zero-filled
    TEXT = "C"  # left-aligned, space-filled, 全銀 characters
    BLANK = "X"  # ダミー: spaces


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    start: int
    length: int
    type: FieldType

    @property
    def end(self) -> int:
        return self.start + self.length - 1

    @property
    def slice(self) -> slice:
        return slice(self.start - 1, self.end)


def _n(name: str, label: str, start: int, length: int) -> Field:
    return Field(name, label, start, length, FieldType.DIGITS)


def _c(name: str, label: str, start: int, length: int) -> Field:
    return Field(name, label, start, length, FieldType.TEXT)


def _x(start: int, length: int) -> Field:
    return Field(f"dummy_{start}", "ダミー", start, length, FieldType.BLANK)


RECORD_TYPE = _n("record_type", "データ区分", 1, 1)


def _header(requester: str, date: str, bank: str) -> tuple[Field, ...]:
    return (
        RECORD_TYPE,
        _n("kind", "種別コード", 2, 2),
        _n("code_division", "コード区分", 4, 1),
        _n("requester_code", f"{requester}コード", 5, 10),
        _c("requester_name", f"{requester}名", 15, 40),
        _n("date", date, 55, 4),
        _n("bank_code", f"{bank}金融機関番号", 59, 4),
        _c("bank_name", f"{bank}金融機関名", 63, 15),
        _n("branch_code", f"{bank}支店番号", 78, 3),
        _c("branch_name", f"{bank}支店名", 81, 15),
        _n("account_type", "預金種目（依頼人）", 96, 1),
        _n("account_number", "口座番号（依頼人）", 97, 7),
        _x(104, 17),
    )


def _data_head(bank: str, name: str, amount: str, bytes_39_42: Field) -> tuple[Field, ...]:
    """Bytes 1-91, the same in every kind but for the labels and bytes 39-42."""
    return (
        RECORD_TYPE,
        _n("bank_code", f"{bank}金融機関番号", 2, 4),
        _c("bank_name", f"{bank}金融機関名", 6, 15),
        _n("branch_code", f"{bank}支店番号", 21, 3),
        _c("branch_name", f"{bank}支店名", 24, 15),
        bytes_39_42,
        _n("account_type", "預金種目", 43, 1),
        _n("account_number", "口座番号", 44, 7),
        _c("name", name, 51, 30),
        _n("amount", amount, 81, 10),
        _n("new_code", "新規コード", 91, 1),
    )


# 手形交換所番号 is unused: written as spaces, read as spaces or four digits (docs/domain/zengin.md).
CLEARING_HOUSE = _c("clearing_house", "手形交換所番号", 39, 4)

HEADER_TRANSFER = _header("振込依頼人", "振込指定日", "仕向")
HEADER_DEBIT = _header("委託者", "引落日", "取引")

DATA_TRANSFER = (
    *_data_head("被仕向", "受取人名", "振込金額", CLEARING_HOUSE),
    # 顧客コード1 (92-101) and 顧客コード2 (102-111), or the 20-byte EDI情報 when 識別表示 is "Y".
    _c("customer_code", "顧客コード", 92, 20),
    _n("transfer_kind", "振込指定区分", 112, 1),
    _c("edi_flag", "識別表示", 113, 1),
    _x(114, 7),
)
DATA_SALARY = (
    *_data_head("被仕向", "受取人名", "振込金額", _x(39, 4)),
    _n("employee_number", "社員番号", 92, 10),
    # 所属コード, or ダミー in the banks' variant that has none: read as digits or spaces.
    _n("department_code", "所属コード", 102, 10),
    _x(112, 9),
)
DATA_DEBIT = (
    *_data_head("引落", "預金者名", "引落金額", _x(39, 4)),
    _c("customer_code", "顧客番号", 92, 20),
    _c("result_code", "振替結果コード", 112, 1),
    _x(113, 8),
)
TRAILER = (
    RECORD_TYPE,
    _n("total_count", "合計件数", 2, 6),
    _n("total_amount", "合計金額", 8, 12),
    _x(20, 101),
)
TRAILER_DEBIT = (
    *TRAILER[:3],
    _n("succeeded_count", "振替済件数", 20, 6),
    _n("succeeded_amount", "振替済金額", 26, 12),
    _n("failed_count", "振替不能件数", 38, 6),
    _n("failed_amount", "振替不能金額", 44, 12),
    _x(56, 65),
)
END = (RECORD_TYPE, _x(2, 119))


def header_layout(kind: FileKind) -> tuple[Field, ...]:
    return HEADER_DEBIT if kind.is_debit else HEADER_TRANSFER


def data_layout(kind: FileKind) -> tuple[Field, ...]:
    if kind is FileKind.TRANSFER:
        return DATA_TRANSFER
    if kind.is_debit:
        return DATA_DEBIT
    return DATA_SALARY


def trailer_layout(kind: FileKind) -> tuple[Field, ...]:
    return TRAILER_DEBIT if kind.is_debit else TRAILER


def field_of(layout: tuple[Field, ...], name: str) -> Field:
    for field in layout:
        if field.name == name:
            return field
    raise KeyError(name)


def _check_layouts() -> None:
    """Each layout covers bytes 1-120 exactly once, in order (run at import: a typo here must not ship)."""
    for layout in (HEADER_TRANSFER, HEADER_DEBIT, DATA_TRANSFER, DATA_SALARY, DATA_DEBIT, TRAILER, TRAILER_DEBIT, END):
        position = 1
        for field in layout:
            if field.start != position:
                raise AssertionError(f"layout gap or overlap at {field.name} ({field.start} != {position})")
            position = field.end + 1
        if position != RECORD_LENGTH + 1:
            raise AssertionError(f"layout ends at {position - 1}")


_check_layouts()
