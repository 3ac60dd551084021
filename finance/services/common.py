"""What every finance service shares: the actor's duties, the year's state, the journal and the hard stop."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, Sum

from common.ledger import append
from common.tenancy import current_schema
from finance import rules
from finance.errors import (
    BudgetExceeded,
    BudgetLineNotFound,
    FiscalYearClosed,
    FiscalYearNotFound,
    OutsideFiscalPeriod,
    RoleRequired,
    SelfApproval,
)
from finance.models import (
    BUDGET_KINDS,
    Account,
    AccountKind,
    BudgetLine,
    EntryKind,
    FiscalYear,
    JournalLine,
    Side,
)
from tenants.access import active_roles
from tenants.models import Municipality, Person, Role

GENERAL_ACCOUNT = "01"


def actor_name(actor: Any) -> str:
    return str(getattr(actor, "full_name", "") or getattr(actor, "username", ""))


def require_role(actor: Person, *roles: str, doing: str) -> None:
    """Duties come from the actor's memberships in this town (docs/domain/finance.md §5)."""
    town = Municipality.objects.get(schema_name=current_schema())
    if not set(roles) & set(active_roles(actor, town)):
        labels = "・".join(str(Role(role).label) for role in roles)
        raise RoleRequired(f"{doing}には「{labels}」の役割が必要です。", details={"roles": list(roles)})


def require_other_person(actor: Person, earlier: Iterable[tuple[int | None, str]], *, doing: str) -> None:
    """No self-approval: the person of a step may not have done an earlier step of the same 伝票."""
    for person_id, step in earlier:
        if person_id is not None and person_id == actor.pk:
            raise SelfApproval(
                f"{step}を行った職員は、同じ伝票の{doing}を行えません(職務の分離)。",
                details={"step": step},
            )


def account(code: str = GENERAL_ACCOUNT) -> Account:
    found = Account.objects.filter(code=code).first()
    if found is None:
        raise FiscalYearNotFound(f"会計コード {code} の会計がありません。")
    return found


def ensure_general_account() -> Account:
    found, _ = Account.objects.get_or_create(
        code=GENERAL_ACCOUNT, defaults={"name": "一般会計", "kind": AccountKind.GENERAL}
    )
    return found


def fiscal_year(year: int, *, account_code: str = GENERAL_ACCOUNT, lock: bool = False) -> FiscalYear:
    rows = FiscalYear.objects.select_related("account").filter(account__code=account_code, year=year)
    if lock:
        rows = rows.select_for_update(of=("self",))
    found = rows.first()
    if found is None:
        raise FiscalYearNotFound(f"{rules.wareki_year(year)}の予算がまだ登録されていません。")
    return found


def require_open(year: FiscalYear) -> None:
    if year.is_closed:
        raise FiscalYearClosed(
            f"{rules.wareki_year(year.year)}({year.account.name})は決算済みのため、登録・変更・取消はできません。"
        )


def require_in_year(year: FiscalYear, day: date, *, what: str) -> None:
    """Commitments and 調定 belong to the year of their date (地方自治法施行令 第143条)."""
    if not rules.in_year(year.year, day):
        raise OutsideFiscalPeriod(
            f"{what}の日付 {day:%Y-%m-%d} は{rules.wareki_year(year.year)}"
            f"({rules.year_start(year.year):%Y-%m-%d}〜{rules.year_end(year.year):%Y-%m-%d})の期間外です。"
        )


def require_in_closing_period(year: FiscalYear, day: date, *, what: str) -> None:
    """Payments and receipts of a year's own commitments and 調定 run until 31 May (地方自治法 第235条の5)."""
    if not rules.in_year_or_closing_period(year.year, day):
        raise OutsideFiscalPeriod(
            f"{what}の日付 {day:%Y-%m-%d} は{rules.wareki_year(year.year)}の出納整理期間"
            f"({rules.closing_period_end(year.year):%Y-%m-%d}まで)を過ぎているか、年度開始前です。"
        )


