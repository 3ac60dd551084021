"""The 水道料金 data of one town (its schema): connections, tariffs, readings, billing runs, bills, payments and
the enterprise's double-entry ledger. Rules: docs/domain/water_billing.md.

Town tables never hold a foreign key into public: staff are stored as ``*_by_id`` plus a name snapshot.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.db import models
from django.db.models import Q

from common.ledger import ChainedLine

METER_VALIDITY_YEARS = 8  # 計量法施行令 別表第三 (docs/domain/water_billing.md §1)


class Service(models.TextChoices):
    WATER = "water", "水道"
    SEWER = "sewer", "下水道"


class Supply(models.TextChoices):
    MAIN = "main", "上水道"
    SMALL = "small", "簡易水道"


class Use(models.TextChoices):
    GENERAL = "general", "一般"
    BUSINESS = "business", "営業"
    TEMPORARY = "temporary", "臨時"
    BATH = "bath", "公衆浴場"
    PUBLIC = "public", "官公署"


class ReadingGroup(models.IntegerChoices):
    ODD = 1, "奇数月検針"
    EVEN = 2, "偶数月検針"


class Reduction(models.Model):
    """減免区分 (生活保護 …): percentages of the base and volume charges waived (§2.6)."""

    code = models.CharField("区分コード", max_length=20, unique=True)
    name = models.CharField("名称", max_length=50)
    base_percent = models.PositiveSmallIntegerField("基本料金の減免率(%)", default=0)
    volume_percent = models.PositiveSmallIntegerField("従量料金の減免率(%)", default=0)

    class Meta:
        verbose_name = "減免区分"
        verbose_name_plural = "減免区分"

    def __str__(self) -> str:
        return self.name


class Connection(models.Model):
    """A 給水装置 and its contract (§1). Named in URLs by its 水栓番号."""

    tap_number = models.CharField("水栓番号", max_length=20, unique=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    address = models.CharField("設置場所", max_length=200)
    district = models.CharField("地区", max_length=50, db_index=True)
    route_order = models.PositiveIntegerField("検針順路", default=0)
    group = models.PositiveSmallIntegerField("検針月", choices=ReadingGroup.choices, default=ReadingGroup.ODD)
    diameter_mm = models.PositiveSmallIntegerField("口径(mm)")
    meter_serial = models.CharField("メーター番号", max_length=30)
    meter_installed_on = models.DateField("メーター設置日")
    meter_digits = models.PositiveSmallIntegerField("メーター桁数", default=4)
    user_name = models.CharField("使用者", max_length=100)
    user_kana = models.CharField("使用者(カナ)", max_length=100, blank=True)
    resident_number = models.CharField("使用者の宛名番号", max_length=15, blank=True, db_index=True)
    owner_name = models.CharField("所有者", max_length=100, blank=True)
    use = models.CharField("用途", max_length=20, choices=Use.choices, default=Use.GENERAL)
    supply = models.CharField("水道の種別", max_length=10, choices=Supply.choices, default=Supply.MAIN)
    sewer = models.BooleanField("下水道使用料を併せて請求", default=False)
    reduction = models.ForeignKey(Reduction, on_delete=models.PROTECT, null=True, blank=True, verbose_name="減免区分")
    opened_on = models.DateField("開栓日")
    closed_on = models.DateField("閉栓日", null=True, blank=True)
    stopped = models.BooleanField("給水停止中", default=False)
    # 口座振替 (docs/domain/water_billing.md §6); empty bank_code: pays by 納付書.
    bank_code = models.CharField("金融機関コード", max_length=4, blank=True)
    branch_code = models.CharField("支店コード", max_length=3, blank=True)
    account_type = models.CharField("預金種目", max_length=1, blank=True)
    account_number = models.CharField("口座番号", max_length=7, blank=True)
    account_holder_kana = models.CharField("口座名義(カナ)", max_length=30, blank=True)

    class Meta:
        verbose_name = "給水装置"
        verbose_name_plural = "給水装置"
        indexes = [models.Index(fields=["group", "district", "route_order"])]

    def __str__(self) -> str:
        return self.tap_number

    @property
    def meter_expires_on(self) -> date:
        return meter_expiry(self.meter_installed_on)

    @property
    def pays_by_debit(self) -> bool:
        return bool(self.bank_code and self.account_number)


def meter_expiry(installed_on: date) -> date:
    """検定満期: 8 years after installation (§1); 29 February becomes 28 February."""
    try:
        return installed_on.replace(year=installed_on.year + METER_VALIDITY_YEARS)
    except ValueError:
        return installed_on.replace(year=installed_on.year + METER_VALIDITY_YEARS, day=28)


class Tariff(models.Model):
    """One version of a tariff (§2), from its 施行日. Never edited: a revision is a new version."""

    service = models.CharField("区分", max_length=10, choices=Service.choices)
    supply = models.CharField("水道の種別", max_length=10, choices=Supply.choices, default=Supply.MAIN)
    effective_from = models.DateField("施行日")
    basis = models.CharField("根拠(条例等)", max_length=200, blank=True)
    recorded_by_id = models.BigIntegerField("登録者ID", null=True)
    recorded_by_name = models.CharField("登録者", max_length=100, blank=True)
    recorded_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        verbose_name = "料金表"
        verbose_name_plural = "料金表"
        constraints = [
            models.UniqueConstraint(fields=["service", "supply", "effective_from"], name="water_tariff_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.get_service_display()} {self.effective_from}"


class TariffBase(models.Model):
    """基本料金 by 口径 (``diameter_mm`` null: every 口径, as the sewer tariff) with its included volume."""

    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="bases")
    diameter_mm = models.PositiveSmallIntegerField("口径(mm)", null=True, blank=True)
    charge = models.PositiveIntegerField("基本料金(月額・円)")
    included_m3 = models.PositiveIntegerField("基本水量(m³)", default=0)

    class Meta:
        verbose_name = "基本料金"
        verbose_name_plural = "基本料金"
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "diameter_mm"], name="water_tariff_base_unique", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.diameter_mm or '全'}mm {self.charge}円"


class TariffTier(models.Model):
    """従量料金: m³ ``from_m3``–``to_m3`` of a month (inclusive; ``to_m3`` null: no upper bound) at ``price``."""

    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="tiers")
    from_m3 = models.PositiveIntegerField("から(m³)")
    to_m3 = models.PositiveIntegerField("まで(m³)", null=True, blank=True)
    price = models.PositiveIntegerField("単価(円/m³)")

    class Meta:
        verbose_name = "従量料金"
        verbose_name_plural = "従量料金"
        ordering = ["from_m3"]

    def __str__(self) -> str:
        return f"{self.from_m3}〜{self.to_m3 or ''}m³ {self.price}円"


class Period(models.Model):
    """A two-month billing period of one reading group: its months, reading date and 納期限."""

    code = models.CharField("期", max_length=20, unique=True)  # e.g. 2026-04 (April–May)
    group = models.PositiveSmallIntegerField("検針月", choices=ReadingGroup.choices)
    starts_on = models.DateField("開始日")
    ends_on = models.DateField("終了日")
    read_on = models.DateField("検針日")
    due_on = models.DateField("納期限")
    debit_on = models.DateField("口座振替日", null=True, blank=True)

    class Meta:
        verbose_name = "料金期"
        verbose_name_plural = "料金期"
        ordering = ["starts_on"]

    def __str__(self) -> str:
        return self.code


class Reading(models.Model):
    """A meter reading of one connection for one period (§3)."""

    class Anomaly(models.TextChoices):
        ROLLOVER = "rollover", "メーター一巡"
        ZERO = "zero_use", "使用水量ゼロ(使用中)"
        SPIKE = "spike", "前年同期の3倍超"
        EXCHANGE = "exchange", "期中のメーター交換"
        ESTIMATED = "estimated", "認定"

    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="readings")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="readings")
    read_on = models.DateField("検針日")
    value = models.PositiveIntegerField("指針")
    previous_value = models.PositiveIntegerField("前回指針")
    usage_m3 = models.PositiveIntegerField("使用水量(m³)")
    estimated = models.BooleanField("認定", default=False)
    rollover = models.BooleanField("メーター一巡", default=False)
    # 期中のメーター交換: the old meter's final reading and the new meter's initial reading.
    exchanged_old_final = models.PositiveIntegerField("旧メーター撤去時指針", null=True, blank=True)
    exchanged_new_initial = models.PositiveIntegerField("新メーター取付時指針", null=True, blank=True)
    anomalies = models.JSONField("要確認", default=list, blank=True)
    recorded_by_id = models.BigIntegerField("入力者ID", null=True)
    recorded_by_name = models.CharField("入力者", max_length=100, blank=True)

    class Meta:
        verbose_name = "検針"
        verbose_name_plural = "検針"
        constraints = [models.UniqueConstraint(fields=["connection", "period"], name="water_one_reading_per_period")]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.period_id}"


class RunState(models.TextChoices):
    RUNNING = "running", "実行中"
    COMPLETED = "completed", "作成済み(未確定)"
    CONFIRMED = "confirmed", "調定済み"
    CANCELLED = "cancelled", "取消"
    FAILED = "failed", "失敗"


class BillingRun(models.Model):
    """A 調定 run of one period (and optionally one district). Its summary is checked against its bills."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="runs")
    district = models.CharField("地区", max_length=50, blank=True)
    state = models.CharField("状態", max_length=10, choices=RunState.choices, default=RunState.RUNNING)
    job_id = models.UUIDField("処理ID", null=True, blank=True)
    bill_count = models.PositiveIntegerField("件数", default=0)
    pre_tax_total = models.BigIntegerField("税抜額", default=0)
    tax_total = models.BigIntegerField("消費税額", default=0)
    total = models.BigIntegerField("請求額", default=0)
    skipped = models.PositiveIntegerField("既調定のため対象外", default=0)
    unread = models.PositiveIntegerField("検針未了", default=0)
    started_by_id = models.BigIntegerField("実行者ID", null=True)
    started_by_name = models.CharField("実行者", max_length=100, blank=True)
    started_at = models.DateTimeField("開始日時", auto_now_add=True)
    confirmed_at = models.DateTimeField("調定日時", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消日時", null=True, blank=True)

    class Meta:
        verbose_name = "調定処理"
        verbose_name_plural = "調定処理"

    def __str__(self) -> str:
        return str(self.public_id)


class BillState(models.TextChoices):
    UNPAID = "unpaid", "未納"
    PAID = "paid", "納付済"
    VOID = "void", "取消"


class Bill(models.Model):
    """One itemised bill per connection and period (§4). ``number`` is the 顧客番号 of the debit file."""

    number = models.CharField("請求番号", max_length=20, unique=True)
    run = models.ForeignKey(BillingRun, on_delete=models.PROTECT, related_name="bills")
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="bills")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="bills")
    usage_m3 = models.PositiveIntegerField("使用水量(m³)")
    water_pre_tax = models.IntegerField("水道料金(税抜)")
    water_tax = models.IntegerField("水道料金の消費税")
    sewer_pre_tax = models.IntegerField("下水道使用料(税抜)", default=0)
    sewer_tax = models.IntegerField("下水道使用料の消費税", default=0)
    total = models.IntegerField("請求額")
    items = models.JSONField("内訳", default=list)
    due_on = models.DateField("納期限")
    state = models.CharField("状態", max_length=10, choices=BillState.choices, default=BillState.UNPAID)
    paid_amount = models.IntegerField("収納額", default=0)
    debit_result = models.CharField("口座振替結果", max_length=40, blank=True)

    class Meta:
        verbose_name = "請求"
        verbose_name_plural = "請求"
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "period"], condition=~Q(state="void"), name="water_one_bill_per_period"
            )
        ]
        indexes = [models.Index(fields=["state", "due_on"])]

    def __str__(self) -> str:
        return self.number

    @property
    def balance(self) -> int:
        return self.total - self.paid_amount


