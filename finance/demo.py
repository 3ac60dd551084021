"""Demo data of 財務会計 (`manage.py seed_demo`): a plausible 令和8年度 budget of 中土佐町 (about 6,500 people) and
四万十町 (about 16,000), eight months of commitments, payments and revenue, and the council's cost sharing.

The structure (款・項・目・節, the 当初予算) goes through the services; the year of transactions is written in bulk
(rows and journal lines built in memory, one ``common.ledger.append`` per town) so that seeding stays fast. Idempotent:
a town that already has a 令和8年度 budget is left as it is.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from common.ledger import append
from finance import rules, services
from finance.models import (
    Assessment,
    AssessmentStatus,
    BudgetLine,
    Commitment,
    CommitmentStatus,
    EntryKind,
    FiscalYear,
    JournalLine,
    OrderStatus,
    PaymentMethod,
    PaymentOrder,
    Side,
)
from finance.services.common import journal_line
from tenants import mfa
from tenants.demo import DEMO_PASSWORD
from tenants.models import Municipality, Person, Role
from tenants.services import grant_membership

YEAR = 2026
# The general account's size: 中土佐町 about 70億円, 四万十町 about 190億円 (towns of 6,500 and 16,000 people).
TOWN_TOTAL = {"nakatosa": 7_000_000_000, "shimanto": 19_000_000_000}
SEEDS = {"nakatosa": 2026, "shimanto": 2027}

# 歳出の款 (地方自治法施行規則 別記, 市町村) with their 項・目 and the share of the budget.
EXPENDITURE = [
    ("01", "議会費", "議会費", "議会費", 0.015, {"01": 0.5, "04": 0.1, "10": 0.2, "08": 0.2}),
    (
        "02",
        "総務費",
        "総務管理費",
        "一般管理費",
        0.15,
        {"02": 0.3, "03": 0.2, "04": 0.08, "10": 0.1, "12": 0.2, "18": 0.12},
    ),
    ("03", "民生費", "社会福祉費", "社会福祉総務費", 0.22, {"02": 0.1, "12": 0.2, "18": 0.2, "19": 0.4, "27": 0.1}),
    ("04", "衛生費", "保健衛生費", "保健衛生総務費", 0.09, {"02": 0.2, "11": 0.1, "12": 0.4, "18": 0.3}),
    ("05", "労働費", "労働諸費", "労働諸費", 0.001, {"18": 1.0}),
    ("06", "農林水産業費", "農業費", "農業振興費", 0.08, {"12": 0.3, "14": 0.4, "18": 0.3}),
    ("07", "商工費", "商工費", "観光費", 0.04, {"12": 0.5, "18": 0.5}),
    ("08", "土木費", "道路橋りょう費", "道路維持費", 0.10, {"14": 0.6, "15": 0.1, "12": 0.3}),
    ("09", "消防費", "消防費", "常備消防費", 0.04, {"18": 0.8, "17": 0.2}),
    ("10", "教育費", "小学校費", "学校管理費", 0.10, {"10": 0.3, "12": 0.2, "14": 0.3, "17": 0.2}),
    ("11", "災害復旧費", "公共土木施設災害復旧費", "道路橋りょう災害復旧費", 0.02, {"14": 1.0}),
    ("12", "公債費", "公債費", "元金", 0.12, {"22": 1.0}),
    ("13", "諸支出金", "普通財産取得費", "土地取得費", 0.013, {"16": 1.0}),
    ("14", "予備費", "予備費", "予備費", 0.001, {"01": 1.0}),
]
REVENUE = [
    ("01", "町税", "町民税", "個人", 0.08, "現年課税分"),
    ("02", "地方譲与税", "地方揮発油譲与税", "地方揮発油譲与税", 0.01, "地方揮発油譲与税"),
    ("10", "地方交付税", "地方交付税", "地方交付税", 0.50, "普通交付税"),
    ("13", "使用料及び手数料", "手数料", "総務手数料", 0.01, "戸籍住民基本台帳手数料"),
    ("14", "国庫支出金", "国庫負担金", "民生費国庫負担金", 0.12, "社会福祉費負担金"),
    ("15", "県支出金", "県補助金", "農林水産業費県補助金", 0.08, "農業費補助金"),
    ("21", "町債", "町債", "土木債", 0.20, "道路整備事業債"),
]
PAYEES = [
    "株式会社土佐建設",
    "高知文具株式会社",
    "有限会社くろしお設備",
    "四国電力株式会社",
    "株式会社高幡サービス",
    "高知県市町村総合事務組合",
    "社会福祉法人しまんと",
    "株式会社久礼印刷",
]
DEMO_STAFF = [
    ("zaisei", "財政 花子", Role.FINANCE_OFFICER),
    ("yosan", "予算 次郎", Role.BUDGET_CLERK),
    ("kensyu", "検収 三郎", Role.BUDGET_CLERK),
    ("kaikei", "会計 管理", Role.ACCOUNTANT),
    ("suitou", "出納 四郎", Role.ACCOUNTANT),
]


def _demo_person(username: str, full_name: str) -> Person:
    person = Person.objects.filter(username=username).first()
    if person is None:
        person = Person.objects.create_user(username, DEMO_PASSWORD, full_name=full_name, is_demo=True)
    if not TOTPDevice.objects.filter(user=person, confirmed=True).exists():
        mfa.confirm_totp_device(person, mfa.pending_totp_device(person))
    return person


def _staff() -> dict[str, Person]:
    towns = {m.schema_name: m for m in Municipality.objects.filter(schema_name__in=TOWN_TOTAL)}
    staff = {}
    for username, full_name, role in DEMO_STAFF:
        person = _demo_person(username, full_name)
        for town in towns.values():
            if not person.memberships.filter(municipality=town, role=role).exists():
                grant_membership(
                    actor=None,
                    person=person,
                    municipality=town,
                    role=role,
                    valid_from=date(2026, 4, 1),
                    section="財務会計(デモ)",
                )
        staff[username] = person
    return staff


def _structure(staff: dict[str, Person], total: int) -> tuple[FiscalYear, list[tuple[BudgetLine, int]]]:
    actor = staff["zaisei"]
    year = services.open_fiscal_year(actor=actor, year=YEAR)
    amounts: list[tuple[BudgetLine, int]] = []
    for kan, kan_name, kou_name, moku_name, share, setsu_shares in EXPENDITURE:
        reserve = kan == "14"
        services.add_subject(actor=actor, year=year, side=Side.EXPENDITURE, code=kan, name=kan_name, is_reserve=reserve)
        services.add_subject(actor=actor, year=year, side=Side.EXPENDITURE, code=f"{kan}-01", name=kou_name)
        moku = services.add_subject(actor=actor, year=year, side=Side.EXPENDITURE, code=f"{kan}-01-01", name=moku_name)
        for setsu, setsu_share in setsu_shares.items():
            line = services.add_budget_line(
                actor=actor,
                moku=moku,
                setsu=setsu,
                name="予備費" if reserve else "",
                department_code=f"D{kan}",
                department_name=f"{kan_name}所管課",
            )
            amounts.append((line, int(round(total * share * setsu_share, -3))))
    for kan, kan_name, kou_name, moku_name, share, setsu_name in REVENUE:
        services.add_subject(actor=actor, year=year, side=Side.REVENUE, code=kan, name=kan_name)
        services.add_subject(actor=actor, year=year, side=Side.REVENUE, code=f"{kan}-01", name=kou_name)
        moku = services.add_subject(actor=actor, year=year, side=Side.REVENUE, code=f"{kan}-01-01", name=moku_name)
        line = services.add_budget_line(actor=actor, moku=moku, setsu="01", name=setsu_name)
        amounts.append((line, int(round(total * share, -3))))
    services.enact_budget(
        actor=actor,
        year=year,
        number=0,
        decided_on=date(2026, 3, 13),
        amounts={line: int(amount) for line, amount in amounts},
    )
    return year, [(line, int(amount)) for line, amount in amounts]


# long: one seeded random stream drawn in a fixed order and four running counters feed every row; split, the
# steps would pass all of them around and the demo figures would depend on the order of the calls.
def _transactions(staff: dict[str, Person], amounts: list[tuple[BudgetLine, int]], seed: int) -> tuple[int, int]:
    """Apr–Nov 2026: a commitment a month on every 歳出 節 (paid the next week), a 調定 and its receipt a month on
    every 歳入 節 — rows and journal lines written in bulk."""
    rng = random.Random(seed)  # noqa: S311 (demo figures, not a secret)
    clerk, inspector, accountant, cashier = staff["yosan"], staff["kensyu"], staff["kaikei"], staff["suitou"]
    commitments, orders, assessments, lines = [], [], [], []
    months = [(2026, month) for month in range(4, 12)]
    number = order_number = revenue_number = 0
    for line, budget in amounts:
        if line.side == Side.EXPENDITURE and line.moku.is_reserve:
            continue
        for year, month in months:
            day = date(year, month, rng.randint(1, 20))
            amount = int(budget / 12 * rng.uniform(0.6, 1.0)) // 100 * 100
            if amount <= 0:
                continue
            paid_on = date(year, month, min(28, day.day + 7))
            if line.side == Side.EXPENDITURE:
                number += 1
                order_number += 1
                commitment = Commitment(
                    number=f"C{YEAR}-{number:06d}",
                    fiscal_year=YEAR,
                    line=line,
                    status=CommitmentStatus.PAID,
                    payee_name=rng.choice(PAYEES),
                    amount=amount,
                    purpose=f"{line.name} {month}月分",
                    committed_on=day,
                    department_code=line.department_code,
                    department_name=line.department_name,
                    committed_by_id=clerk.pk,
                    committed_by_name=clerk.full_name,
                    inspected_on=day,
                    inspected_by_id=inspector.pk,
                    inspected_by_name=inspector.full_name,
                )
                commitments.append(commitment)
                orders.append(
                    PaymentOrder(
                        number=f"P{YEAR}-{order_number:06d}",
                        commitment=commitment,
                        amount=amount,
                        pay_on=paid_on,
                        method=PaymentMethod.TRANSFER,
                        status=OrderStatus.PAID,
                        ordered_by_id=inspector.pk,
                        ordered_by_name=inspector.full_name,
                        audited_by_id=accountant.pk,
                        audited_by_name=accountant.full_name,
                        paid_on=paid_on,
                        paid_by_id=cashier.pk,
                        paid_by_name=cashier.full_name,
                    )
                )
                lines.append(
                    journal_line(
                        actor=clerk,
                        line=line,
                        kind=EntryKind.COMMITMENT,
                        amount=amount,
                        posted_on=day,
                        source_type="commitment",
                        source_number=commitment.number,
                        memo=commitment.purpose,
                    )
                )
                lines.append(
                    journal_line(
                        actor=cashier,
                        line=line,
                        kind=EntryKind.PAYMENT,
                        amount=amount,
                        posted_on=paid_on,
                        source_type="order",
                        source_number=orders[-1].number,
                        memo=commitment.purpose,
                    )
                )
            else:
                revenue_number += 1
                assessment = Assessment(
                    number=f"R{YEAR}-{revenue_number:06d}",
                    fiscal_year=YEAR,
                    line=line,
                    payer_name="(各納入義務者)",
                    amount=amount,
                    purpose=f"{line.name} {month}月分",
                    assessed_on=day,
                    due_on=paid_on,
                    status=AssessmentStatus.RECEIVED,
                    assessed_by_id=clerk.pk,
                    assessed_by_name=clerk.full_name,
                )
                assessments.append(assessment)
                lines.append(
                    journal_line(
                        actor=clerk,
                        line=line,
                        kind=EntryKind.ASSESSMENT,
                        amount=amount,
                        posted_on=day,
                        source_type="assessment",
                        source_number=assessment.number,
                        memo=assessment.purpose,
                    )
                )
                lines.append(
                    journal_line(
                        actor=cashier,
                        line=line,
                        kind=EntryKind.RECEIPT,
                        amount=amount,
                        posted_on=paid_on,
                        source_type="assessment",
                        source_number=assessment.number,
                        memo="収納",
                    )
                )
    Commitment.objects.bulk_create(commitments)
    PaymentOrder.objects.bulk_create(orders)
    Assessment.objects.bulk_create(assessments)
    from finance.models import AssessmentCounter, CommitmentCounter, OrderCounter

    CommitmentCounter.objects.update_or_create(year=YEAR, defaults={"last_number": number})
    OrderCounter.objects.update_or_create(year=YEAR, defaults={"last_number": order_number})
    AssessmentCounter.objects.update_or_create(year=YEAR, defaults={"last_number": revenue_number})
    lines.sort(key=lambda entry: entry.posted_on)
    append(JournalLine, lines)
    return len(commitments), len(assessments)


def seed_town(schema: str, staff: dict[str, Person]) -> str:
    with schema_context(schema), transaction.atomic():
        if FiscalYear.objects.filter(year=YEAR).exists():
            return f"  {schema}: {rules.wareki_year(YEAR)}の予算は登録済みのため、そのままにしました。"
        _year, amounts = _structure(staff, TOWN_TOTAL[schema])
        commitments, assessments = _transactions(staff, amounts, seed=SEEDS[schema])
    name = rules.wareki_year(YEAR)
    return f"  {schema}: {name}の予算 {len(amounts)}節、支出負担行為 {commitments}件、調定 {assessments}件"


def seed_cost_sharing(staff: dict[str, Person]) -> str:
    council = Municipality.objects.filter(kind=Municipality.Kind.COUNCIL).first()
    if council is None:
        return "  協議会がありません。"
    first = Person.objects.filter(username="council_staff").first()
    if first is None:
        return "  協議会事務局の職員がいません。"
    second = _demo_person("kyogikai2", "協議 二葉")
    if not second.memberships.filter(municipality=council, role=Role.COUNCIL_STAFF).exists():
        grant_membership(
            actor=None,
            person=second,
            municipality=council,
            role=Role.COUNCIL_STAFF,
            valid_from=date(2026, 4, 1),
            section="協議会事務局",
        )
    with schema_context(council.schema_name):
        from finance.models import CostSharingPlan

        if CostSharingPlan.objects.filter(fiscal_year=YEAR).exists():
            return "  協議会負担金: 登録済み"
        plan = services.calculate_cost_sharing(actor=first, fiscal_year=YEAR, total_cost=48_000_000)
        services.approve_cost_sharing(actor=second, plan=plan)
        services.post_cost_sharing(actor=second, plan=plan, committed_on=date(2026, 5, 1))
    return f"  協議会負担金: {plan.total_cost:,}円を各町に計上"


def seed_demo(write: Callable[[str], None]) -> None:
    started = time.perf_counter()
    staff = _staff()
    for schema in TOWN_TOTAL:
        write(seed_town(schema, staff))
    write(seed_cost_sharing(staff))
    write(f"  財務会計のデモデータ ({time.perf_counter() - started:.1f} s)")
