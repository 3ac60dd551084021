"""Building a 全銀 file (21 総合振込, 11 給与振込, 12 賞与振込, 91 口座振替 request) from typed records.

Every field of every record is checked before a byte is written, and all the mistakes are reported together
(DataRejected); totals are computed here, never taken from the caller. Rules: docs/domain/zengin.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common.zengin import master, values
from common.zengin.errors import (
    DataRejected,
    EdiWithCustomerCode,
    FieldNotInKind,
    FieldRequired,
    InvalidKind,
    InvalidSeparator,
    NoRecords,
    TotalTooLarge,
    ZenginFieldError,
)
from common.zengin.layouts import (
    END,
    RECORD_LENGTH,
    Field,
    FileKind,
    RecordType,
    data_layout,
    field_of,
    header_layout,
    trailer_layout,
)
from common.zengin.records import render, where
from common.zengin.types import BuildResult, Problem, RequesterBank, Separator, Truncation, ZenginFile, ZenginRecord

MAX_COUNT = 999_999  # 合計件数 N(6)
MAX_TOTAL = 999_999_999_999  # 合計金額 N(12)

# Input fields that only some kinds have (docs/domain/zengin.md, "Which fields each kind has").
KIND_ONLY_FIELDS = {
    "customer_code": ("顧客コード", frozenset({FileKind.TRANSFER, FileKind.DEBIT})),
    "transfer_kind": ("振込指定区分", frozenset({FileKind.TRANSFER})),
    "edi": ("EDI情報", frozenset({FileKind.TRANSFER})),
}
DEFAULT_TRANSFER_KIND = "7"  # テレ振込


@dataclass
class _Record:
    """One record being built: its layout and place, the values so far, and the build's shared findings."""

    layout: tuple[Field, ...]
    number: int  # in the file, header = 1
    at: str
    build: _Build
    values: dict[str, str] = field(default_factory=dict)

    def put(self, name: str, check: Callable[..., str], value: Any, *args: Any, **kwargs: Any) -> None:
        """Check a value with a rule of common.zengin.values; keep the error and go on to the next field."""
        try:
            self.values[name] = check(value, *args, where=self.at, field=field_of(self.layout, name), **kwargs)
        except ZenginFieldError as error:
            self.build.errors.append(error)

    def put_text(self, name: str, value: str, *, required: bool = False, may_truncate: bool = False) -> None:
        try:
            written, truncation = values.text(
                value,
                where=self.at,
                field=field_of(self.layout, name),
                record=self.number,
                required=required,
                truncate=self.build.truncate and may_truncate,
            )
        except ZenginFieldError as error:
            self.build.errors.append(error)
            return
        self.values[name] = written
        if truncation is not None:
            self.build.truncations.append(truncation)

    def fail(self, error: type[ZenginFieldError], name: str, label: str = "", **params: Any) -> None:
        label = label or field_of(self.layout, name).label
        self.build.errors.append(error(where=self.at, field=label, field_name=name, **params))

    def warn(self, error: type[ZenginFieldError], name: str, **params: Any) -> None:
        target = field_of(self.layout, name)
        found = error(where=self.at, field=target.label, field_name=name, **params)
        offset = (self.number - 1) * (RECORD_LENGTH + len(self.build.separator.bytes)) + target.start - 1
        self.build.warnings.append(
            Problem(found.code, found.message, self.number, target.start, target.end, offset, name, "warning")
        )


@dataclass
class _Build:
    kind: FileKind
    separator: Separator
    truncate: bool
    errors: list[ZenginFieldError] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    truncations: list[Truncation] = field(default_factory=list)


def build_file(spec: ZenginFile) -> BuildResult:
    """The file's bytes: header, data records, trailer, end, each 120 bytes followed by the separator.

    Raises DataRejected listing every field error, or InvalidKind / InvalidSeparator / NoRecords / TotalTooLarge.
    """
    build = _Build(kind=_kind(spec.kind), separator=_separator(spec.separator), truncate=spec.truncate)
    if not spec.records:
        raise NoRecords()
    header = _header(spec, build)
    data = [_data(record, index, build) for index, record in enumerate(spec.records, start=1)]
    if build.errors:
        raise DataRejected(build.errors)
    count, total = len(data), sum(int(record.amount) for record in spec.records)
    if count > MAX_COUNT or total > MAX_TOTAL:
        raise TotalTooLarge()
    records = [
        *(render(record.layout, record.values) for record in (header, *data)),
        _trailer(build.kind, count, total),
        render(END, {"record_type": RecordType.END}),
    ]
    return BuildResult(
        data=b"".join(record + build.separator.bytes for record in records),
        warnings=build.warnings,
        truncations=build.truncations,
        record_count=count,
        total_amount=total,
    )


def _kind(value: Any) -> FileKind:
    try:
        return FileKind(str(value))
    except ValueError:
        raise InvalidKind() from None


