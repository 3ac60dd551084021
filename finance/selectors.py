"""Reads of 財務会計: balances and execution figures computed from the journal, inboxes, audited vendor reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Q, QuerySet, Sum

from common import audit
from finance.models import (
    BUDGET_KINDS,
    Assessment,
    BudgetLine,
    Commitment,
    CommitmentStatus,
    CostSharingPlan,
    DepartmentAllotment,
    EntryKind,
    FiscalYear,
    JournalLine,
    JournalRollup,
    OrderStatus,
    PaymentOrder,
    PurchaseRequest,
    Side,
    Vendor,
    VendorKind,
)
from finance.services.common import LineFigures, figures
from tenants.models import Person

__all__ = [
    "ExecutionRow",
    "LineFigures",
    "commitments_awaiting_inspection",
    "execution_by_line",
    "line_figures",
    "line_ledger",
    "orders_awaiting_audit",
    "orders_awaiting_payment",
    "view_vendor",
]


def line_figures(line: BudgetLine) -> LineFigures:
    """予算現額, 負担行為済額, 支出済額 and the remaining budget of one 節 (the 伝票 entry shows it while typing)."""
    return figures(line)


@dataclass(frozen=True)
class ExecutionRow:
    budget_code: str
    setsu: str
    saisetsu: str
    name: str
    department_code: str
    current_budget: int
    committed: int
    paid: int
    assessed: int
    received: int

    @property
    def remaining(self) -> int:
        return self.current_budget - self.committed


def execution_by_line(
    *, year: int, side: str = Side.EXPENDITURE, account_code: str = "01", department_code: str = ""
) -> list[ExecutionRow]:
    """予算執行状況表 by 款項目節: one GROUP BY over the year's monthly rollup of the journal (finance.rollup, kept
    with every journal insert and checked against the journal by verify_ledger; docs/domain/finance.md §7)."""
    rows = JournalRollup.objects.filter(fiscal_year=year, side=side, account_code=account_code)
    if department_code:
        rows = rows.filter(department_code=department_code)
    sums = (
        rows.values("line_id", "budget_code", "setsu", "saisetsu", "department_code")
        .annotate(
            budget=Sum("total", filter=Q(kind__in=BUDGET_KINDS), default=0),
            committed=Sum("total", filter=Q(kind=EntryKind.COMMITMENT), default=0),
            paid=Sum("total", filter=Q(kind=EntryKind.PAYMENT), default=0),
            assessed=Sum("total", filter=Q(kind=EntryKind.ASSESSMENT), default=0),
            received=Sum("total", filter=Q(kind=EntryKind.RECEIPT), default=0),
        )
        .order_by("budget_code", "setsu", "saisetsu")
    )
    names = dict(BudgetLine.objects.filter(fiscal_year__year=year, side=side).values_list("pk", "name"))
    return [
        ExecutionRow(
            budget_code=row["budget_code"],
            setsu=row["setsu"],
            saisetsu=row["saisetsu"],
            name=names.get(row["line_id"], ""),
            department_code=row["department_code"],
            current_budget=row["budget"],
            committed=row["committed"],
            paid=row["paid"],
            assessed=row["assessed"],
            received=row["received"],
        )
        for row in sums
    ]


def line_ledger(line: BudgetLine) -> QuerySet[JournalLine]:
    """予算差引簿: every journal line that moved this 節, in the order it was recorded."""
    return JournalLine.objects.filter(line=line).order_by("seq")


def commitments_awaiting_inspection(*, exclude_actor: Person) -> QuerySet[Commitment]:
    return (
        Commitment.objects.filter(status=CommitmentStatus.COMMITTED)
        .exclude(committed_by_id=exclude_actor.pk)
        .select_related("line")
        .order_by("number")
    )


def orders_awaiting_audit(*, exclude_actor: Person) -> QuerySet[PaymentOrder]:
    return (
        PaymentOrder.objects.filter(status=OrderStatus.ORDERED)
        .exclude(ordered_by_id=exclude_actor.pk)
        .exclude(commitment__committed_by_id=exclude_actor.pk)
        .select_related("commitment", "commitment__line")
        .order_by("pay_on", "number")
    )


def orders_awaiting_payment() -> QuerySet[PaymentOrder]:
    return (
        PaymentOrder.objects.filter(status=OrderStatus.APPROVED)
        .select_related("commitment", "commitment__line")
        .order_by("pay_on", "number")
    )


def view_vendor(*, actor: Person, vendor: Vendor, purpose: str) -> dict[str, Any]:
    """A 債権者's full entry. An individual's is personal data: one audited read with the clerk's purpose."""
    if vendor.kind == VendorKind.INDIVIDUAL:
        audit.record(
            actor=actor,
            action="finance.vendor_view",
            obj=vendor,
            purpose=purpose,
            personal_data=True,
            details={"vendor": str(vendor.public_id)},
        )
    return {
        "public_id": str(vendor.public_id),
        "kind": vendor.kind,
        "name": vendor.name,
        "name_kana": vendor.name_kana,
        "corporate_number": vendor.corporate_number,
        "invoice_number": vendor.invoice_number,
        "address": vendor.address,
        "bank_code": vendor.bank_code,
        "branch_code": vendor.branch_code,
        "account_type": vendor.account_type,
        "account_number": vendor.account_number,
        "account_holder_kana": vendor.account_holder_kana,
    }


