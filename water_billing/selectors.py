"""Reads of the 水道料金 data. Reads that show a customer's details (使用者, address, account, bills) are audited
selectors taking ``actor`` and ``purpose`` (docs/audit.md); the pages and the API call the same ones."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import F, Q, QuerySet, Sum

from common import audit
from common.errors import NotFound
from water_billing import rules
from water_billing.models import (
    Bill,
    BillingRun,
    BillState,
    BudgetLine,
    Connection,
    FinalReadingRequest,
    InstallmentPlan,
    LedgerLine,
    MoveTask,
    Notice,
    NoticeKind,
    Payment,
    Period,
    Reading,
    Supply,
    Surcharge,
    SurchargeState,
    Tariff,
)


def tariff_versions(service: str, supply: str = Supply.MAIN) -> list[rules.TariffVersion]:
    """Every version of a tariff, oldest first, as the pure rules take them."""
    tariffs = Tariff.objects.filter(service=service, supply=supply).prefetch_related("bases", "tiers")
    return [
        rules.TariffVersion(
            service=t.service,
            effective_from=t.effective_from,
            bases=tuple(rules.Base(b.diameter_mm, b.charge, b.included_m3) for b in t.bases.all()),
            tiers=tuple(
                rules.Tier(x.from_m3, x.to_m3, x.price) for x in sorted(t.tiers.all(), key=lambda x: x.from_m3)
            ),
        )
        for t in tariffs.order_by("effective_from")
    ]


def tariffs() -> QuerySet[Tariff]:
    return Tariff.objects.prefetch_related("bases", "tiers").order_by("service", "supply", "-effective_from")


def connection_or_404(tap_number: str) -> Connection:
    found = Connection.objects.select_related("reduction").filter(tap_number=tap_number).first()
    if found is None:
        raise NotFound("給水装置が見つかりません。")
    return found


def period_or_404(code: str) -> Period:
    found = Period.objects.filter(code=code).first()
    if found is None:
        raise NotFound("料金期が見つかりません。")
    return found


def run_or_404(public_id: Any) -> BillingRun:
    found = BillingRun.objects.select_related("period").filter(public_id=public_id).first()
    if found is None:
        raise NotFound("調定処理が見つかりません。")
    return found


def periods() -> QuerySet[Period]:
    return Period.objects.order_by("-starts_on")


def runs() -> QuerySet[BillingRun]:
    return BillingRun.objects.select_related("period").order_by("-started_at")


def districts() -> list[str]:
    return list(Connection.objects.order_by("district").values_list("district", flat=True).distinct())


def meters_expiring(before: date) -> QuerySet[Connection]:
    """交換予定一覧 (§1): meters whose 8-year verification runs out before ``before`` (open connections)."""
    cutoff = date(before.year - 8, before.month, min(before.day, 28))
    return Connection.objects.filter(closed_on__isnull=True, meter_installed_on__lt=cutoff).order_by(
        "meter_installed_on", "tap_number"
    )


# --- audited reads of customers' details -------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionView:
    connection: Connection
    readings: list[Reading]
    bills: list[Bill]
    payments: list[Payment]
    notices: list[Notice]

    @property
    def balance(self) -> int:
        return sum(b.balance for b in self.bills if b.state != BillState.VOID)


def view_connection(*, actor: Any, purpose: str, tap_number: str) -> ConnectionView:
    """A connection's page (使用者, readings, bills, payments): one audited personal-data read."""
    connection = connection_or_404(tap_number)
    readings = list(connection.readings.select_related("period").order_by("-period__starts_on")[:24])
    bills = list(connection.bills.select_related("period").order_by("-period__starts_on")[:24])
    payments = list(
        Payment.objects.filter(bill__connection=connection).select_related("bill").order_by("-paid_on")[:50]
    )
    audit.record(
        actor=actor,
        action="water.connection.view",
        obj=("water_billing.Connection", connection.tap_number, connection.tap_number),
        purpose=purpose,
        personal_data=True,
        details={"tap_number": connection.tap_number},
    )
    notices = notices_of(connection)
    return ConnectionView(connection=connection, readings=readings, bills=bills, payments=payments, notices=notices)


