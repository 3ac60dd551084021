"""財務会計: 会計, 会計年度, the 款項目節 tree, budget versions, the journal, vendors, commitments and payments.

Every financial event is a ``JournalLine`` (append-only, hash-chained, common.ledger); 予算現額, 負担行為済額,
支出済額, 調定額 and 収入済額 are sums over it, never stored twice. The documents (支出負担行為, 支出命令, 調定) hold
their state and who did each step; their money moves only through the journal. Rules: docs/domain/finance.md.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from common.ledger import ChainedLine


class AccountKind(models.TextChoices):
    GENERAL = "general", "一般会計"
    SPECIAL = "special", "特別会計"


class Account(models.Model):
    """A 会計 of the town: 一般会計 (code 01) and its 特別会計 (国民健康保険事業特別会計 …)."""

    code = models.CharField("会計コード", max_length=2, unique=True)
    name = models.CharField("会計名", max_length=60)
    kind = models.CharField("種別", max_length=10, choices=AccountKind.choices)

    class Meta:
        verbose_name = "会計"
        verbose_name_plural = "会計"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class FiscalYear(models.Model):
    """One 会計年度 of one 会計; locked for good once its 決算 is recorded (docs/domain/finance.md §2)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="years", verbose_name="会計")
    year = models.PositiveIntegerField("年度(西暦の開始年)")
    closed_at = models.DateTimeField("決算日時", null=True, blank=True)
    closed_by_id = models.BigIntegerField("決算者ID", null=True, blank=True)
    closed_by_name = models.CharField("決算者氏名", max_length=100, blank=True)

    class Meta:
        verbose_name = "会計年度"
        verbose_name_plural = "会計年度"
        ordering = ["account__code", "year"]
        constraints = [models.UniqueConstraint(fields=["account", "year"], name="finance_year_unique")]

    def __str__(self) -> str:
        return f"{self.account.name} {self.year}年度"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Side(models.TextChoices):
    REVENUE = "revenue", "歳入"
    EXPENDITURE = "expenditure", "歳出"


class Subject(models.Model):
    """A 款 (level 1), 項 (level 2) or 目 (level 3) of one year's budget; ``code`` is "KK", "KK-KK" or "KK-KK-KK"."""

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="subjects")
    side = models.CharField("歳入歳出", max_length=12, choices=Side.choices)
    level = models.PositiveSmallIntegerField("階層")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    code = models.CharField("科目コード", max_length=8)
    name = models.CharField("科目名", max_length=60)
    # The 予備費 款: the only source of a 充用 (地方自治法 第217条).
    is_reserve = models.BooleanField("予備費", default=False)

    class Meta:
        verbose_name = "款項目"
        verbose_name_plural = "款項目"
        ordering = ["fiscal_year", "side", "code"]
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "side", "code"], name="finance_subject_unique"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="finance_subject_level"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BudgetLine(models.Model):
    """A 節 (or 細節) under a 目: the row a commitment locks (SELECT … FOR UPDATE) for the hard stop."""

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="lines")
    side = models.CharField("歳入歳出", max_length=12, choices=Side.choices)
    moku = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="lines", verbose_name="目")
    budget_code = models.CharField("目のコード", max_length=8)
    setsu = models.CharField("節", max_length=2)
    saisetsu = models.CharField("細節", max_length=2, blank=True)
    name = models.CharField("節・細節の名称", max_length=60)
    department_code = models.CharField("所管課コード", max_length=20, blank=True)
    department_name = models.CharField("所管課名", max_length=100, blank=True)

    class Meta:
        verbose_name = "節"
        verbose_name_plural = "節"
        ordering = ["fiscal_year", "side", "budget_code", "setsu", "saisetsu"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "side", "budget_code", "setsu", "saisetsu"], name="finance_line_unique"
            )
        ]

    def __str__(self) -> str:
        suffix = f"-{self.saisetsu}" if self.saisetsu else ""
        return f"{self.budget_code} 節{self.setsu}{suffix} {self.name}"

    @property
    def label(self) -> str:
        return str(self)


class BudgetVersion(models.Model):
    """当初予算 (number 0) or 補正予算第n号: each its own version, amounts per 節 (予算現額 sums them)."""

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField("号")
    decided_on = models.DateField("議決日")
    note = models.CharField("備考", max_length=200, blank=True)
    created_by_id = models.BigIntegerField(null=True)
    created_by_name = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = "予算の版"
        verbose_name_plural = "予算の版"
        ordering = ["fiscal_year", "number"]
        constraints = [models.UniqueConstraint(fields=["fiscal_year", "number"], name="finance_version_unique")]

    def __str__(self) -> str:
        return "当初予算" if self.number == 0 else f"補正予算第{self.number}号"