def lines_for_entry(*, year: int, side: str = Side.EXPENDITURE) -> QuerySet[BudgetLine]:
    """The 節 a 伝票 may be entered against, of every 会計 of the year, in 会計・款項目節 order."""
    return (
        BudgetLine.objects.filter(fiscal_year__year=year, side=side, fiscal_year__closed_at__isnull=True)
        .select_related("moku", "fiscal_year__account")
        .order_by("fiscal_year__account__code", "budget_code", "setsu", "saisetsu")
    )


def budget_line(*, pk: int) -> BudgetLine | None:
    return BudgetLine.objects.select_related("fiscal_year", "fiscal_year__account", "moku").filter(pk=pk).first()


def fiscal_year_row(*, year: int, account_code: str = "01") -> FiscalYear | None:
    return FiscalYear.objects.select_related("account").filter(year=year, account__code=account_code).first()


def cost_sharing_plan(*, year: int) -> CostSharingPlan | None:
    return CostSharingPlan.objects.filter(fiscal_year=year).first()


def assessment_by_number(number: str) -> Assessment | None:
    return Assessment.objects.select_related("line").filter(number=number).first()


def commitment_by_number(number: str) -> Commitment | None:
    return (
        Commitment.objects.select_related("line", "line__moku", "line__fiscal_year", "vendor")
        .filter(number=number)
        .first()
    )


def _orders() -> QuerySet[PaymentOrder]:
    return PaymentOrder.objects.select_related(
        "commitment", "commitment__line", "commitment__line__moku", "commitment__vendor"
    )


def order_by_number(number: str) -> PaymentOrder | None:
    return _orders().filter(number=number).first()


def orders_by_numbers(numbers: list[str]) -> tuple[list[PaymentOrder], list[str]]:
    """The orders named by ``numbers`` in one query, in the given order, and the numbers that name none."""
    found = {order.number: order for order in _orders().filter(number__in=numbers)}
    return [found[n] for n in numbers if n in found], [n for n in numbers if n not in found]


def commitments_awaiting_order(*, exclude_actor: Person) -> QuerySet[Commitment]:
    """Inspected commitments (and unpaid advances) that the actor did not commit or inspect."""
    return (
        Commitment.objects.filter(
            Q(status=CommitmentStatus.INSPECTED)
            | Q(status=CommitmentStatus.COMMITTED, kind__in=["advance", "prepayment"])
        )
        .exclude(committed_by_id=exclude_actor.pk)
        .exclude(inspected_by_id=exclude_actor.pk)
        .select_related("line")
        .order_by("number")
    )


