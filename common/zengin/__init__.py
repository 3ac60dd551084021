"""全銀協 fixed-length bank files: build 総合振込 (21), 給与振込 (11), 賞与振込 (12) and 口座振替 (91) request files,
and parse and check any of them and the bank's 口座振替 result file.

The one place that knows these layouts: finance, payroll and water_billing call this API and never write the
bytes themselves. Layouts, character set and codes: docs/domain/zengin.md; API, command and JSON spec:
docs/zengin.md. This package imports no Kyodo app (only common.errors, jaconv and zengin-code).

    result = build_file(ZenginFile(kind=FileKind.TRANSFER, requester=..., date="0410", bank=..., records=[...]))
    result.data             # bytes, cp932, 120 bytes a record plus CRLF
    parsed = parse_file(result.data)
    parsed.problems         # [] when the file is correct
"""

from common.zengin.build import build_file
from common.zengin.errors import DataRejected, ZenginError, ZenginFieldError
from common.zengin.layouts import FileKind, RecordType
from common.zengin.parse import parse_file
from common.zengin.spec import build_summary_json, parsed_to_json, spec_from_json, spec_from_parsed
from common.zengin.types import (
    RESULT_CODES,
    BuildResult,
    DebitResult,
    ParsedFile,
    ParsedRecord,
    Problem,
    Requester,
    RequesterBank,
    ResultTotals,
    Separator,
    Truncation,
    ZenginFile,
    ZenginRecord,
)

__all__ = [
    "RESULT_CODES",
    "BuildResult",
    "DataRejected",
    "DebitResult",
    "FileKind",
    "ParsedFile",
    "ParsedRecord",
    "Problem",
    "RecordType",
    "Requester",
    "RequesterBank",
    "ResultTotals",
    "Separator",
    "Truncation",
    "ZenginError",
    "ZenginFieldError",
    "ZenginFile",
    "ZenginRecord",
    "build_file",
    "build_summary_json",
    "parse_file",
    "parsed_to_json",
    "spec_from_json",
    "spec_from_parsed",
]
