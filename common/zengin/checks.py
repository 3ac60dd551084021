"""The value checks of a parsed 全銀 file: header and data values, trailer totals, and 口座振替 results.

The value rules are those of the builder (common.zengin.values); a finding is handed to `report`, which places it
at its record and bytes. Rules: docs/domain/zengin.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from common.zengin import master, values
from common.zengin.errors import (
    CodeDivisionUnsupported,
    InvalidDigits,
    TotalMismatch,
    UnknownResultCode,
    ZenginFieldError,
)
from common.zengin.layouts import Field, FileKind, RecordType, data_layout, field_of, header_layout, trailer_layout
from common.zengin.records import where
from common.zengin.types import RESULT_CODES, DebitResult, ParsedFile, ParsedRecord, ResultTotals

Report = Callable[[ZenginFieldError, ParsedRecord | None, Field | None, int | None], None]
EDI_FLAGS = {"Y": "EDI情報あり", "": "空白（なし）"}
REQUEST_RESULT_CODES = {"0": "依頼時の値", "": "空白"}


def _check(
    record: ParsedRecord, layout: tuple[Field, ...], at: str, report: Report, name: str, rule: Any, *args: Any
) -> None:
    """Run one value rule on a field that was read (a field already reported as malformed is None)."""
    value = record.fields.get(name)
    if value is None:
        return
    field = field_of(layout, name)
    try:
        rule(value, *args, where=at, field=field)
    except ZenginFieldError as error:
        report(error, record, field, None)


def _master(record: ParsedRecord, layout: tuple[Field, ...], at: str, report: Report) -> None:
    bank_code = record.fields.get("bank_code")
    if isinstance(bank_code, str):
        branch_code = record.fields.get("branch_code")
        for name, warning, params in master.unknown_codes(
            bank_code, branch_code if isinstance(branch_code, str) else None
        ):
            field = field_of(layout, name)
            report(warning(where=at, field=field.label, field_name=name, **params), record, field, None)


def check_header(header: ParsedRecord, kind: FileKind, report: Report) -> None:
    layout, at = header_layout(kind), where(RecordType.HEADER, header.number)
    code_division = header.fields.get("code_division")
    if code_division is not None and code_division != "0":
        _flag(CodeDivisionUnsupported, header, layout, at, report, name="code_division", value=code_division)
    _check(header, layout, at, report, "date", values.check_mmdd)
    _check(header, layout, at, report, "account_type", values.check_account_type)
    _master(header, layout, at, report)


def check_data(parsed: ParsedFile, report: Report) -> None:
    if parsed.kind is None:
        return  # no readable header: the data cannot be interpreted
    layout = data_layout(parsed.kind)
    for index, record in enumerate(parsed.records, start=1):
        if not record.fields:
            continue
        at = where(RecordType.DATA, record.number, index)
        _check(record, layout, at, report, "account_type", values.check_account_type)
        _check(record, layout, at, report, "amount", values.check_amount)
        _check(record, layout, at, report, "new_code", values.check_choice, values.NEW_CODES)
        _master(record, layout, at, report)
        if parsed.kind is FileKind.TRANSFER:
            _check_transfer_tail(record, layout, at, report)
        elif parsed.kind.is_debit:
            _check_result_code(record, layout, at, report, is_result=parsed.is_result)


def _flag(
    error: type[ZenginFieldError],
    record: ParsedRecord,
    layout: tuple[Field, ...],
    at: str,
    report: Report,
    **params: Any,
) -> None:
    """Report a finding of one of the record's fields (the field is the one named by `name`)."""
    field = field_of(layout, params.pop("name"))
    report(error(where=at, field=field.label, field_name=field.name, **params), record, field, None)


def _check_transfer_tail(record: ParsedRecord, layout: tuple[Field, ...], at: str, report: Report) -> None:
    _check(record, layout, at, report, "transfer_kind", values.check_choice, values.TRANSFER_KINDS)
    _check(record, layout, at, report, "edi_flag", values.check_choice, EDI_FLAGS)
    clearing_house = str(record.fields.get("clearing_house") or "")
    if clearing_house and not (len(clearing_house) == 4 and clearing_house.isdigit()):
        _flag(
            InvalidDigits,
            record,
            layout,
            at,
            report,
            name="clearing_house",
            value=clearing_house,
            expected="空白か4桁の数字",
        )
    # 識別表示 Y: bytes 92-111 are the EDI情報, not the customer codes.
    if record.fields.get("edi_flag") == "Y":
        record.fields["edi"] = record.fields.pop("customer_code", None)