class BudgetAmount(models.Model):
    version = models.ForeignKey(BudgetVersion, on_delete=models.PROTECT, related_name="amounts")
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="version_amounts")
    amount = models.BigIntegerField("補正額・予算額")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "line"], name="finance_version_line_unique")]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.amount:,}円"


class EntryKind(models.TextChoices):
    # What raises or lowers 予算現額.
    BUDGET = "budget", "予算(当初・補正)"
    TRANSFER = "transfer", "流用"
    RESERVE = "reserve", "予備費充用"
    CARRY_IN = "carry_in", "前年度繰越"
    # Recorded in the old year: 翌年度繰越額 of the 決算書.
    CARRY_OUT = "carry_out", "翌年度繰越"
    # Expenditure.
    COMMITMENT = "commitment", "支出負担行為"
    PAYMENT = "payment", "支出"
    # Revenue.
    ASSESSMENT = "assessment", "調定"
    RECEIPT = "receipt", "収入"
    WRITE_OFF = "write_off", "不納欠損"


BUDGET_KINDS = (EntryKind.BUDGET, EntryKind.TRANSFER, EntryKind.RESERVE, EntryKind.CARRY_IN)


class JournalLine(ChainedLine):
    """One financial event on one 節: signed yen (a 戻入, 減額 or 取消 is a negative line, never an edit)."""

    posted_on = models.DateField("計上日")
    fiscal_year = models.PositiveIntegerField("年度")
    account_code = models.CharField("会計", max_length=2)
    side = models.CharField("歳入歳出", max_length=12, choices=Side.choices)
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="journal", db_index=False)
    budget_code = models.CharField("目のコード", max_length=8)
    setsu = models.CharField("節", max_length=2)
    saisetsu = models.CharField("細節", max_length=2, blank=True)
    department_code = models.CharField("課コード", max_length=20, blank=True)
    kind = models.CharField("種別", max_length=12, choices=EntryKind.choices)
    amount = models.BigIntegerField("金額")
    source_type = models.CharField("伝票の種類", max_length=30)
    source_number = models.CharField("伝票番号", max_length=30)
    memo = models.CharField("摘要", max_length=200, blank=True)
    actor_id = models.BigIntegerField("処理者ID", null=True)
    actor_name = models.CharField("処理者", max_length=100, blank=True)

    chained_fields = (
        "posted_on",
        "fiscal_year",
        "account_code",
        "side",
        "line",
        "budget_code",
        "setsu",
        "saisetsu",
        "department_code",
        "kind",
        "amount",
        "source_type",
        "source_number",
        "memo",
        "actor_id",
    )

    class Meta:
        verbose_name = "仕訳"
        verbose_name_plural = "仕訳"
        indexes = [
            # The hard stop and the 予算差引簿 sum one 節's lines by kind.
            models.Index(fields=["line", "kind"], name="finance_journal_line_kind", include=["amount"]),
            # 予算執行状況表: one year's lines grouped by 款項目節.
            models.Index(fields=["fiscal_year", "side"], name="finance_journal_year"),
        ]


class VendorKind(models.TextChoices):
    CORPORATION = "corporation", "法人"
    INDIVIDUAL = "individual", "個人"


