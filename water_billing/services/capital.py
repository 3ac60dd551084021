"""資本的収支 (4条; docs/domain/water_billing.md §5.2): the enterprise's capital income (企業債, 国庫補助金,
他会計出資金) and expenditure (建設改良費, 企業債償還金), each posted to the books when recorded, and the 補填財源
of the year's shortfall. Append-only: a correction is a new entry."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from common import audit
from common.errors import ValidationFailed
from water_billing.models import CapitalEntry, CapitalFunding, CapitalItem, FundingSource
from water_billing.services import books

# Each item's entry (§5.2): (debit account, credit account).
POSTINGS: dict[str, tuple[str, str]] = {
    CapitalItem.BOND: (books.CASH, books.BONDS),  # 企業債の借入: Dr 現金預金 / Cr 企業債
    CapitalItem.SUBSIDY: (books.CASH, books.DEFERRED_SUBSIDY),  # 国庫補助金: Dr 現金預金 / Cr 長期前受金
    CapitalItem.CONTRIBUTION: (books.CASH, books.CAPITAL),  # 他会計出資金: Dr 現金預金 / Cr 資本金
    CapitalItem.CONSTRUCTION: (books.CONSTRUCTION, books.CASH),  # 建設改良費: Dr 建設仮勘定 / Cr 現金預金
    CapitalItem.REDEMPTION: (books.BONDS, books.CASH),  # 企業債償還金: Dr 企業債 / Cr 現金預金
}


def fiscal_year_of(day: date) -> int:
    """事業年度 (地方公営企業法 第19条): 1 April to 31 March, named by the year it starts."""
    return day.year if day.month >= 4 else day.year - 1


def _name(actor: Any) -> str:
    return str(getattr(actor, "full_name", "") or "")[:100]


def record_capital_entry(*, actor: Any, item: str, posted_on: date, amount: int, memo: str = "") -> CapitalEntry:
    """One 資本的収入 or 資本的支出: a positive amount of a known item in an open month, posted as one entry."""
    if item not in POSTINGS:
        raise ValidationFailed("資本的収支の科目が正しくありません。", code="capital_item_invalid")
    if amount <= 0:
        raise ValidationFailed("金額は1円以上で入力してください。", code="capital_amount_invalid")
    books.check_open(posted_on)
    with transaction.atomic():
        entry = CapitalEntry.objects.create(
            fiscal_year=fiscal_year_of(posted_on), item=item, posted_on=posted_on, amount=amount,
            memo=memo.strip()[:200], recorded_by_id=getattr(actor, "pk", None), recorded_by_name=_name(actor),
        )  # fmt: skip
        debit, credit = POSTINGS[item]
        books.post(
            posted_on=posted_on, lines=[(debit, amount, 0), (credit, 0, amount)],
            memo=f"{CapitalItem(item).label} {entry.memo}".strip(), source_type="water.capital",
            source_id=str(entry.public_id),
        )  # fmt: skip
        audit.record(
            actor=actor, action="water.capital.record", obj=("water_billing.CapitalEntry", str(entry.public_id),
                                                              CapitalItem(item).label),
            details={"item": item, "amount": amount, "posted_on": posted_on.isoformat()},
        )  # fmt: skip
    return entry


def record_funding(*, actor: Any, fiscal_year: int, source: str, amount: int, note: str = "") -> CapitalFunding:
    """補填財源 (§5.2): how the year's 資本的収支の不足額 is covered; noted, not posted (the sources are internal
    reserves — 損益勘定留保資金 and the like — already in the books)."""
    if source not in FundingSource.values:
        raise ValidationFailed("補填財源の種類が正しくありません。", code="funding_source_invalid")
    if amount <= 0:
        raise ValidationFailed("金額は1円以上で入力してください。", code="funding_amount_invalid")
    with transaction.atomic():
        funding = CapitalFunding.objects.create(
            fiscal_year=fiscal_year, source=source, amount=amount, note=note.strip()[:200],
            recorded_by_id=getattr(actor, "pk", None), recorded_by_name=_name(actor),
        )  # fmt: skip
        audit.record(
            actor=actor, action="water.capital.funding", obj=funding,
            details={"year": fiscal_year, "source": source, "amount": amount},
        )  # fmt: skip
    return funding