class Channel(models.TextChoices):
    DEBIT = "debit", "口座振替"
    COUNTER = "counter", "窓口"
    CONVENIENCE = "convenience", "コンビニ収納"
    REFUND = "refund", "還付"


class Payment(models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="payments")
    amount = models.IntegerField("収納額")
    paid_on = models.DateField("収納日")
    channel = models.CharField("収納方法", max_length=12, choices=Channel.choices)
    reference = models.CharField("参照番号", max_length=40, blank=True)
    plan = models.ForeignKey(
        "water_billing.InstallmentPlan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name="分納計画",
    )
    recorded_by_id = models.BigIntegerField("入力者ID", null=True)
    recorded_by_name = models.CharField("入力者", max_length=100, blank=True)
    recorded_at = models.DateTimeField("入力日時", auto_now_add=True)

    class Meta:
        verbose_name = "収納"
        verbose_name_plural = "収納"

    def __str__(self) -> str:
        return f"{self.bill_id} {self.amount}"


class DebitImport(models.Model):
    """A bank result file that was reconciled (one row per accepted file; a refused file leaves nothing)."""

    digest = models.CharField("ファイルのSHA-256", max_length=64, unique=True)
    debit_on = models.DateField("引落日")
    succeeded = models.PositiveIntegerField("振替済件数")
    failed = models.PositiveIntegerField("振替不能件数")
    recorded_by_id = models.BigIntegerField("取込者ID", null=True)
    recorded_by_name = models.CharField("取込者", max_length=100, blank=True)
    recorded_at = models.DateTimeField("取込日時", auto_now_add=True)

    class Meta:
        verbose_name = "口座振替結果"
        verbose_name_plural = "口座振替結果"

    def __str__(self) -> str:
        return f"{self.debit_on} {self.digest[:12]}"