class Vendor(models.Model):
    """A 債権者 (vendor or payee). An individual's entry is personal data: read through the audited selector."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("区分", max_length=12, choices=VendorKind.choices)
    name = models.CharField("名称・氏名", max_length=100)
    name_kana = models.CharField("フリガナ", max_length=100)
    corporate_number = models.CharField("法人番号", max_length=13, blank=True)
    invoice_number = models.CharField("インボイス登録番号", max_length=14, blank=True)
    address = models.CharField("住所", max_length=200, blank=True)
    bank_code = models.CharField("金融機関コード", max_length=4, blank=True)
    branch_code = models.CharField("支店コード", max_length=3, blank=True)
    account_type = models.CharField("預金種目", max_length=1, blank=True)
    account_number = models.CharField("口座番号", max_length=7, blank=True)
    account_holder_kana = models.CharField("口座名義(カナ)", max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "債権者"
        verbose_name_plural = "債権者"
        ordering = ["name_kana"]

    def __str__(self) -> str:
        # Individuals are named by their id only (docs/audit.md: no personal data in object_repr).
        return self.name if self.kind == VendorKind.CORPORATION else f"債権者 {self.public_id}"


class CommitmentKind(models.TextChoices):
    NORMAL = "normal", "通常"
    ADVANCE = "advance", "概算払"
    PREPAYMENT = "prepayment", "前金払"


class CommitmentStatus(models.TextChoices):
    COMMITTED = "committed", "負担行為済"
    INSPECTED = "inspected", "検収済"
    ORDERED = "ordered", "支出命令済"
    PAID = "paid", "支出済"
    SETTLED = "settled", "精算済"
    CANCELLED = "cancelled", "取消"


class Commitment(models.Model):
    """支出負担行為 (地方自治法 第232条の3). Its amount moves through the journal; ``amount`` is what was decided
    and is reduced only by a new journal line (減額・戻入), recorded here as the document's current figure."""

    number = models.CharField("負担行為番号", max_length=30, unique=True)
    fiscal_year = models.PositiveIntegerField("年度")
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="commitments")
    kind = models.CharField("区分", max_length=12, choices=CommitmentKind.choices, default=CommitmentKind.NORMAL)
    status = models.CharField("状態", max_length=12, choices=CommitmentStatus.choices)
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="commitments")
    payee_name = models.CharField("債権者名", max_length=100)
    amount = models.BigIntegerField("負担行為額")
    purpose = models.CharField("件名・目的", max_length=200)
    committed_on = models.DateField("負担行為日")
    department_code = models.CharField("課コード", max_length=20, blank=True)
    department_name = models.CharField("課名", max_length=100, blank=True)
    source_key = models.CharField("連携元キー", max_length=100, blank=True)
    committed_by_id = models.BigIntegerField()
    committed_by_name = models.CharField(max_length=100)
    inspected_on = models.DateField("検収日", null=True, blank=True)
    inspected_by_id = models.BigIntegerField(null=True, blank=True)
    inspected_by_name = models.CharField(max_length=100, blank=True)
    settled_on = models.DateField("精算日", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "支出負担行為"
        verbose_name_plural = "支出負担行為"
        ordering = ["-fiscal_year", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"], condition=~Q(source_key=""), name="finance_commitment_source_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="finance_commitment_amount"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderStatus(models.TextChoices):
    ORDERED = "ordered", "審査待ち"
    APPROVED = "approved", "審査済(支払待ち)"
    RETURNED = "returned", "差戻し"
    PAID = "paid", "支払済"


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", "口座振込(総合振込)"
    COUNTER = "counter", "窓口払"
    # Paid by the posting module's own bank file (payroll's 給与振込): finance records the payment only.
    EXTERNAL = "external", "連携元の振込(給与振込等)"


class PaymentOrder(models.Model):
    """支出命令 (地方自治法 第232条の4第1項), checked by the 会計管理者 (同条第2項) before it is paid."""

    number = models.CharField("支出命令番号", max_length=30, unique=True)
    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="orders")
    amount = models.BigIntegerField("支出命令額")
    pay_on = models.DateField("支払予定日")
    method = models.CharField("支払方法", max_length=10, choices=PaymentMethod.choices)
    status = models.CharField("状態", max_length=10, choices=OrderStatus.choices)
    ordered_by_id = models.BigIntegerField()
    ordered_by_name = models.CharField(max_length=100)
    audited_by_id = models.BigIntegerField(null=True, blank=True)
    audited_by_name = models.CharField(max_length=100, blank=True)
    audit_note = models.CharField("審査意見", max_length=200, blank=True)
    paid_on = models.DateField("支払日", null=True, blank=True)
    paid_by_id = models.BigIntegerField(null=True, blank=True)
    paid_by_name = models.CharField(max_length=100, blank=True)
    batch = models.ForeignKey("PaymentBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="orders")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "支出命令"
        verbose_name_plural = "支出命令"
        ordering = ["-number"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="finance_order_amount")]

    def __str__(self) -> str:
        return self.number


class PaymentBatch(models.Model):
    """One payment run: the 総合振込 file sent to the designated bank (指定金融機関), or a 窓口払."""

    pay_on = models.DateField("支払日")
    method = models.CharField("支払方法", max_length=10, choices=PaymentMethod.choices)
    record_count = models.PositiveIntegerField("件数")
    total_amount = models.BigIntegerField("合計金額")
    zengin_file = models.BinaryField("全銀ファイル", null=True, blank=True)
    created_by_id = models.BigIntegerField()
    created_by_name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "支払"
        verbose_name_plural = "支払"

    def __str__(self) -> str:
        return f"{self.pay_on} {self.get_method_display()} {self.record_count}件"


class FinanceCounter(models.Model):
    """Gapless numbers per kind and fiscal year (common.serials): 負担行為番号, 支出命令番号, 調定番号."""

    year = models.PositiveIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class CommitmentCounter(FinanceCounter):
    pass


class OrderCounter(FinanceCounter):
    pass


class AssessmentCounter(FinanceCounter):
    pass


class AssessmentStatus(models.TextChoices):
    OPEN = "open", "未収"
    RECEIVED = "received", "収入済"
    WRITTEN_OFF = "written_off", "不納欠損"


class Assessment(models.Model):
    """調定 (地方自治法 第231条, 施行令 第154条): what the town is owed, against a 歳入 節."""

    number = models.CharField("調定番号", max_length=30, unique=True)
    fiscal_year = models.PositiveIntegerField("年度")
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="assessments")
    payer_name = models.CharField("納入義務者", max_length=100)
    payer_address = models.CharField("住所", max_length=200, blank=True)
    amount = models.BigIntegerField("調定額")
    purpose = models.CharField("件名", max_length=200)
    assessed_on = models.DateField("調定日")
    due_on = models.DateField("納期限")
    status = models.CharField("状態", max_length=12, choices=AssessmentStatus.choices)
    assessed_by_id = models.BigIntegerField()
    assessed_by_name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "調定"
        verbose_name_plural = "調定"
        ordering = ["-fiscal_year", "-number"]

    def __str__(self) -> str:
        return self.number