def find_line(
    *,
    year: int,
    budget_code: str,
    setsu: str,
    saisetsu: str = "",
    side: str = Side.EXPENDITURE,
    account_code: str = GENERAL_ACCOUNT,
) -> BudgetLine:
    parts = rules.parse_budget_code(budget_code)
    if len(parts) != 3:
        raise BudgetLineNotFound(f"科目は目まで(款-項-目)で指定してください(入力: {budget_code})。")
    setsu = rules.require_setsu(setsu) if side == Side.EXPENDITURE else rules.require_two_digits(setsu, what="節")
    line = BudgetLine.objects.filter(
        fiscal_year__account__code=account_code,
        fiscal_year__year=year,
        side=side,
        budget_code=budget_code,
        setsu=setsu,
        saisetsu=saisetsu,
    ).first()
    if line is None:
        suffix = f"-{saisetsu}" if saisetsu else ""
        raise BudgetLineNotFound(
            f"{rules.wareki_year(year)}の予算に 科目 {budget_code} 節 {setsu}{suffix} はありません。"
        )
    return line


def lock_lines(lines: Iterable[BudgetLine]) -> dict[int, BudgetLine]:
    """SELECT … FOR UPDATE the 節 rows, ordered by pk so that two writers never deadlock."""
    ids = sorted({line.pk for line in lines})
    locked = BudgetLine.objects.select_for_update().select_related("fiscal_year", "fiscal_year__account")
    return {line.pk: line for line in locked.filter(pk__in=ids).order_by("pk")}


@dataclass(frozen=True)
class LineFigures:
    current_budget: int  # 予算現額
    committed: int  # 負担行為済額
    paid: int  # 支出済額
    carried_out: int  # 翌年度繰越額

    @property
    def available(self) -> int:
        """What a new commitment, 流用 or 充用 may still take: 予算現額 − 負担行為済額 − 翌年度繰越額."""
        return self.current_budget - self.committed - self.carried_out


def figures(line: BudgetLine) -> LineFigures:
    sums = JournalLine.objects.filter(line=line).aggregate(
        budget=Sum("amount", filter=Q(kind__in=BUDGET_KINDS), default=0),
        committed=Sum("amount", filter=Q(kind=EntryKind.COMMITMENT), default=0),
        paid=Sum("amount", filter=Q(kind=EntryKind.PAYMENT), default=0),
        carried=Sum("amount", filter=Q(kind=EntryKind.CARRY_OUT), default=0),
    )
    return LineFigures(sums["budget"], sums["committed"], sums["paid"], sums["carried"])


def require_available(line: BudgetLine, amount: int, *, doing: str) -> LineFigures:
    """The hard stop: the caller holds the 節's row lock, so no other transaction can commit against it until
    this one ends, and the figures read here stay true until the journal line is written."""
    current = figures(line)
    if amount > current.available:
        raise BudgetExceeded(
            f"予算残額が不足しているため{doing}できません。{line.label}: 予算現額 {current.current_budget:,}円 − "
            f"負担行為済額 {current.committed:,}円"
            + (f" − 翌年度繰越額 {current.carried_out:,}円" if current.carried_out else "")
            + f" = 残額 {current.available:,}円 に対し、{amount:,}円 です。",
            details={
                "line": line.label,
                "current_budget": current.current_budget,
                "committed": current.committed,
                "available": current.available,
                "requested": amount,
            },
        )
    return current


def journal_line(
    *,
    actor: Any,
    line: BudgetLine,
    kind: str,
    amount: int,
    posted_on: date,
    source_type: str,
    source_number: str,
    memo: str = "",
) -> JournalLine:
    """An unsaved journal line on ``line``; the service hands its lines to ``post``."""
    return JournalLine(
        posted_on=posted_on,
        fiscal_year=line.fiscal_year.year,
        account_code=line.fiscal_year.account.code,
        side=line.side,
        line=line,
        budget_code=line.budget_code,
        setsu=line.setsu,
        saisetsu=line.saisetsu,
        department_code=line.department_code,
        kind=kind,
        amount=amount,
        source_type=source_type,
        source_number=source_number,
        memo=memo[:200],
        actor_id=getattr(actor, "pk", None),
        actor_name=actor_name(actor)[:100],
    )


def post(lines: list[JournalLine]) -> list[JournalLine]:
    return append(JournalLine, lines)
