"""Bank and branch codes against the 全銀協 master of the `zengin-code` package.

An unknown code is only a warning: banks merge and branches close faster than the package is released, so the
code is written as given and a person checks it (docs/domain/zengin.md, "Bank and branch codes").
"""

from __future__ import annotations

import functools
from typing import Any

from common.zengin.errors import UnknownBank, UnknownBranch, ZenginFieldError


@functools.cache
def _banks() -> dict[str, Any]:
    # Imported on first use: the package reads its whole master (about 1,100 banks) at import.
    from zengin_code import Bank

    return dict(Bank.all)


@functools.cache
def version() -> str:
    """The master's date, e.g. '20260824', named in warnings so a stale master is recognised."""
    import zengin_code

    return str(zengin_code.__version__).rsplit(".", 1)[-1]


def bank_exists(code: str) -> bool:
    return code in _banks()


def branch_exists(bank_code: str, branch_code: str) -> bool:
    bank = _banks().get(bank_code)
    return bank is not None and branch_code in bank.branches


def unknown_codes(bank_code: str, branch_code: str | None) -> list[tuple[str, type[ZenginFieldError], dict[str, str]]]:
    """The warnings for a bank and branch code pair: (field name, warning, its parameters)."""
    if not bank_exists(bank_code):
        return [("bank_code", UnknownBank, {"value": bank_code, "version": version()})]
    if branch_code is not None and not branch_exists(bank_code, branch_code):
        params = {"value": branch_code, "bank_code": bank_code, "version": version()}
        return [("branch_code", UnknownBranch, params)]
    return []