class LedgerLine(ChainedLine):
    """The enterprise's books (地方公営企業法 第20条): one line per debit or credit, grouped by ``entry``."""

    entry = models.BigIntegerField("仕訳番号", db_index=True)
    posted_on = models.DateField("計上日", db_index=True)
    account_code = models.CharField("勘定科目", max_length=8)
    debit = models.BigIntegerField("借方", default=0)
    credit = models.BigIntegerField("貸方", default=0)
    memo = models.CharField("摘要", max_length=200, blank=True)
    source_type = models.CharField("発生源", max_length=40)
    source_id = models.CharField("発生源ID", max_length=64)

    chained_fields = ("entry", "posted_on", "account_code", "debit", "credit", "memo", "source_type", "source_id")

    class Meta:
        verbose_name = "仕訳"
        verbose_name_plural = "仕訳"


class MoveTaskKind(models.TextChoices):
    OPEN = "open", "開栓"
    CLOSE = "close", "閉栓"
    TRANSFER = "transfer", "名義変更"
    MOVE = "move", "閉栓・開栓(転居)"


class MoveTaskState(models.TextChoices):
    OPEN = "open", "未処理"
    DONE = "done", "処理済"
    DISMISSED = "dismissed", "対応不要"


class MoveTask(models.Model):
    """A 開栓 / 閉栓 / 名義変更 task from a 異動 in the resident register (docs/domain/water_billing.md §8): the
    clerk confirms it; nothing changes a contract on its own."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_id = models.BigIntegerField("異動ID")
    atena_number = models.CharField("宛名番号", max_length=15)
    kind = models.CharField("処理", max_length=10, choices=MoveTaskKind.choices)
    event_kind = models.CharField("異動事由", max_length=30)
    event_date = models.DateField("異動日")
    name = models.CharField("氏名", max_length=100)
    kana = models.CharField("フリガナ", max_length=200, blank=True)
    address = models.CharField("住所", max_length=300)
    previous_address = models.CharField("従前の住所", max_length=300, blank=True)
    tap_number = models.CharField("該当の水栓番号", max_length=20, blank=True)
    state = models.CharField("状態", max_length=10, choices=MoveTaskState.choices, default=MoveTaskState.OPEN)
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    resolved_by_id = models.BigIntegerField("処理者ID", null=True, blank=True)
    resolved_by_name = models.CharField("処理者", max_length=100, blank=True)
    resolved_at = models.DateTimeField("処理日時", null=True, blank=True)

    class Meta:
        verbose_name = "異動連携の処理"
        verbose_name_plural = "異動連携の処理"
        constraints = [models.UniqueConstraint(fields=["event_id", "atena_number"], name="water_one_task_per_move")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.atena_number}"


class FeedCursor(models.Model):
    """How far the water office has read the resident register's 異動 (one row per feed, in the town's schema)."""

    name = models.CharField("連携", max_length=40, unique=True)
    last_event_id = models.BigIntegerField("最後に読んだ異動ID", default=0)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        verbose_name = "異動連携の読取位置"
        verbose_name_plural = "異動連携の読取位置"

    def __str__(self) -> str:
        return f"{self.name}: {self.last_event_id}"


class NoticeKind(models.TextChoices):
    DUNNING = "dunning", "督促状"
    REMINDER = "reminder", "催告書"
    STOP_NOTICE = "stop_notice", "給水停止予告"
    STOP = "stop", "給水停止"
    REOPEN = "reopen", "開栓(給水再開)"


class Notice(models.Model):
    """A step of 滞納整理 for one connection (docs/domain/water_billing.md §7), with the bills it concerns."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField("種類", max_length=12, choices=NoticeKind.choices)
    issued_on = models.DateField("発付日")
    deadline = models.DateField("指定期限", null=True, blank=True)
    bills = models.ManyToManyField(Bill, related_name="notices", blank=True)
    amount = models.IntegerField("対象の未納額", default=0)
    fee = models.IntegerField("督促手数料", default=0)
    late = models.BooleanField("発付期限後の発付", default=False)
    recorded_by_id = models.BigIntegerField("発付者ID", null=True)
    recorded_by_name = models.CharField("発付者", max_length=100, blank=True)

    class Meta:
        verbose_name = "滞納整理の記録"
        verbose_name_plural = "滞納整理の記録"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.issued_on}"