def search_connections(*, actor: Any, purpose: str, query: str, limit: int = 50) -> list[Connection]:
    """検索 by 水栓番号, 使用者 (kanji or kana) or address; audited with the criteria used, not their values."""
    text = " ".join(query.split())
    found = [] if not text else list(
        Connection.objects.filter(
            Q(tap_number__startswith=text) | Q(user_name__contains=text) | Q(user_kana__contains=text)
            | Q(address__contains=text)
        ).order_by("tap_number")[:limit]
    )  # fmt: skip
    audit.record(
        actor=actor,
        action="water.connection.search",
        obj=None,
        purpose=purpose,
        personal_data=True,
        details={"count": len(found), "tap_numbers": [c.tap_number for c in found]},
    )
    return found


@dataclass(frozen=True)
class ArrearsRow:
    connection: Connection
    bills: list[Bill]
    balance: int
    oldest_due: date
    next_step: str
    surcharges: int = 0  # 督促手数料・延滞金 charged and unpaid
    accruing: int = 0  # 延滞金 that would be charged if everything were paid today (§7.2)
    plan: Any = None  # the active InstallmentPlan
    plan_status: Any = None  # its water_billing.plans.PlanStatus

    @property
    def next_kind(self) -> str:
        """The NoticeKind of the next step, when it is one the clerk takes from the list."""
        return {kind.label: kind.value for kind in NoticeKind}.get(self.next_step, "")


def _accruing(bills: list[Bill], today: date, params: dict[date, Any]) -> int:
    from water_billing.services.surcharges import compute_late_fee, late_fee_params

    total = 0
    for bill in bills:
        if bill.due_on not in params:  # the town's settings read once per 納期限, not once per bill
            params[bill.due_on] = late_fee_params(bill.due_on)
        payments = [(p.paid_on, p.amount) for p in bill.payments.all() if p.amount > 0]
        total += compute_late_fee(bill=bill, until=today, payments=payments, params=params[bill.due_on]).amount
    return total


def _arrears_bills(today: date, limit: int) -> dict[int, list[Bill]]:
    overdue = (
        Bill.objects.filter(state=BillState.UNPAID, due_on__lt=today)
        .select_related("connection", "period")
        .prefetch_related("payments")
        .order_by("connection__tap_number", "due_on")
    )
    rows: dict[int, list[Bill]] = {}
    for bill in overdue[: limit * 6]:
        if bill.connection_id not in rows and len(rows) >= limit:
            break
        rows.setdefault(bill.connection_id, []).append(bill)
    return rows


def view_arrears(*, actor: Any, purpose: str, today: date, limit: int = 200) -> list[ArrearsRow]:
    """滞納一覧: customers with bills past their 納期限, with their unpaid 付帯金, the 延滞金 accruing to date, and the
    next step of 滞納整理 (§7) — an active 分納 plan being the step while it is kept."""
    from water_billing import plans as plan_rule
    from water_billing.services.arrears import next_step

    rows = _arrears_bills(today, limit)
    notices: dict[int, list[Notice]] = {}
    for notice in Notice.objects.filter(connection_id__in=rows).prefetch_related("bills").order_by("issued_on"):
        notices.setdefault(notice.connection_id, []).append(notice)
    active = InstallmentPlan.objects.filter(connection_id__in=rows, active=True).annotate(paid=Sum("payments__amount"))
    plans = {
        p.connection_id: (p, plan_rule.status(schedule=plan_rule.schedule_of(p.schedule), paid=int(p.paid or 0),
                                              today=today))
        for p in active
    }  # fmt: skip
    owed = dict(
        Surcharge.objects.filter(connection_id__in=rows, state=SurchargeState.UNPAID)
        .values("connection_id").annotate(s=Sum(F("amount") - F("paid_amount"))).values_list("connection_id", "s")
    )  # fmt: skip
    result = []
    params: dict[date, Any] = {}
    for key, bills in rows.items():
        plan, status = plans.get(key, (None, None))
        result.append(
            ArrearsRow(
                bills[0].connection, bills, sum(b.balance for b in bills), bills[0].due_on,
                next_step(bills, today=today, notices=notices.get(key, []), plan=status.state if status else ""),
                int(owed.get(key) or 0), _accruing(bills, today, params), plan, status,
            )
        )  # fmt: skip
    audit.record(
        actor=actor,
        action="water.arrears.view",
        obj=None,
        purpose=purpose,
        personal_data=True,
        details={"tap_numbers": [r.connection.tap_number for r in result]},
    )
    return result


