"""The JSON form of the API: a build spec into ZenginFile, and a parsed file back into JSON or a ZenginFile.

The spec's keys are documented in docs/zengin.md; an unknown key, a missing one or a value of the wrong JSON type
is refused, all of them at once, before anything is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from common.zengin.errors import InvalidKind, InvalidSeparator, SpecInvalid, ZenginError
from common.zengin.layouts import FileKind
from common.zengin.types import (
    BuildResult,
    ParsedFile,
    ParsedRecord,
    Problem,
    Requester,
    RequesterBank,
    Separator,
    ZenginFile,
    ZenginRecord,
)

# key -> (required, JSON type)
_TOP: dict[str, tuple[bool, type]] = {
    "kind": (True, str),
    "requester": (True, dict),
    "date": (True, str),
    "bank": (True, dict),
    "records": (True, list),
    "separator": (False, str),
    "truncate": (False, bool),
}
_REQUESTER: dict[str, tuple[bool, type]] = {"code": (True, str), "name": (True, str)}
_BANK: dict[str, tuple[bool, type]] = {
    "code": (True, str),
    "name": (False, str),
    "branch_code": (True, str),
    "branch_name": (False, str),
    "account_type": (False, str),
    "account_number": (False, str),
}
_RECORD: dict[str, tuple[bool, type]] = {
    "bank_code": (True, str),
    "bank_name": (False, str),
    "branch_code": (True, str),
    "branch_name": (False, str),
    "account_type": (True, str),
    "account_number": (True, str),
    "name": (True, str),
    "amount": (True, int),
    "new_code": (False, str),
    "customer_code": (False, str),
    "transfer_kind": (False, str),
    "edi": (False, str),
}
_TYPE_NAMES = {str: "文字列", int: "整数", bool: "真偽値（true / false）", dict: "オブジェクト", list: "配列"}


def _check_object(value: Any, keys: Mapping[str, tuple[bool, type]], path: str, problems: list[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        problems.append(f"{path}: オブジェクト（{{...}}）で指定してください。")
        return {}
    for key in value:
        if key not in keys:
            problems.append(f"{path}: 不明な項目「{key}」です（使える項目: {', '.join(keys)}）。")
    for key, (required, json_type) in keys.items():
        if key not in value:
            if required:
                problems.append(f"{path}: 項目「{key}」が必要です。")
            continue
        item = value[key]
        # bool is an int in Python; an amount of true is not an amount.
        if not isinstance(item, json_type) or (json_type is int and isinstance(item, bool)):
            problems.append(f"{path}.{key}: {_TYPE_NAMES[json_type]}で指定してください。")
    return value


def spec_from_json(document: Any) -> ZenginFile:
    """A ZenginFile from the decoded JSON spec. Raises SpecInvalid, InvalidKind or InvalidSeparator."""
    problems: list[str] = []
    top = _check_object(document, _TOP, "$", problems)
    requester = _check_object(top.get("requester"), _REQUESTER, "$.requester", problems) if top else {}
    bank = _check_object(top.get("bank"), _BANK, "$.bank", problems) if top else {}
    records = top.get("records")
    records = records if isinstance(records, list) else []
    items = [_check_object(item, _RECORD, f"$.records[{index}]", problems) for index, item in enumerate(records)]
    if problems:
        raise SpecInvalid(
            "全銀ファイルの指定（JSON）に誤りがあります。\n" + "\n".join(problems), details={"errors": problems}
        )
    try:
        kind = FileKind(top["kind"])
    except ValueError:
        raise InvalidKind() from None
    separator = top.get("separator", Separator.CRLF.value)
    if separator not in (Separator.CRLF, Separator.NONE):
        raise InvalidSeparator()
    return ZenginFile(
        kind=kind,
        requester=Requester(**requester),
        date=top["date"],
        bank=RequesterBank(**bank),
        records=[ZenginRecord(**item) for item in items],
        separator=Separator(separator),
        truncate=top.get("truncate", False),
    )


def spec_from_parsed(parsed: ParsedFile) -> ZenginFile:
    """The ZenginFile a parsed file was built from (names as the file spells them). Raises ZenginError when the
    file has no readable header."""
    header = parsed.header.fields if parsed.header else {}
    if parsed.kind is None or not header:
        raise ZenginError("ヘッダーレコードを読めないため、ファイルの内容を取り出せません。", code="zengin_no_header")
    return ZenginFile(
        kind=parsed.kind,
        requester=Requester(code=_s(header["requester_code"]), name=_s(header["requester_name"])),
        date=_s(header["date"]),
        bank=RequesterBank(
            code=_s(header["bank_code"]),
            name=_s(header["bank_name"]),
            branch_code=_s(header["branch_code"]),
            branch_name=_s(header["branch_name"]),
            account_type=_optional(header.get("account_type")),
            account_number=_optional(header.get("account_number")),
        ),
        records=[_record_spec(record, parsed.kind) for record in parsed.records],
        separator=parsed.separator,
    )


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)


def _record_spec(record: ParsedRecord, kind: FileKind) -> ZenginRecord:
    fields = record.fields
    amount = fields.get("amount")
    return ZenginRecord(
        bank_code=_s(fields.get("bank_code")),
        bank_name=_s(fields.get("bank_name")),
        branch_code=_s(fields.get("branch_code")),
        branch_name=_s(fields.get("branch_name")),
        account_type=_s(fields.get("account_type")),
        account_number=_s(fields.get("account_number")),
        name=_s(fields.get("name")),
        amount=amount if isinstance(amount, int) else 0,
        new_code=_s(fields.get("new_code")),
        customer_code=_optional(fields.get("customer_code")) if kind in (FileKind.TRANSFER, FileKind.DEBIT) else None,
        transfer_kind=_optional(fields.get("transfer_kind")) if kind is FileKind.TRANSFER else None,
        edi=_optional(fields.get("edi")) if kind is FileKind.TRANSFER else None,
    )


def _problem_json(problem: Problem) -> dict[str, Any]:
    return asdict(problem)


def _record_json(record: ParsedRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    fields = {name: value for name, value in record.fields.items() if name != "record_type"}
    return {"record": record.number, **fields}


def parsed_to_json(parsed: ParsedFile) -> dict[str, Any]:
    """What `manage.py zengin parse` prints (docs/zengin.md, "parse")."""
    records = [_record_json(record) or {} for record in parsed.records]
    for item, result in zip(records, parsed.results, strict=False):  # results: only in a result file
        item |= {"result_label": result.label, "succeeded": result.succeeded}
    return {
        "kind": parsed.kind.value if parsed.kind else None,
        "kind_label": parsed.kind.label if parsed.kind else None,
        "result_file": parsed.is_result,
        "separator": parsed.separator.value,
        "ok": parsed.ok,
        "header": _record_json(parsed.header),
        "records": records,
        "trailer": _record_json(parsed.trailer),
        "totals": {"count": parsed.record_count, "amount": parsed.total_amount},
        "result_totals": asdict(parsed.result_totals) if parsed.result_totals else None,
        "problems": [_problem_json(problem) for problem in parsed.problems],
    }


def build_summary_json(result: BuildResult) -> dict[str, Any]:
    """Counts, totals, truncations and warnings of a build, for the command's stderr and callers' logs."""
    return {
        "count": result.record_count,
        "amount": result.total_amount,
        "bytes": len(result.data),
        "truncations": [asdict(truncation) for truncation in result.truncations],
        "warnings": [_problem_json(problem) for problem in result.warnings],
    }
