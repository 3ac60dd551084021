"""What every operation of the OpenAPI schema shares, added in one place (drf-spectacular postprocessing hook).

- The error answers: every operation may answer 400 (a bad terminal header, invalid input), 401/403 (token, 2FA,
  role), 429 (throttle) and 503 (town suspended); one with path parameters or pages 404; one with ?format= 406.
  All in the one error format of common.rest.exception_handler: ``{"code", "message", "details"}``.
- CSV exports (``?format=csv``) are a text/csv body, not JSON.
- The ``X-Kyodo-Terminal`` header that every request may carry.

The schema's own description (SPECTACULAR_SETTINGS) and every operation's summary and description are in Japanese
and English (docs/security.md).

The schemathesis run (tests/test_api_fuzz.py) holds the schema to what the API really answers.
"""

from __future__ import annotations

import copy
from typing import Any

ERROR_SCHEMA_NAME = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "エラー応答 (すべてのエラーで同じ形式) / Error response, the same shape for every error.",
    "properties": {
        "code": {"type": "string", "description": "機械可読なエラーコード / Stable machine-readable code."},
        "message": {"type": "string", "description": "日本語のメッセージ / Message in Japanese."},
        "details": {"description": "項目ごとの詳細 / Details, e.g. the invalid fields."},
    },
    "required": ["code", "message", "details"],
}
TERMINAL_HEADER: dict[str, Any] = {
    "in": "header",
    "name": "X-Kyodo-Terminal",
    "required": False,
    "schema": {"type": "string", "maxLength": 100},
    "description": (
        "窓口端末の名前 (監査ログに記録、UTF-8、100文字以内、制御文字不可) / "
        "Name of the counter terminal, recorded in the audit trail (UTF-8, at most 100 characters, no control "
        "characters)."
    ),
}
ERROR_DESCRIPTIONS = {
    "400": "入力内容の誤り / Invalid request.",
    "401": "認証が必要 / Authentication required or failed.",
    "403": "権限がない、または2要素認証が未完了 / Not allowed here, or two-factor verification missing.",
    "404": "対象が見つからない / Not found (also: not yours).",
    "406": "指定の形式 (format) に対応していない / The requested format is not available.",
    "429": "リクエストが多すぎる / Too many requests.",
    "503": "この自治体のシステムは停止中 / The town is suspended or withdrawn.",
}


def add_common_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS entry: the terminal header, error answers, CSV bodies."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    error_content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            parameters = operation.setdefault("parameters", [])
            # Read by common.middleware for every request, refused there when it is not printable text.
            parameters.append(copy.deepcopy(TERMINAL_HEADER))
            # Every request may be refused: the terminal header (400), the token, 2FA or role (401, 403), the
            # throttle (429), a suspended town (503).
            codes = ["400", "401", "403", "429", "503"]
            # A path parameter names an object; a page number past the last page is DRF's 404 as well.
            if any(p.get("in") == "path" or (p.get("in"), p.get("name")) == ("query", "page") for p in parameters):
                codes.append("404")
            if any((p.get("in"), p.get("name")) == ("query", "format") for p in parameters):
                codes.append("406")
            for code in sorted(codes):
                responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code], "content": error_content})
            for response in responses.values():
                csv = response.get("content", {}).get("text/csv")
                if csv is not None:
                    csv["schema"] = {"type": "string", "description": "CSV (UTF-8, BOM 付き) / CSV, UTF-8 with BOM."}
    return result