# --- the books (§5) --------------------------------------------------------------------------------------

ACCOUNTS: dict[str, tuple[str, str]] = {
    "1110": ("現金預金", "asset"),
    "1210": ("未収金(水道料金)", "asset"),
    "2110": ("仮受消費税", "liability"),
    "2120": ("預り金(過誤納金)", "liability"),
    "4110": ("給水収益(水道料金)", "revenue"),
    "4120": ("下水道使用料", "revenue"),
    "4190": ("その他営業収益(督促手数料)", "revenue"),
    "4310": ("雑収益(延滞金)", "revenue"),
    "1510": ("建設仮勘定", "asset"),
    "2310": ("企業債", "liability"),
    "2410": ("長期前受金(補助金)", "liability"),
    "3110": ("資本金", "equity"),
}


@dataclass(frozen=True)
class BalanceRow:
    code: str
    name: str
    kind: str
    debit: int
    credit: int

    @property
    def balance(self) -> int:
        """Debit-positive for assets, credit-positive for liabilities and revenue."""
        return self.debit - self.credit if self.kind == "asset" else self.credit - self.debit


def trial_balance(*, start: date | None = None, end: date) -> list[BalanceRow]:
    """試算表 of the lines posted from ``start`` (or the beginning) to ``end``, inclusive."""
    lines = LedgerLine.objects.filter(posted_on__lte=end)
    if start is not None:
        lines = lines.filter(posted_on__gte=start)
    sums = {
        row["account_code"]: (int(row["d"] or 0), int(row["c"] or 0))
        for row in lines.values("account_code").annotate(d=Sum("debit"), c=Sum("credit"))
    }
    return [BalanceRow(code, name, kind, *sums.get(code, (0, 0))) for code, (name, kind) in ACCOUNTS.items()]


@dataclass(frozen=True)
class Statements:
    trial: list[BalanceRow]
    revenue: list[BalanceRow]
    revenue_total: int
    assets: list[BalanceRow]
    liabilities: list[BalanceRow]
    asset_total: int
    liability_total: int
    retained: int  # 当期純利益 (no expenses are posted by this module: the whole revenue)


def statements(*, start: date, end: date) -> Statements:
    """損益計算書 for [start, end] and 貸借対照表 at ``end`` (balances since the beginning)."""
    period = trial_balance(start=start, end=end)
    to_date = trial_balance(end=end)
    revenue = [r for r in period if r.kind == "revenue"]
    assets = [r for r in to_date if r.kind == "asset"]
    liabilities = [r for r in to_date if r.kind in {"liability", "equity"}]  # 負債及び資本
    return Statements(
        trial=period,
        revenue=revenue,
        revenue_total=sum(r.balance for r in revenue),
        assets=assets,
        liabilities=liabilities,
        asset_total=sum(r.balance for r in assets),
        liability_total=sum(r.balance for r in liabilities),
        retained=sum(r.balance for r in to_date if r.kind == "revenue"),
    )


def tax_summary(*, start: date, end: date) -> dict[str, int]:
    """消費税の集計: 仮受消費税 posted in the period and the taxable sales behind it."""
    rows = {r.code: r for r in trial_balance(start=start, end=end)}
    return {
        "taxable_sales": rows["4110"].balance + rows["4120"].balance,
        "output_tax": rows["2110"].balance,
    }


def ledger_lines(*, start: date | None = None, end: date | None = None) -> QuerySet[LedgerLine]:
    lines = LedgerLine.objects.order_by("seq")
    if start:
        lines = lines.filter(posted_on__gte=start)
    if end:
        lines = lines.filter(posted_on__lte=end)
    return lines


def bill_rows(run: BillingRun) -> Iterator[Bill]:
    return run.bills.select_related("connection").order_by("connection__tap_number").iterator(chunk_size=2000)


def previous_values(connection_ids: list[int], period: Period) -> dict[int, int]:
    """The last reading before ``period`` of each connection (one query)."""
    rows = (
        Reading.objects.filter(connection_id__in=connection_ids, period__starts_on__lt=period.starts_on)
        .order_by("connection_id", "-period__starts_on")
        .distinct("connection_id")
        .values_list("connection_id", "value")
    )
    return dict(rows)


