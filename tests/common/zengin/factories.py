"""Specs for the zengin tests: the town's header data and payees as callers would hand them in."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from common.zengin import FileKind, Requester, RequesterBank, Separator, ZenginFile, ZenginRecord

TOWN = Requester(code="1234567890", name="ﾅｶﾄｻﾁﾖｳ")
TOWN_BANK = RequesterBank(
    code="0175", name="ｼｺｸ", branch_code="232", branch_name="ｸﾎﾞｶﾜ", account_type="1", account_number="0123456"
)


def payee(**overrides: Any) -> ZenginRecord:
    fields: dict[str, Any] = {
        "bank_code": "0578",
        "bank_name": "ｺｳﾁ",
        "branch_code": "032",
        "branch_name": "ｽｻｷ",
        "account_type": "1",
        "account_number": "1234567",
        "name": "ﾔﾏﾀﾞ ﾀﾛｳ",
        "amount": 10_000,
    }
    return ZenginRecord(**(fields | overrides))


def zengin_file(
    kind: FileKind = FileKind.TRANSFER, records: list[ZenginRecord] | None = None, **overrides: Any
) -> ZenginFile:
    spec = ZenginFile(
        kind=kind,
        requester=TOWN,
        date="0410",
        bank=TOWN_BANK,
        records=records if records is not None else [payee()],
        separator=Separator.CRLF,
    )
    return replace(spec, **overrides)