def _check_result_code(
    record: ParsedRecord, layout: tuple[Field, ...], at: str, report: Report, *, is_result: bool
) -> None:
    """A request holds 0 or a space; a result file one of the bank's codes. Unknown is never success."""
    code = record.fields.get("result_code")
    if code is None:
        return
    if not is_result:
        _check(record, layout, at, report, "result_code", values.check_choice, REQUEST_RESULT_CODES)
    elif code not in RESULT_CODES:
        _flag(
            UnknownResultCode,
            record,
            layout,
            at,
            report,
            name="result_code",
            value=code or "空白",
            allowed=values.allowed_text(RESULT_CODES),
        )


def check_totals(parsed: ParsedFile, report: Report) -> None:
    """The trailer against the data records: counts and sums computed here, the trailer's only compared."""
    if parsed.kind is None:
        return  # no readable header: the data cannot be interpreted
    amounts = [record.fields.get("amount") for record in parsed.records]
    parsed.record_count = len(parsed.records)
    parsed.total_amount = sum(amount for amount in amounts if isinstance(amount, int))
    complete = all(isinstance(amount, int) for amount in amounts)
    if parsed.is_result:
        parsed.results = _results(parsed)
        parsed.result_totals = _result_totals(parsed.results)
    trailer = parsed.trailer
    if trailer is None or not trailer.fields:
        return
    expected: dict[str, int | None] = {"total_count": parsed.record_count}
    expected["total_amount"] = parsed.total_amount if complete else None
    if parsed.kind.is_debit:
        totals = parsed.result_totals
        # A request has no results yet: its 振替済 / 振替不能 fields are zero (docs/domain/zengin.md).
        expected["succeeded_count"] = totals.succeeded_count if totals else 0
        expected["succeeded_amount"] = (totals.succeeded_amount if totals else 0) if complete else None
        expected["failed_count"] = totals.failed_count if totals else 0
        expected["failed_amount"] = (totals.failed_amount if totals else 0) if complete else None
    layout, at = trailer_layout(parsed.kind), where(RecordType.TRAILER, trailer.number)
    for name, computed in expected.items():
        stated = trailer.fields.get(name)
        if computed is None or stated is None or stated == computed:
            continue
        field = field_of(layout, name)
        unit = "件" if name.endswith("count") else "円"
        error = TotalMismatch(
            where=at, field=field.label, field_name=name, stated=f"{stated:,}{unit}", computed=f"{computed:,}{unit}"
        )
        report(error, trailer, field, None)


def _results(parsed: ParsedFile) -> list[DebitResult]:
    results = []
    for record in parsed.records:
        code = str(record.fields.get("result_code") or "")
        amount = record.fields.get("amount")
        results.append(
            DebitResult(
                record=record.number,
                customer_code=str(record.fields.get("customer_code") or ""),
                amount=amount if isinstance(amount, int) else 0,
                code=code,
                label=RESULT_CODES.get(code, "不明な結果コード"),
            )
        )
    return results


def _result_totals(results: list[DebitResult]) -> ResultTotals:
    """振替済 is code 0 only; every other record, an unknown code included, is 振替不能 (never success)."""
    succeeded = [result for result in results if result.succeeded]
    failed = [result for result in results if not result.succeeded]
    unknown = [result for result in results if result.code not in RESULT_CODES]
    return ResultTotals(
        succeeded_count=len(succeeded),
        succeeded_amount=sum(result.amount for result in succeeded),
        failed_count=len(failed),
        failed_amount=sum(result.amount for result in failed),
        unknown_count=len(unknown),
        unknown_amount=sum(result.amount for result in unknown),
        by_code=dict(sorted(Counter(result.code for result in results).items())),
    )