# --- the auditors' REST exports (docs/domain/water_billing.md) ----------------------------------------------

EXPORTS: dict[str, tuple[str, list[str], bool]] = {
    # resource: (label, columns of values(), personal data)
    "connections": ("給水装置", ["tap_number", "address", "district", "diameter_mm", "meter_serial",
                                 "meter_installed_on", "user_name", "owner_name", "use", "supply", "sewer",
                                 "opened_on", "closed_on"], True),
    "readings": ("検針", ["connection__tap_number", "period__code", "read_on", "value", "previous_value", "usage_m3",
                          "estimated", "anomalies"], True),
    "bills": ("請求", ["number", "connection__tap_number", "period__code", "usage_m3", "water_pre_tax", "water_tax",
                       "sewer_pre_tax", "sewer_tax", "total", "due_on", "state", "paid_amount", "debit_result"], True),
    "payments": ("収納", ["bill__number", "amount", "paid_on", "channel", "reference", "recorded_by_name"], True),
    "arrears": ("滞納", ["number", "connection__tap_number", "period__code", "total", "paid_amount", "due_on"], True),
    "ledger": ("仕訳", ["seq", "entry", "posted_on", "account_code", "debit", "credit", "memo", "source_type",
                        "source_id", "row_hash"], False),
}  # fmt: skip


def export_rows(*, actor: Any, purpose: str, resource: str, today: date) -> QuerySet[Any]:
    """The rows an auditor reads through the API (JSON or CSV); personal-data resources are audited reads."""
    label, columns, personal = EXPORTS[resource]
    querysets: dict[str, QuerySet[Any]] = {
        "connections": Connection.objects.order_by("tap_number"),
        "readings": Reading.objects.order_by("period__starts_on", "connection__tap_number"),
        "bills": Bill.objects.order_by("number"),
        "payments": Payment.objects.order_by("paid_on", "pk"),
        "arrears": Bill.objects.filter(state=BillState.UNPAID, due_on__lt=today).order_by("due_on", "number"),
        "ledger": LedgerLine.objects.order_by("seq"),
    }
    audit.record(
        actor=actor,
        action=f"water.export.{resource}",
        obj=None,
        purpose=purpose,
        personal_data=personal,
        details={"resource": label},
    )
    return querysets[resource].values(*columns)


def move_task(public_id: Any) -> MoveTask | None:
    return MoveTask.objects.filter(public_id=public_id).first()


def view_move_tasks(*, actor: Any, purpose: str, limit: int = 300) -> list[MoveTask]:
    """異動連携の処理一覧 (open first): names and addresses of residents, one audited read listing them."""
    tasks = list(MoveTask.objects.order_by("state", "-event_date", "pk")[:limit])
    audit.record(
        actor=actor,
        action="water.moves.view",
        obj=None,
        purpose=purpose,
        personal_data=True,
        details={"persons": sorted({t.atena_number for t in tasks})},
    )
    return tasks


def view_bill(*, actor: Any, purpose: str, number: str) -> Bill:
    """A bill with its customer, for its 納入通知書: one audited read."""
    bill = Bill.objects.select_related("connection", "period").filter(number=number).first()
    if bill is None:
        raise NotFound("請求が見つかりません。")
    audit.record(
        actor=actor, action="water.bill.view", obj=("water_billing.Bill", bill.number, bill.number),
        purpose=purpose, personal_data=True, details={"tap_number": bill.connection.tap_number},
    )  # fmt: skip
    return bill


def view_notice(*, actor: Any, purpose: str, public_id: Any) -> Notice:
    """A 督促状 (or later step) with its customer and bills, for printing: one audited read."""
    notice = Notice.objects.select_related("connection").filter(public_id=public_id).first()
    if notice is None:
        raise NotFound("滞納整理の記録が見つかりません。")
    audit.record(
        actor=actor, action="water.notice.view", obj=("water_billing.Notice", str(notice.public_id), notice.kind),
        purpose=purpose, personal_data=True, details={"tap_number": notice.connection.tap_number},
    )  # fmt: skip
    return notice


def notices_of(connection: Connection) -> list[Notice]:
    return list(connection.notices.order_by("-issued_on", "-pk")[:50])