class CostSharingStatus(models.TextChoices):
    DRAFT = "draft", "試算"
    APPROVED = "approved", "承認済"
    POSTED = "posted", "各町に計上済"


class CostSharingPlan(models.Model):
    """協議会負担金 of one year (kept in the council's schema): the council's cost, the formula and its inputs."""

    fiscal_year = models.PositiveIntegerField("年度", unique=True)
    total_cost = models.BigIntegerField("協議会の年間経費")
    equal_percent = models.PositiveSmallIntegerField("均等割(%)")
    population_percent = models.PositiveSmallIntegerField("人口割(%)")
    usage_percent = models.PositiveSmallIntegerField("利用割(%)")
    staff_weight = models.PositiveSmallIntegerField("利用割のうち職員アカウント(%)")
    certificate_weight = models.PositiveSmallIntegerField("利用割のうち証明書交付(%)")
    storage_weight = models.PositiveSmallIntegerField("利用割のうち保存データ(%)")
    population_base_date = models.DateField("人口の基準日")
    usage_since = models.DateField("利用実績の期間(開始)")
    usage_until = models.DateField("利用実績の期間(終了)")
    budget_code = models.CharField("各町の計上科目(目)", max_length=8)
    status = models.CharField("状態", max_length=10, choices=CostSharingStatus.choices)
    calculated_by_id = models.BigIntegerField()
    calculated_by_name = models.CharField(max_length=100)
    approved_by_id = models.BigIntegerField(null=True, blank=True)
    approved_by_name = models.CharField(max_length=100, blank=True)
    posted_on = models.DateField("計上日", null=True, blank=True)

    class Meta:
        verbose_name = "協議会負担金"
        verbose_name_plural = "協議会負担金"
        ordering = ["-fiscal_year"]

    def __str__(self) -> str:
        return f"{self.fiscal_year}年度 協議会負担金"


class CostSharingLine(models.Model):
    """One member town's share, with every input it was computed from."""

    plan = models.ForeignKey(CostSharingPlan, on_delete=models.CASCADE, related_name="lines")
    town_schema = models.CharField("自治体", max_length=63)
    town_name = models.CharField("自治体名", max_length=100)
    member_days = models.PositiveIntegerField("負担日数")
    population = models.PositiveIntegerField("人口(基準日)")
    staff = models.PositiveIntegerField("職員アカウント数")
    certificates = models.PositiveIntegerField("証明書交付件数")
    storage_mb = models.PositiveIntegerField("保存データ量(MB)")
    equal_amount = models.BigIntegerField("均等割額")
    population_amount = models.BigIntegerField("人口割額")
    usage_amount = models.BigIntegerField("利用割額")
    total = models.BigIntegerField("負担額")
    commitment_number = models.CharField("支出負担行為番号", max_length=30, blank=True)
    note = models.CharField("備考", max_length=200, blank=True)

    class Meta:
        verbose_name = "協議会負担金の内訳"
        verbose_name_plural = "協議会負担金の内訳"
        ordering = ["plan", "town_schema"]

    def __str__(self) -> str:
        return f"{self.town_name}: {self.total:,}円"


