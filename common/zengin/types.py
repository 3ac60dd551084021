"""The Python API's shapes: what callers hand in to build a file and what they get back from parsing one.

The JSON spec of `manage.py zengin build` has exactly these fields (docs/zengin.md). A field that is None was not
given; a field a kind does not have must stay None (docs/domain/zengin.md, "Which fields each kind has").
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from common.zengin.layouts import FileKind, RecordType


class Separator(enum.StrEnum):
    """What follows each 120-byte record. CRLF unless the bank asks for none."""

    CRLF = "crlf"
    NONE = "none"
    LF = "lf"  # read only: some systems write it; never built

    @property
    def bytes(self) -> bytes:
        return {"crlf": b"\r\n", "none": b"", "lf": b"\n"}[self.value]


@dataclass(frozen=True)
class Requester:
    """振込依頼人 (21/11/12) or 委託者 (91): the town, as the bank registered it."""

    code: str
    name: str


@dataclass(frozen=True)
class RequesterBank:
    """仕向 (21/11/12) or 取引 (91) bank, branch and the town's account. The account may be left out for 91."""

    code: str
    branch_code: str
    name: str = ""
    branch_name: str = ""
    account_type: str | None = None
    account_number: str | None = None


@dataclass(frozen=True)
class ZenginRecord:
    """One data record: a payee (21/11/12) or a payer to debit (91)."""

    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    name: str
    amount: int
    bank_name: str = ""
    branch_name: str = ""
    new_code: str = "0"
    customer_code: str | None = None  # 顧客コード1・2 (21) or 顧客番号 (91)
    transfer_kind: str | None = None  # 振込指定区分 (21); 7 when not given
    edi: str | None = None  # EDI情報 (21), in place of the customer code


@dataclass(frozen=True)
class ZenginFile:
    kind: FileKind
    requester: Requester
    date: str | datetime.date  # 振込指定日 / 引落日; MMDD or a date
    bank: RequesterBank
    records: Sequence[ZenginRecord]
    separator: Separator = Separator.CRLF
    truncate: bool = False  # cut names longer than their field instead of refusing them


@dataclass(frozen=True)
class Problem:
    """One finding in a file, at a record and its bytes (1-based, inclusive, as in the layout tables)."""

    code: str
    message: str
    record: int  # record number in the file, 1 = header; 0 = the file as a whole
    start: int | None = None
    end: int | None = None
    offset: int | None = None  # 0-based byte offset of `start` in the file
    field: str = ""
    severity: str = "error"  # or "warning": worth a look, does not make the file wrong

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass(frozen=True)
class Truncation:
    """A name cut to its field because the caller asked for truncation."""

    record: int
    field: str
    original: str
    written: str


@dataclass(frozen=True)
class BuildResult:
    data: bytes
    warnings: list[Problem] = field(default_factory=list)
    truncations: list[Truncation] = field(default_factory=list)
    record_count: int = 0
    total_amount: int = 0


@dataclass
class ParsedRecord:
    number: int  # 1-based record number in the file
    type: RecordType | None
    offset: int
    raw: bytes
    fields: dict[str, str | int | None] = field(default_factory=dict)


RESULT_CODES = {
    "0": "振替済",
    "1": "資金不足",
    "2": "預金取引なし",
    "3": "預金者の都合による振替停止",
    "4": "口座振替依頼書なし",
    "8": "委託者の都合による振替停止",
    "9": "その他",
}
SUCCEEDED = "0"


@dataclass(frozen=True)
class DebitResult:
    """One payer's outcome in the bank's 口座振替 result file."""

    record: int
    customer_code: str
    amount: int
    code: str
    label: str  # 振替済, 資金不足, ... or 不明な結果コード

    @property
    def succeeded(self) -> bool:
        # Only code 0 is a collected debit; an unknown code is never success (docs/domain/zengin.md).
        return self.code == SUCCEEDED


@dataclass(frozen=True)
class ResultTotals:
    succeeded_count: int
    succeeded_amount: int
    failed_count: int  # every record that is not 振替済, unknown codes included
    failed_amount: int
    unknown_count: int
    unknown_amount: int
    by_code: dict[str, int]


@dataclass
class ParsedFile:
    kind: FileKind | None
    separator: Separator
    is_result: bool
    header: ParsedRecord | None = None
    records: list[ParsedRecord] = field(default_factory=list)
    trailer: ParsedRecord | None = None
    end: ParsedRecord | None = None
    problems: list[Problem] = field(default_factory=list)
    record_count: int = 0
    total_amount: int = 0
    result_totals: ResultTotals | None = None
    results: list[DebitResult] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors
