"""資本的収支 (4条) against the 4条 budget, and its 補填財源 (docs/domain/water_billing.md §5.2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from water_billing.models import BudgetArticle, BudgetLine, CapitalEntry, CapitalFunding, CapitalItem, FundingSource


@dataclass(frozen=True)
class CapitalRow:
    item: str
    name: str
    budget: int
    actual: int

    @property
    def remaining(self) -> int:
        return self.budget - self.actual


@dataclass(frozen=True)
class CapitalStatement:
    fiscal_year: int
    income: list[CapitalRow]
    expenditure: list[CapitalRow]
    funding: list[tuple[str, int]]

    @property
    def income_total(self) -> int:
        return sum(r.actual for r in self.income)

    @property
    def expenditure_total(self) -> int:
        return sum(r.actual for r in self.expenditure)

    @property
    def shortfall(self) -> int:
        """資本的収入額が資本的支出額に不足する額 (0 when income covers expenditure)."""
        return max(self.expenditure_total - self.income_total, 0)

    @property
    def funding_total(self) -> int:
        return sum(amount for _, amount in self.funding)

    @property
    def uncovered(self) -> int:
        return max(self.shortfall - self.funding_total, 0)


def capital_actuals(*, fiscal_year: int, end: date | None = None) -> dict[str, int]:
    entries = CapitalEntry.objects.filter(fiscal_year=fiscal_year)
    if end is not None:
        entries = entries.filter(posted_on__lte=end)
    return {row["item"]: int(row["s"] or 0) for row in entries.values("item").annotate(s=Sum("amount"))}


def capital_statement(*, fiscal_year: int, end: date | None = None) -> CapitalStatement:
    """Each 4条 item: its budget in force (latest revision) and the entries of the year to ``end``."""
    actual = capital_actuals(fiscal_year=fiscal_year, end=end)
    budget: dict[str, int] = {}
    lines = BudgetLine.objects.filter(fiscal_year=fiscal_year, article=BudgetArticle.CAPITAL).order_by("revision")
    for line in lines:
        budget[line.account_code] = line.amount
    rows = [
        CapitalRow(item.value, item.label, budget.get(item.value, 0), actual.get(item.value, 0)) for item in CapitalItem
    ]
    sums = dict(
        CapitalFunding.objects.filter(fiscal_year=fiscal_year).values("source").annotate(s=Sum("amount"))
        .values_list("source", "s")
    )  # fmt: skip
    funding = [(source.label, int(sums[source.value])) for source in FundingSource if sums.get(source.value)]
    return CapitalStatement(
        fiscal_year=fiscal_year,
        income=[r for r in rows if r.item.startswith("K1")],
        expenditure=[r for r in rows if r.item.startswith("K2")],
        funding=funding,
    )


def capital_entries(*, fiscal_year: int) -> list[CapitalEntry]:
    return list(CapitalEntry.objects.filter(fiscal_year=fiscal_year).order_by("posted_on", "pk")[:500])
