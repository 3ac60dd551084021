"""Demo data of 財務会計 (`manage.py seed_demo`): a plausible 令和8年度 budget of 中土佐町 (about 6,500 people) and
四万十町 (about 16,000), commitments, payments and revenue in April, July and October, and the council's cost sharing.

Everything goes through the services — the structure (款・項・目・節, the 当初予算), the 債権者, every 支出負担行為,
検収, 支出命令, 審査 and 支払 (a monthly 総合振込), every 調定 and 収納 — so the demo obeys every rule of the module.
Idempotent: a town that already has a 令和8年度 budget is left as it is.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from finance import rules, services
from finance.models import BudgetLine, FiscalYear, PaymentOrder, Side, Vendor, VendorKind
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
    ("株式会社土佐建設", "トサケンセツ"),
    ("高知文具株式会社", "コウチブング"),
    ("有限会社くろしお設備", "クロシオセツビ"),
    ("四国電力株式会社", "シコクデンリョク"),
    ("株式会社高幡サービス", "コウハタサービス"),
    ("高知県市町村総合事務組合", "コウチケンシチョウソンソウゴウジムクミアイ"),
    ("社会福祉法人しまんと", "シマント"),
    ("株式会社久礼印刷", "クレインサツ"),
]
# The months each 節 spends in (one 支出負担行為 each, paid on the 25th by that month's 総合振込), and the share of
# a twelfth of the 節's budget each takes (SPREAD twelfths at most): fewer, larger 伝票 than a real year keep the
# seeding through the services quick (docs/domain/finance.md §11).
MONTHS = (4, 7, 10)
REVENUE_MONTHS = tuple(range(4, 12))  # a 調定 and its 収納 a month (two quick calls each)
SPREAD = 3
PAY_DAY = 25
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


def _vendors(actor: Person) -> list[Vendor]:
    """The demo's 債権者: corporations with an account at the designated bank (paid by 総合振込)."""
    return [
        services.register_vendor(
            actor=actor,
            kind=VendorKind.CORPORATION,
            name=name,
            name_kana=kana,
            bank_code="0001",
            branch_code="001",
            account_type="1",
            account_number=f"{1_000_001 + index:07d}",
        )
        for index, (name, kana) in enumerate(PAYEES)
    ]


def _spend(staff: dict[str, Person], line: BudgetLine, amount: int, day: date, vendor: Vendor) -> PaymentOrder:
    """支出負担行為 → 検収 → 支出命令 → 審査, each by its own person through the services (支払 is monthly)."""
    commitment = services.commit_expenditure(
        actor=staff["yosan"],
        line=line,
        amount=amount,
        purpose=f"{line.name} {day.month}月分",
        committed_on=day,
        vendor=vendor,
    )
    commitment = services.inspect_delivery(actor=staff["kensyu"], commitment=commitment, inspected_on=day)
    order = services.order_payment(
        actor=staff["zaisei"], commitment=commitment, amount=amount, pay_on=date(YEAR, day.month, PAY_DAY)
    )
    return services.audit_order(actor=staff["kaikei"], order=order, approve=True)


def _collect(staff: dict[str, Person], line: BudgetLine, amount: int, day: date) -> None:
    """調定 → 収納 through the services."""
    assessment = services.assess_revenue(
        actor=staff["yosan"],
        line=line,
        payer_name="(各納入義務者)",
        amount=amount,
        purpose=f"{line.name} {day.month}月分",
        assessed_on=day,
        due_on=date(YEAR, day.month, PAY_DAY),
    )
    services.record_receipt(
        actor=staff["suitou"], assessment=assessment, amount=amount, received_on=date(YEAR, day.month, PAY_DAY)
    )


def _transactions(staff: dict[str, Person], amounts: list[tuple[BudgetLine, int]], seed: int) -> tuple[int, int]:
    """Every 歳出 節 spends in each month of MONTHS (paid by the month's 総合振込 on the 25th); every 歳入 節
    is assessed and received each month from April to November. All through the services, so the demo obeys
    every rule (hard stop, separation of duties, the journal, the audit trail)."""
    rng = random.Random(seed)  # noqa: S311 (demo figures, not a secret)
    vendors = _vendors(staff["zaisei"])
    to_pay: dict[int, list[PaymentOrder]] = {month: [] for month in MONTHS}
    assessments = 0
    for line, budget in amounts:
        if line.side == Side.EXPENDITURE and line.moku.is_reserve:
            continue
        spending = line.side == Side.EXPENDITURE
        for month in MONTHS if spending else REVENUE_MONTHS:
            day = date(YEAR, month, rng.randint(1, 20))
            amount = int(budget / 12 * (SPREAD if spending else 1) * rng.uniform(0.6, 1.0)) // 100 * 100
            if amount <= 0:
                continue
            if spending:
                to_pay[month].append(_spend(staff, line, amount, day, rng.choice(vendors)))
            else:
                _collect(staff, line, amount, day)
                assessments += 1
    for month, orders in to_pay.items():
        if orders:
            services.pay_orders(actor=staff["suitou"], orders=orders, paid_on=date(YEAR, month, PAY_DAY))
    return sum(len(orders) for orders in to_pay.values()), assessments


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