def monthly_execution(
    *, year: int, side: str = Side.EXPENDITURE, account_code: str = "01"
) -> list[tuple[int, int, int]]:
    """(month, 負担行為額, 支出額 or 収入額) for April … March (and April/May of the 出納整理期間 folded into March)."""
    paid_kind = EntryKind.PAYMENT if side == Side.EXPENDITURE else EntryKind.RECEIPT
    first_kind = EntryKind.COMMITMENT if side == Side.EXPENDITURE else EntryKind.ASSESSMENT
    rows = (
        JournalRollup.objects.filter(
            fiscal_year=year, side=side, account_code=account_code, kind__in=[first_kind, paid_kind]
        )
        .values("month", "kind")
        .annotate(sum=Sum("total"))
    )
    months = [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
    committed = dict.fromkeys(months, 0)
    paid = dict.fromkeys(months, 0)
    for row in rows:
        month, posted_year = row["month"].month, row["month"].year
        if posted_year > year + 1 or (posted_year == year + 1 and month >= 4):
            month = 3  # the 出納整理期間 counts with the year's last month
        if posted_year < year:
            month = 4  # a budget line dated before the year (議決日) counts with April
        target = committed if row["kind"] == first_kind else paid
        target[month] += row["sum"]
    return [(month, committed[month], paid[month]) for month in months]


@dataclass(frozen=True)
class SettlementRow:
    """One line of the 歳入歳出決算書: a 款 or 項 subtotal (level 1/2) or a 目・節 (level 3)."""

    level: int
    code: str
    name: str
    current_budget: int
    assessed: int
    received: int
    written_off: int
    paid: int
    carried_out: int

    @property
    def uncollected(self) -> int:
        """収入未済額."""
        return self.assessed - self.received - self.written_off

    @property
    def unused(self) -> int:
        """不用額 = 予算現額 − 支出済額 − 翌年度繰越額."""
        return self.current_budget - self.paid - self.carried_out


def settlement(*, year: int, side: str, account_code: str = "01") -> list[SettlementRow]:
    """歳入歳出決算書 (施行令 第166条, 施行規則 第16条): per 款, 項 and 目・節, from the journal of a closed year.
    The caller checks the year is closed (``FiscalYear.is_closed``)."""
    sums = (
        JournalLine.objects.filter(fiscal_year=year, side=side, account_code=account_code)
        .values("line_id", "budget_code", "setsu", "saisetsu")
        .annotate(
            budget=Sum("amount", filter=Q(kind__in=BUDGET_KINDS), default=0),
            assessed=Sum("amount", filter=Q(kind=EntryKind.ASSESSMENT), default=0),
            received=Sum("amount", filter=Q(kind=EntryKind.RECEIPT), default=0),
            written_off=Sum("amount", filter=Q(kind=EntryKind.WRITE_OFF), default=0),
            paid=Sum("amount", filter=Q(kind=EntryKind.PAYMENT), default=0),
            carried=Sum("amount", filter=Q(kind=EntryKind.CARRY_OUT), default=0),
        )
        .order_by("budget_code", "setsu", "saisetsu")
    )
    from finance.models import Subject

    names = {
        subject.code: subject.name
        for subject in Subject.objects.filter(
            fiscal_year__year=year, fiscal_year__account__code=account_code, side=side
        )
    }
    line_names = dict(BudgetLine.objects.filter(fiscal_year__year=year, side=side).values_list("pk", "name"))
    fields = ("budget", "assessed", "received", "written_off", "paid", "carried")
    totals: dict[str, list[int]] = {}
    details: list[tuple[str, SettlementRow]] = []
    for row in sums:
        values = [row[name] for name in fields]
        kan, kou = row["budget_code"][:2], row["budget_code"][:5]
        for key in (kan, kou):
            totals[key] = [a + b for a, b in zip(totals.get(key, [0] * 6), values, strict=True)]
        suffix = f"-{row['saisetsu']}" if row["saisetsu"] else ""
        details.append(
            (
                row["budget_code"],
                SettlementRow(
                    3,
                    f"{row['budget_code']} 節{row['setsu']}{suffix}",
                    f"{names.get(row['budget_code'], '')} {line_names.get(row['line_id'], '')}",
                    *values,
                ),
            )
        )
    result: list[SettlementRow] = []
    seen: set[str] = set()
    for code, detail in details:
        for key, level in ((code[:2], 1), (code[:5], 2)):
            if key not in seen:
                seen.add(key)
                result.append(SettlementRow(level, key, names.get(key, ""), *totals[key]))
        result.append(detail)
    return result


def purchase_requests(*, school_code: str) -> QuerySet[PurchaseRequest]:
    """One school's 物品購入依頼, newest first (a teacher sees only their school's)."""
    return PurchaseRequest.objects.filter(school_code=school_code).order_by("-requested_at")[:200]


def vendor_list() -> QuerySet[Vendor]:
    """債権者 for the list page: names of corporations; individuals are shown by their id only (str(vendor))."""
    return Vendor.objects.order_by("kind", "name_kana")[:500]


@dataclass(frozen=True)
class DepartmentRow:
    """One 課 of the 予算執行状況表 by 課 when the town allots its budget to 課 (§5.7)."""

    department_code: str
    department_name: str
    allotted: int
    committed: int
    paid: int

    @property
    def remaining(self) -> int:
        return self.allotted - self.committed


def department_allotments(*, year: int) -> QuerySet[DepartmentAllotment]:
    return (
        DepartmentAllotment.objects.filter(line__fiscal_year__year=year)
        .select_related("line")
        .order_by("department_code", "line__budget_code", "line__setsu", "allotted_on", "pk")
    )


def department_execution(*, year: int) -> list[DepartmentRow]:
    """予算執行状況表 by 課 over their 配当: 配当額, the 課's commitments on the allotted 節 (負担行為済額) and the
    journal's payments of those commitments (支出済額, net of 戻入)."""
    allotted = (
        DepartmentAllotment.objects.filter(line__fiscal_year__year=year)
        .values("department_code")
        .annotate(total=Sum("amount"), name=Max("department_name"))
    )
    line_ids = DepartmentAllotment.objects.filter(line__fiscal_year__year=year).values("line_id")
    commitments = (
        Commitment.objects.filter(fiscal_year=year, line_id__in=line_ids)
        .exclude(status=CommitmentStatus.CANCELLED)
        .values_list("number", "department_code", "amount")
    )
    department_of: dict[str, str] = {}
    committed: dict[str, int] = {}
    for number, code, amount in commitments:
        department_of[number] = code
        committed[code] = committed.get(code, 0) + amount
    orders = PaymentOrder.objects.filter(commitment__fiscal_year=year, commitment__line_id__in=line_ids)
    for number, commitment_number in orders.values_list("number", "commitment__number"):
        if commitment_number in department_of:
            department_of[number] = department_of[commitment_number]
    payments = (
        JournalLine.objects.filter(fiscal_year=year, kind=EntryKind.PAYMENT, line_id__in=line_ids)
        .values("source_number")
        .annotate(total=Sum("amount"))
    )
    paid: dict[str, int] = {}
    for row in payments:
        if row["source_number"] in department_of:
            charged = department_of[row["source_number"]]
            paid[charged] = paid.get(charged, 0) + row["total"]
    return [
        DepartmentRow(
            row["department_code"],
            row["name"],
            row["total"],
            committed.get(row["department_code"], 0),
            paid.get(row["department_code"], 0),
        )
        for row in allotted.order_by("department_code")
    ]


def vendor_by_public_id(public_id: str) -> Vendor | None:
    """The row only (no read is shown from it): the detail page decides by ``kind`` whether to ask a purpose."""
    return Vendor.objects.filter(public_id=public_id).first()


def vendor_choices() -> QuerySet[Vendor]:
    """债権者 a 伝票 may name (to validate a choice; nothing is shown from it)."""
    return Vendor.objects.order_by("kind", "name_kana")


ENTRY_PICKER_PURPOSE = "支出負担行為の債権者選択"


def vendor_picker(*, actor: Person) -> QuerySet[Vendor]:
    """The 債権者 list of the 伝票 entry, where an individual appears by name and フリガナ only (never address or
    account). Listing individuals' names is a read of personal data: one audited row per list shown, with the
    page's intrinsic purpose (docs/domain/finance.md §8)."""
    vendors = vendor_choices()
    individuals = Vendor.objects.filter(kind=VendorKind.INDIVIDUAL).count()
    if individuals:
        audit.record(
            actor=actor,
            action="finance.vendor_picker",
            obj=("finance.Vendor", "", "伝票入力の債権者一覧"),
            purpose=ENTRY_PICKER_PURPOSE,
            personal_data=True,
            details={"individuals": individuals, "fields": ["name", "name_kana"]},
        )
    return vendors