class PlanEnd(models.TextChoices):
    COMPLETED = "completed", "完納"
    BROKEN = "broken", "不履行"
    REPLACED = "replaced", "新しい分納計画に変更"


class InstallmentPlan(models.Model):
    """分納 (an agreed schedule of partial payments) for a connection's arrears; stops the step sequence while kept."""

    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="plans")
    agreed_on = models.DateField("誓約日")
    total = models.IntegerField("分納対象額")
    schedule = models.JSONField("納付計画", default=list)  # [{"due": "YYYY-MM-DD", "amount": int}]
    active = models.BooleanField("履行中", default=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ended_on = models.DateField("終了日", null=True, blank=True)
    end_reason = models.CharField("終了の理由", max_length=10, choices=PlanEnd.choices, blank=True)
    recorded_by_id = models.BigIntegerField("登録者ID", null=True)
    recorded_by_name = models.CharField("登録者", max_length=100, blank=True)

    class Meta:
        verbose_name = "分納計画"
        verbose_name_plural = "分納計画"

    def __str__(self) -> str:
        return f"分納 {self.connection_id} {self.total}"


class BudgetArticle(models.TextChoices):
    REVENUE = "3", "収益的収支(3条予算)"
    CAPITAL = "4", "資本的収支(4条予算)"


class BudgetLine(models.Model):
    """One line of the enterprise's budget (地方公営企業法 第24条; 3条/4条), per fiscal year and account. A 補正 is a
    new revision, never an edit; the latest revision is in force."""

    fiscal_year = models.PositiveSmallIntegerField("年度")
    article = models.CharField("予算の区分", max_length=1, choices=BudgetArticle.choices)
    account_code = models.CharField("科目コード", max_length=8)
    name = models.CharField("科目", max_length=50)
    revision = models.PositiveSmallIntegerField("補正回数", default=0)
    amount = models.BigIntegerField("予算額")
    recorded_by_id = models.BigIntegerField("登録者ID", null=True)
    recorded_by_name = models.CharField("登録者", max_length=100, blank=True)
    recorded_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        verbose_name = "予算"
        verbose_name_plural = "予算"
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "article", "account_code", "revision"], name="water_budget_revision_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year} {self.name}"


# The module's other models, in files of their own (registered with Django by this import).
from water_billing.models_capital import CapitalEntry, CapitalFunding, CapitalItem, FundingSource  # noqa: E402
from water_billing.models_claims import (  # noqa: E402
    FinalReadingRequest,
    Surcharge,
    SurchargeKind,
    SurchargePayment,
    SurchargeState,
)

__all__ = [
    "CapitalEntry", "CapitalFunding", "CapitalItem", "FinalReadingRequest", "FundingSource", "Surcharge",
    "SurchargeKind", "SurchargePayment", "SurchargeState",
]  # fmt: skip