class SchoolAllotment(models.Model):
    """配当 of a 教育費 節 to a school (a unit of kind 学校, by its 所属コード and name snapshot)."""

    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="school_allotments")
    school_code = models.CharField("学校の所属コード", max_length=20)
    school_name = models.CharField("学校名", max_length=100)
    amount = models.BigIntegerField("配当額")
    allotted_on = models.DateField("配当日")
    allotted_by_id = models.BigIntegerField()
    allotted_by_name = models.CharField(max_length=100)

    class Meta:
        verbose_name = "学校配当"
        verbose_name_plural = "学校配当"
        ordering = ["school_code", "allotted_on"]

    def __str__(self) -> str:
        return f"{self.school_name} {self.amount:,}円"


class PurchaseRequestStatus(models.TextChoices):
    REQUESTED = "requested", "依頼中"
    COMMITTED = "committed", "負担行為済"
    REJECTED = "rejected", "却下"


class PurchaseRequest(models.Model):
    """物品購入依頼 filed by a teacher for their school; the school office turns it into a 支出負担行為."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school_code = models.CharField("学校の所属コード", max_length=20)
    school_name = models.CharField("学校名", max_length=100)
    item = models.CharField("品名・内容", max_length=200)
    quantity = models.PositiveIntegerField("数量")
    estimated_amount = models.BigIntegerField("見積額")
    reason = models.CharField("理由", max_length=200, blank=True)
    status = models.CharField("状態", max_length=10, choices=PurchaseRequestStatus.choices)
    requested_by_id = models.BigIntegerField()
    requested_by_name = models.CharField(max_length=100)
    requested_at = models.DateTimeField(auto_now_add=True)
    commitment_number = models.CharField("支出負担行為番号", max_length=30, blank=True)
    handled_by_name = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = "物品購入依頼"
        verbose_name_plural = "物品購入依頼"
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.school_name} {self.item}"


class DepartmentAllotment(models.Model):
    """予算配当 of a 歳出 節 to a 課 (by 所属コード, name snapshot), one row per 配当 (finance.md §5.7)."""

    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="department_allotments")
    department_code = models.CharField("課の所属コード", max_length=20)
    department_name = models.CharField("課名", max_length=100)
    amount = models.BigIntegerField("配当額")
    allotted_on = models.DateField("配当日")
    allotted_by_id = models.BigIntegerField()
    allotted_by_name = models.CharField(max_length=100)

    class Meta:
        verbose_name = "課への予算配当"
        verbose_name_plural = "課への予算配当"
        ordering = ["line", "department_code", "allotted_on"]
        indexes = [models.Index(fields=["line", "department_code"], name="finance_dept_allot_line")]

    def __str__(self) -> str:
        return f"{self.department_name} {self.amount:,}円"


class JournalRollup(models.Model):
    """Monthly sums of the journal per 節, kind and 課コード: a derived cache for the reports, never a second truth,
    kept by a trigger in each insert's transaction, checked by verify_ledger (finance.rollup; finance.md §7)."""

    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="+", db_index=False)
    fiscal_year = models.PositiveIntegerField("年度")
    account_code = models.CharField("会計", max_length=2)
    side = models.CharField("歳入歳出", max_length=12, choices=Side.choices)
    budget_code = models.CharField("目のコード", max_length=8)
    setsu = models.CharField("節", max_length=2)
    saisetsu = models.CharField("細節", max_length=2, blank=True)
    department_code = models.CharField("課コード", max_length=20, blank=True)
    kind = models.CharField("種別", max_length=12, choices=EntryKind.choices)
    month = models.DateField("月(計上日の月初)")
    total = models.BigIntegerField("金額の合計")
    lines = models.PositiveIntegerField("仕訳の行数")

    class Meta:
        verbose_name = "仕訳の月次集計"
        verbose_name_plural = "仕訳の月次集計"
        constraints = [
            models.UniqueConstraint(fields=["line", "kind", "month", "department_code"], name="finance_rollup_unique")
        ]
        indexes = [models.Index(fields=["fiscal_year", "side", "account_code"], name="finance_rollup_year")]

    def __str__(self) -> str:
        return f"{self.budget_code} 節{self.setsu} {self.kind} {self.month:%Y-%m}: {self.total:,}円"