def _separator(value: Any) -> Separator:
    if str(value) not in (Separator.CRLF, Separator.NONE):
        raise InvalidSeparator()
    return Separator(str(value))


def _header(spec: ZenginFile, build: _Build) -> _Record:
    header = _Record(header_layout(build.kind), 1, where(RecordType.HEADER, 1), build)
    header.values |= {"record_type": RecordType.HEADER, "kind": build.kind, "code_division": "0"}  # 0: JIS/SJIS
    header.put("requester_code", values.digits, spec.requester.code, pad=True)
    header.put_text("requester_name", spec.requester.name, required=True, may_truncate=True)
    header.put("date", values.mmdd, spec.date)
    _bank_fields(header, spec.bank.code, spec.bank.name, spec.bank.branch_code, spec.bank.branch_name)
    _requester_account(header, spec.bank, build.kind)
    return header


def _requester_account(header: _Record, bank: RequesterBank, kind: FileKind) -> None:
    """The town's own account: required for transfers; for 91 both parts or neither, since some banks' 91
    header has ダミー at 96-120 (docs/domain/zengin.md, "Header (all kinds)")."""
    if kind.is_debit and bank.account_type is None and bank.account_number is None:
        header.values |= {"account_type": " ", "account_number": " " * 7}
        return
    if bank.account_type is None:
        header.fail(FieldRequired, "account_type")
    else:
        header.put("account_type", values.account_type, bank.account_type)
    if bank.account_number is None:
        header.fail(FieldRequired, "account_number")
    else:
        header.put("account_number", values.digits, bank.account_number, pad=True)


def _bank_fields(record: _Record, code: str, name: str, branch_code: str, branch_name: str) -> None:
    """Bank and branch: codes checked for form and against the master (a warning only); names as given."""
    record.put("bank_code", values.digits, code)
    record.put_text("bank_name", name, may_truncate=True)
    record.put("branch_code", values.digits, branch_code)
    record.put_text("branch_name", branch_name, may_truncate=True)
    bank_code = record.values.get("bank_code")
    if bank_code is not None:
        for name, warning, params in master.unknown_codes(bank_code, record.values.get("branch_code")):
            record.warn(warning, name, **params)


def _data(spec: ZenginRecord, index: int, build: _Build) -> _Record:
    number = index + 1
    record = _Record(data_layout(build.kind), number, where(RecordType.DATA, number, index), build)
    record.values["record_type"] = RecordType.DATA
    _bank_fields(record, spec.bank_code, spec.bank_name, spec.branch_code, spec.branch_name)
    record.put("account_type", values.account_type, spec.account_type)
    record.put("account_number", values.digits, spec.account_number, pad=True)
    record.put_text("name", spec.name, required=True, may_truncate=True)
    record.put("amount", values.amount, spec.amount)
    record.put("new_code", values.code, spec.new_code, values.NEW_CODES)
    for name, (label, kinds) in KIND_ONLY_FIELDS.items():
        if getattr(spec, name) is not None and build.kind not in kinds:
            record.fail(FieldNotInKind, name, label, kind=build.kind.value, kind_label=build.kind.label)
    if build.kind is FileKind.TRANSFER:
        _transfer_tail(record, spec)
    elif build.kind.is_debit:
        record.put_text("customer_code", spec.customer_code or "")
        record.values["result_code"] = "0"  # set by the bank in its result file
    else:
        # 社員番号 and 所属コード: not part of the input, written as zeros (docs/domain/zengin.md,
        # "Data record, 給与振込 / 賞与振込").
        record.values |= {"employee_number": "0" * 10, "department_code": "0" * 10}
    return record


def _transfer_tail(record: _Record, spec: ZenginRecord) -> None:
    """総合振込 bytes 92-113: customer codes or EDI情報 (識別表示 Y), and 振込指定区分."""
    if spec.edi:
        if spec.customer_code:
            record.fail(EdiWithCustomerCode, "customer_code", "EDI情報")
        record.put_text("customer_code", spec.edi)
        record.values["edi_flag"] = "Y"
    else:
        record.put_text("customer_code", spec.customer_code or "")
    transfer_kind = DEFAULT_TRANSFER_KIND if spec.transfer_kind is None else spec.transfer_kind
    record.put("transfer_kind", values.code, transfer_kind, values.TRANSFER_KINDS)


def _trailer(kind: FileKind, count: int, total: int) -> bytes:
    trailer = {"record_type": RecordType.TRAILER, "total_count": f"{count:06d}", "total_amount": f"{total:012d}"}
    if kind.is_debit:
        # A request carries no results: the bank fills 振替済 / 振替不能 in its result file.
        trailer |= {"succeeded_count": "0" * 6, "succeeded_amount": "0" * 12}
        trailer |= {"failed_count": "0" * 6, "failed_amount": "0" * 12}
    return render(trailer_layout(kind), trailer)
