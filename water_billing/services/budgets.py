"""The enterprise's 3条 (収益的) and 4条 (資本的) budgets (docs/domain/water_billing.md §5): a line per fiscal
year and account; a 補正 adds a revision, never edits one."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from common import audit
from common.errors import ValidationFailed
from water_billing.models import BudgetArticle, BudgetLine


def record_budget_line(
    *, actor: Any, fiscal_year: int, article: str, account_code: str, name: str, amount: int
) -> BudgetLine:
    if article not in BudgetArticle.values or amount < 0 or not account_code.strip():
        raise ValidationFailed("予算の区分・科目・金額を正しく入力してください。", code="budget_invalid")
    with transaction.atomic():
        last = (
            BudgetLine.objects.select_for_update()
            .filter(fiscal_year=fiscal_year, article=article, account_code=account_code)
            .aggregate(m=Max("revision"))["m"]
        )
        line = BudgetLine.objects.create(
            fiscal_year=fiscal_year, article=article, account_code=account_code.strip(), name=name.strip()[:50],
            revision=0 if last is None else last + 1, amount=amount, recorded_by_id=getattr(actor, "pk", None),
            recorded_by_name=str(getattr(actor, "full_name", "") or "")[:100],
        )  # fmt: skip
        audit.record(
            actor=actor,
            action="water.budget.record",
            obj=line,
            details={"year": fiscal_year, "article": article, "account": account_code, "amount": amount,
                     "revision": line.revision},
        )  # fmt: skip
    return line