@dataclass(frozen=True)
class BudgetRow:
    article: str
    code: str
    name: str
    budget: int
    actual: int

    @property
    def remaining(self) -> int:
        return self.budget - self.actual


def budget_execution(*, fiscal_year: int, end: date) -> list[BudgetRow]:
    """予算の執行状況: each budget line in force (latest revision) against the books from 1 April to ``end``."""
    start = date(fiscal_year, 4, 1)
    actual = {r.code: r.balance for r in trial_balance(start=start, end=min(end, date(fiscal_year + 1, 3, 31)))}
    latest: dict[tuple[str, str], BudgetLine] = {}
    for line in BudgetLine.objects.filter(fiscal_year=fiscal_year).order_by("article", "account_code", "revision"):
        latest[(line.article, line.account_code)] = line
    from water_billing.selectors_capital import capital_actuals

    capital = capital_actuals(fiscal_year=fiscal_year, end=end)  # 4条 lines: the capital entries (§5.2)
    return [
        BudgetRow(line.article, line.account_code, line.name, line.amount,
                  (capital if line.article == "4" else actual).get(line.account_code, 0))
        for line in latest.values()
    ]  # fmt: skip


# --- 分納 plans (§7.4) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRow:
    plan: InstallmentPlan
    status: Any  # water_billing.plans.PlanStatus


def _plan_row(plan: InstallmentPlan, today: date) -> PlanRow:
    from water_billing import plans as rule

    paid = int(getattr(plan, "paid", None) or 0)
    return PlanRow(plan, rule.status(schedule=rule.schedule_of(plan.schedule), paid=paid, today=today))


def view_plans(*, actor: Any, purpose: str, today: date, limit: int = 200) -> list[PlanRow]:
    """分納計画の一覧 (active first, newest first), each with its state today: one audited read."""
    plans = (
        InstallmentPlan.objects.select_related("connection")
        .annotate(paid=Sum("payments__amount"))
        .order_by("-active", "-agreed_on", "-pk")[:limit]
    )
    rows = [_plan_row(plan, today) for plan in plans]
    audit.record(
        actor=actor, action="water.plans.view", obj=None, purpose=purpose, personal_data=True,
        details={"tap_numbers": sorted({r.plan.connection.tap_number for r in rows})},
    )  # fmt: skip
    return rows


def view_plan(*, actor: Any, purpose: str, public_id: Any, today: date) -> tuple[PlanRow, list[Payment]]:
    """One plan with its state and the payments made under it: one audited read."""
    plan = (
        InstallmentPlan.objects.select_related("connection")
        .annotate(paid=Sum("payments__amount"))
        .filter(public_id=public_id)
        .first()
    )
    if plan is None:
        raise NotFound("分納計画が見つかりません。")
    audit.record(
        actor=actor, action="water.plans.view", obj=("water_billing.InstallmentPlan", str(plan.public_id), "分納"),
        purpose=purpose, personal_data=True, details={"tap_number": plan.connection.tap_number},
    )  # fmt: skip
    payments = list(plan.payments.select_related("bill").order_by("paid_on", "pk"))
    return _plan_row(plan, today), payments


def plan_or_404(public_id: Any) -> InstallmentPlan:
    plan = InstallmentPlan.objects.filter(public_id=public_id).first()
    if plan is None:
        raise NotFound("分納計画が見つかりません。")
    return plan


def view_move_task(*, actor: Any, purpose: str, public_id: Any) -> MoveTask:
    """One 異動連携 task for its preview (a resident's name and addresses): one audited read."""
    task = MoveTask.objects.filter(public_id=public_id).first()
    if task is None:
        raise NotFound("異動連携の処理が見つかりません。")
    audit.record(
        actor=actor, action="water.moves.view", obj=("water_billing.MoveTask", str(task.public_id), task.atena_number),
        purpose=purpose, personal_data=True, details={"persons": [task.atena_number]},
    )  # fmt: skip
    return task


def final_reading_requests(limit: int = 200) -> list[FinalReadingRequest]:
    """閉栓精算の検針依頼 not yet read (§8), oldest first, for the readings page."""
    pending = FinalReadingRequest.objects.filter(done=False).select_related("connection")
    return list(pending.order_by("closed_on", "pk")[:limit])
