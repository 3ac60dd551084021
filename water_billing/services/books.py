"""Posting to the enterprise's books (docs/domain/water_billing.md §5) through common.ledger: one balanced
entry per business event, written inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import connection
from django.db.models import Max

from common.errors import ApplicationError
from common.ledger import append
from common.tenancy import current_schema
from water_billing.models import LedgerLine

CASH = "1110"
RECEIVABLE = "1210"
OUTPUT_TAX = "2110"
DEPOSITS = "2120"
WATER_REVENUE = "4110"
SEWER_REVENUE = "4120"
OTHER_REVENUE = "4190"
LATE_FEE_REVENUE = "4310"  # 営業外収益: 雑収益 (延滞金)
# 資本的収支 (4条, §5.2)
CONSTRUCTION = "1510"  # 建設仮勘定
BONDS = "2310"  # 企業債 (固定負債)
DEFERRED_SUBSIDY = "2410"  # 長期前受金 (繰延収益)
CAPITAL = "3110"  # 資本金


def check_open(day: date) -> None:
    """A posting dated in a closed accounting month is refused (setting ``water.closed_through``; §5, §6): the
    month closing in force now (a month closed today refuses a posting dated inside it)."""
    from common.dates import local_today
    from water_billing import settings_keys
    from water_billing.errors import PeriodClosed

    closed = settings_keys.closed_through(local_today())
    if closed is not None and day <= closed:
        raise PeriodClosed(details={"posted_on": day.isoformat(), "closed_through": closed.isoformat()})


class UnbalancedEntry(ApplicationError):
    code = "ledger_unbalanced"
    message = "仕訳の借方と貸方が一致しません。"


def post(
    *, posted_on: date, lines: Sequence[tuple[str, int, int]], memo: str, source_type: str, source_id: str
) -> list[LedgerLine]:
    """One entry: ``lines`` are (account, debit, credit); zero lines are dropped; debits must equal credits."""
    kept = [(code, debit, credit) for code, debit, credit in lines if debit or credit]
    if sum(d for _, d, _ in kept) != sum(c for _, _, c in kept):
        raise UnbalancedEntry(details={"lines": kept})
    if not kept:
        return []
    # Every posting goes through here: a transaction-scoped lock of our own makes "max + 1" the next entry
    # number until commit (common.ledger.append then chains the lines under its own lock).
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"kyodo-water-entry:{current_schema()}"])
    entry = (LedgerLine.objects.aggregate(m=Max("entry"))["m"] or 0) + 1
    return append(
        LedgerLine,
        [
            LedgerLine(
                entry=entry, posted_on=posted_on, account_code=code, debit=debit, credit=credit, memo=memo[:200],
                source_type=source_type, source_id=source_id,
            )
            for code, debit, credit in kept
        ],
    )  # fmt: skip
