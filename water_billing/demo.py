"""Demo water data (``manage.py seed_demo``): about 3,000 connections in 中土佐町 and 8,000 in 四万十町, tied to the
addresses of the demo residents' households, with a year of bimonthly readings, confirmed 調定 runs, payments
and some arrears. Bulk inserts; the bills come from the real run (water_billing.services.runs), so the demo
exercises the same rules. Idempotent: a town that has connections is left as it is.

四万十町's tariff was not found (docs/domain/water_billing.md §2): its demo tariff is fictional, in the shape of
中土佐町's, and the sewer tariff follows the shape of 四万十市's. Both are data an IT clerk replaces.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F, Sum
from django_tenants.utils import schema_context

from common import audit
from common.dates import local_today
from common.town_settings import record_setting, setting_in_force
from resident_records.models import Resident, ResidentStatus
from water_billing import rules, settings_keys
from water_billing.models import (
    Bill,
    BillingRun,
    BillState,
    BudgetArticle,
    CapitalItem,
    Channel,
    Connection,
    FundingSource,
    Payment,
    Period,
    Reading,
    ReadingGroup,
    Reduction,
    RunState,
    Service,
    Use,
)
from water_billing.services import books, budgets, capital, runs
from water_billing.services.tariffs import record_tariff

DEMO_CONNECTIONS = {"nakatosa": 3_000, "shimanto": 8_000}
DISTRICTS = {
    "nakatosa": ["久礼", "上ノ加江", "矢井賀", "大野見"],
    "shimanto": ["窪川", "大正", "十和", "影野", "仁井田", "興津"],
}
TOWN_NAMES = {"nakatosa": "高知県高岡郡中土佐町", "shimanto": "高知県高岡郡四万十町"}
DIAMETERS = [13] * 70 + [20] * 22 + [25] * 5 + [40] * 2 + [50]
PURPOSE = "デモ用水道データの登録(架空の使用者)"
UNPAID_SHARE = 0.03  # arrears left on the last periods


def _months(start: date, n: int) -> date:
    year, month = divmod(start.month - 1 + n, 12)
    return date(start.year + year, month + 1, 1)


def _periods(today: date) -> list[Period]:
    """Six two-month periods per reading group, the last ending before this month."""
    last_start = _months(today.replace(day=1), -3)
    periods = []
    for group, shift in ((ReadingGroup.ODD, 0), (ReadingGroup.EVEN, 1)):
        for index in range(6):
            starts = _months(last_start, shift - 2 * (5 - index))
            ends = _months(starts, 2) - timedelta(days=1)
            read_on = ends.replace(day=25)
            periods.append(
                Period(
                    code=f"{starts:%Y-%m}-{group}", group=group, starts_on=starts, ends_on=ends, read_on=read_on,
                    due_on=read_on + timedelta(days=30), debit_on=read_on + timedelta(days=30),
                )
            )  # fmt: skip
    return Period.objects.bulk_create(periods)


def _tariffs(schema: str) -> None:
    bases = [(13, 500), (20, 680), (25, 690), (30, 770), (40, 990), (50, 1270)]
    if schema != "nakatosa":
        bases = [(d, c + 100) for d, c in bases]
    record_tariff(
        actor=None, service=Service.WATER, effective_from=date(2024, 4, 1),
        bases=[rules.Base(d, c, 10) for d, c in bases], tiers=[rules.Tier(11, None, 120)],
        basis="中土佐町ウェブサイト 2024-04-11" if schema == "nakatosa" else "デモ用(架空)",
    )  # fmt: skip
    record_tariff(
        actor=None, service=Service.SEWER, effective_from=date(2024, 4, 1), bases=[rules.Base(None, 1000, 10)],
        tiers=[rules.Tier(11, 20, 110), rules.Tier(21, 50, 150), rules.Tier(51, None, 210)],
        basis="デモ用(四万十市の下水道使用料の形)",
    )  # fmt: skip


def _settings(schema: str) -> None:
    today = local_today()
    values = {
        settings_keys.DEBIT_REQUESTER_CODE: "1234567890" if schema == "nakatosa" else "2234567890",
        settings_keys.DEBIT_REQUESTER_NAME: "ﾅｶﾄｻﾁﾖｳｽｲﾄﾞｳ" if schema == "nakatosa" else "ｼﾏﾝﾄﾁﾖｳｽｲﾄﾞｳ",
        settings_keys.DEBIT_BANK_CODE: "0175",
        settings_keys.DEBIT_BRANCH_CODE: "232",
    }
    for key, value in values.items():
        if not setting_in_force(key, on=today):
            record_setting(actor=None, key=key, value=value, effective_from=today, basis=PURPOSE)


def _connections(schema: str, count: int, rng: random.Random) -> list[Connection]:
    heads = list(
        Resident.objects.filter(status=ResidentStatus.RESIDENT, relationship="世帯主")
        .order_by("atena_number")
        .values_list("atena_number", "family_name", "given_name", "family_name_kana", "given_name_kana", "address")[
            :count
        ]
    )
    districts = DISTRICTS[schema]
    welfare = Reduction.objects.create(code="seiho", name="生活保護", base_percent=100)
    rows = []
    for n in range(count):
        if n < len(heads):
            atena, family, given, family_kana, given_kana, address = heads[n]
            user, kana, use = f"{family}\u3000{given}", f"{family_kana} {given_kana}", Use.GENERAL
        else:
            atena, user, kana, use = "", f"デモ商店{n}", f"ﾃﾞﾓｼﾖｳﾃﾝ{n}", Use.BUSINESS
            address = f"{TOWN_NAMES[schema]}{districts[n % len(districts)]}{n}番地"
        installed = date(2017, 4, 1) + timedelta(days=rng.randrange(0, 3000))
        debit = rng.random() < 0.7
        rows.append(
            Connection(
                tap_number=f"{n + 1:08d}", address=address, district=districts[n % len(districts)],
                route_order=n // len(districts), group=ReadingGroup.ODD if n % 2 == 0 else ReadingGroup.EVEN,
                diameter_mm=rng.choice(DIAMETERS), meter_serial=f"M{rng.randrange(10**7):07d}",
                meter_installed_on=installed, user_name=user, user_kana=kana, resident_number=atena,
                owner_name=user, use=use, sewer=rng.random() < 0.4, opened_on=date(2010, 4, 1),
                reduction=welfare if rng.random() < 0.02 else None,
                bank_code="0578" if debit else "", branch_code="032" if debit else "",
                account_type="1" if debit else "", account_number=f"{rng.randrange(10**7):07d}" if debit else "",
                account_holder_kana="ﾃﾞﾓ ﾀﾛｳ" if debit else "",
            )
        )  # fmt: skip
    return Connection.objects.bulk_create(rows, batch_size=2000)


def _readings(connections: list[Connection], periods: list[Period], rng: random.Random) -> None:
    for group in (ReadingGroup.ODD, ReadingGroup.EVEN):
        mine = [c for c in connections if c.group == group]
        values = {c.pk: rng.randrange(0, 5000) for c in mine}
        for period in (p for p in periods if p.group == group):
            batch = []
            for c in mine:
                usage = max(0, int(rng.gauss(22 if c.use == Use.GENERAL else 45, 8)))
                previous = values[c.pk]
                value = (previous + usage) % 10_000
                batch.append(
                    Reading(
                        connection_id=c.pk, period=period, read_on=period.read_on, value=value,
                        previous_value=previous, usage_m3=usage, rollover=value < previous,
                        anomalies=["rollover"] if value < previous else (["zero_use"] if usage == 0 else []),
                    )
                )  # fmt: skip
                values[c.pk] = value
            Reading.objects.bulk_create(batch, batch_size=5000)


def _pay(periods: list[Period], rng: random.Random) -> None:
    """Every bill paid on its 納期限, but a few of the last two periods of each group (the demo's arrears)."""
    latest = sorted(periods, key=lambda p: p.starts_on)[-4:]
    for period in periods:
        bills = list(Bill.objects.filter(period=period).values_list("pk", "total", "connection__bank_code"))
        unpaid_share = UNPAID_SHARE if period in latest else 0.0
        paid = [(pk, total, bank) for pk, total, bank in bills if rng.random() >= unpaid_share]
        Payment.objects.bulk_create(
            [
                Payment(bill_id=pk, amount=total, paid_on=period.due_on,
                        channel=Channel.DEBIT if bank else Channel.COUNTER, reference="デモ")
                for pk, total, bank in paid
            ],
            batch_size=5000,
        )  # fmt: skip
        Bill.objects.filter(pk__in=[pk for pk, _, _ in paid]).update(paid_amount=F("total"), state=BillState.PAID)
        collected = Bill.objects.filter(period=period, state=BillState.PAID).aggregate(s=Sum("total"))["s"] or 0
        # One summarised receipt entry per period (the demo skips the per-payment postings of the services).
        books.post(
            posted_on=period.due_on, lines=[(books.CASH, collected, 0), (books.RECEIVABLE, 0, collected)],
            memo=f"デモ: 水道料金収納 {period.code}", source_type="water.demo_receipts", source_id=period.code,
        )  # fmt: skip


def _capital(today: date) -> None:
    """A 4条 budget, a few capital entries of this year and the 補填財源 of the shortfall (through the services)."""
    year = capital.fiscal_year_of(today)
    budget = {CapitalItem.BOND: 30_000_000, CapitalItem.SUBSIDY: 10_000_000, CapitalItem.CONSTRUCTION: 60_000_000,
              CapitalItem.REDEMPTION: 12_000_000}  # fmt: skip
    for item, amount in budget.items():
        budgets.record_budget_line(
            actor=None, fiscal_year=year, article=BudgetArticle.CAPITAL, account_code=item,
            name=CapitalItem(item).label, amount=amount,
        )  # fmt: skip
    for item, amount, memo in [
        (CapitalItem.BOND, 20_000_000, "デモ: 上水道事業債"),
        (CapitalItem.SUBSIDY, 6_000_000, "デモ: 生活基盤施設耐震化等交付金"),
        (CapitalItem.CONSTRUCTION, 41_800_000, "デモ: 配水管布設替工事"),
        (CapitalItem.REDEMPTION, 11_500_000, "デモ: 企業債元金償還"),
    ]:
        capital.record_capital_entry(actor=None, item=item, posted_on=today, amount=amount, memo=memo)
    capital.record_funding(actor=None, fiscal_year=year, source=FundingSource.RETAINED_DEPRECIATION, amount=27_300_000)


def seed_town(schema: str, count: int, *, seed: int = 2026) -> int | None:
    """Fill one town; None when it already has connections."""
    rng = random.Random(f"{schema}:{seed}")  # noqa: S311 (reproducible demo data, not a secret)
    with schema_context(schema):
        if Connection.objects.exists():
            return None
        _tariffs(schema)
        _settings(schema)
        with transaction.atomic():
            connections = _connections(schema, count, rng)
            periods = _periods(local_today())
            _readings(connections, periods, rng)
            audit.record(
                actor=None, action="water.demo.seed", obj=None, purpose=PURPOSE, personal_data=True,
                details={"connections": len(connections), "periods": len(periods)},
            )  # fmt: skip
        for period in periods:
            run = BillingRun.objects.create(period=period, started_by_name="デモ")
            run = runs.execute_run(run=run)
            if run.state == RunState.COMPLETED:
                runs.confirm_run(actor=None, run=run)
        with transaction.atomic():
            _pay(periods, rng)
        _capital(local_today())
    return len(connections)


def seed(write: Callable[[str], None]) -> None:
    for schema, count in DEMO_CONNECTIONS.items():
        started = time.perf_counter()
        created = seed_town(schema, count)
        if created is None:
            write(f"  {schema}: water connections already registered, left as they are.")
        else:
            write(f"  {schema}: {created} water connections, a year of readings and bills "
                  f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
