"""Bank and branch codes against the 全銀協 master of the `zengin-code` package.

An unknown code is only a warning: banks merge and branches close faster than the package is released, so the
code is written as given and a person checks it (docs/domain/zengin.md, "Bank and branch codes").
"""

from __future__ import annotations

import functools
from typing import Any


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

