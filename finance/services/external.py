"""Postings from other modules (payroll's 給与支払): 支出負担行為 and 支出命令 in one step, waiting for the
会計管理者's 審査.

Salaries are committed and ordered together (支出負担行為兼支出命令: the amount is fixed by the pay run, there is
nothing to inspect), so the 審査 by the 会計管理者 is the independent check (docs/domain/finance.md §5.4). The
hard stop applies exactly as for a clerk's commitment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Q

from common import audit
from common.serials import next_yearly_serial
from finance import rules
from finance.errors import FinanceError
from finance.models import (
    BudgetLine,
    Commitment,
    CommitmentKind,
    CommitmentStatus,
    OrderCounter,
    OrderStatus,
    PaymentMethod,
    PaymentOrder,
)
from finance.services.common import actor_name, find_line, lock_lines
from finance.services.expenditure import _commit_locked
from tenants.models import Person


@dataclass(frozen=True)
class ExternalLine:
    budget_code: str  # the 目 as "款-項-目" codes, e.g. "02-01-01"
    setsu: str  # the 節 as its 2-digit number, e.g. "02" 給料
    amount: int  # yen, > 0
    description: str


def _resolve(year: int, lines: Sequence[ExternalLine]) -> list[tuple[BudgetLine, int, str]]:
    """Each line's 節 in the year, with its checked amount and description."""
    resolved = []
    for item in lines:
        amount = rules.require_amount(item.amount)
        line = find_line(year=year, budget_code=item.budget_code, setsu=item.setsu)
        resolved.append((line, amount, item.description))
    return resolved


def _commit_and_order(
    *,
    actor: Person,
    line: BudgetLine,
    amount: int,
    purpose: str,
    payee_name: str,
    pay_on: date,
    year: int,
    department_code: str,
    source_key: str,
) -> Commitment:
    """One line: its 支出負担行為 on the locked ``line`` and its 支出命令, awaiting the 会計管理者's 審査."""
    commitment = _commit_locked(
        actor=actor,
        line=line,
        amount=amount,
        purpose=purpose,
        committed_on=pay_on,
        payee_name=payee_name,
        vendor=None,
        kind=CommitmentKind.NORMAL,
        department_code=department_code,
        department_name="",
        source_key=source_key,
    )
    PaymentOrder.objects.create(
        number=f"P{year}-{next_yearly_serial(OrderCounter, year=year):06d}",
        commitment=commitment,
        amount=amount,
        pay_on=pay_on,
        method=PaymentMethod.EXTERNAL,
        status=OrderStatus.ORDERED,
        ordered_by_id=actor.pk,
        ordered_by_name=actor_name(actor),
    )
    commitment.status = CommitmentStatus.ORDERED
    commitment.save(update_fields=["status"])
    return commitment


def post_external_expenditure(
    *,
    actor: Person,
    source_key: str,
    purpose: str,
    payee_name: str,
    pay_on: date,
    lines: Sequence[ExternalLine],
    department_code: str = "",
) -> list[str]:
    """Create 支出負担行為 + 支出命令 (awaiting 会計管理者の審査) for each line, in the fiscal year of ``pay_on``;
    idempotent by ``source_key`` (a second call returns the same numbers and writes nothing); the hard stop
    applies (raises ``BudgetExceeded`` as for a clerk's commitment); returns the commitment numbers."""
    source_key = (source_key or "").strip()
    if not source_key or len(source_key) > 100:
        raise FinanceError("連携元キーを100文字以内で指定してください。", code="finance_source_key_invalid")
    if not lines:
        raise FinanceError("計上する明細がありません。", code="finance_no_lines")
    if not purpose.strip() or not payee_name.strip():
        raise FinanceError("件名と債権者名を指定してください。", code="finance_purpose_required")
    year = rules.fiscal_year_of(pay_on)
    with transaction.atomic():
        # Two calls with the same key wait for each other here; the second then finds the first one's numbers.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"finance-source:{source_key}"])
        existing = list(
            Commitment.objects.filter(Q(source_key=source_key) | Q(source_key__startswith=f"{source_key}#"))
            .order_by("number")
            .values_list("number", flat=True)
        )
        if existing:
            return existing
        resolved = _resolve(year, lines)
        # One 節 at a time, all locked in pk order first: two pay runs never deadlock on each other.
        locked = lock_lines([line for line, _, _ in resolved])
        numbers = []
        for index, (line, amount, description) in enumerate(resolved):
            commitment = _commit_and_order(
                actor=actor,
                line=locked[line.pk],
                amount=amount,
                purpose=f"{purpose.strip()} {description}".strip()[:200],
                payee_name=payee_name.strip(),
                pay_on=pay_on,
                year=year,
                department_code=department_code,
                # The key is unique; the lines of one run are told apart by their position.
                source_key=source_key if index == 0 else f"{source_key}#{index}",
            )
            numbers.append(commitment.number)
        audit.record(
            actor=actor,
            action="finance.external_post",
            obj=("finance.commitment", source_key, purpose[:100]),
            details={"source_key": source_key, "commitments": numbers, "total": sum(a for _, a, _ in resolved)},
        )
    return numbers
