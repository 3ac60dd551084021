"""人事給与 tables of one town (its own schema). Rules: docs/domain/payroll.md.

People are named by ``person_id`` + a name snapshot (town tables never hold a foreign key into public); 所属 by
its 所属コード + a name snapshot (tenants.organisation). Effective-dated data (発令, 給料表) is never overwritten.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.db import models
from django.db.models import Q
from django.utils import timezone

from payroll.approval_models import ApprovalStamps


class JobType(models.TextChoices):
    GENERAL = "general", "一般職"
    FISCAL_FULL = "fiscal_full", "会計年度任用職員(フルタイム)"
    FISCAL_PART_MONTHLY = "fiscal_part_monthly", "会計年度任用職員(パートタイム・月額)"
    FISCAL_PART_HOURLY = "fiscal_part_hourly", "会計年度任用職員(パートタイム・時間額)"
    SPECIAL = "special", "特別職"
    PREFECTURAL_TEACHER = "pref_teacher", "県費負担教職員"


FISCAL_YEAR_JOB_TYPES = frozenset({JobType.FISCAL_FULL, JobType.FISCAL_PART_MONTHLY, JobType.FISCAL_PART_HOURLY})


class Status(models.TextChoices):
    ACTIVE = "active", "在職"
    LEAVE = "leave", "休職"
    CHILDCARE = "childcare", "育児休業"
    LEFT = "left", "退職"


class AppointmentKind(models.TextChoices):
    HIRE = "hire", "採用"
    RAISE = "raise", "昇給"
    PROMOTION = "promotion", "昇格"
    TRANSFER = "transfer", "異動"
    LEAVE = "leave", "休職"
    CHILDCARE = "childcare", "育児休業"
    RETURN = "return", "復職"
    LEAVING = "leaving", "退職"
    REVISION = "revision", "給与改定"
    REAPPOINT = "reappoint", "再度の任用"  # 会計年度任用職員: a new 任期 (§3.3, §5.9)


class LeaveReason(models.TextChoices):
    """The reason of a 休職, which decides its pay (給与条例; 一般職給与法 §23 pattern, docs/domain/payroll.md §4b)."""

    DUTY_INJURY = "duty_injury", "公務災害・通勤災害"
    TUBERCULOSIS = "tuberculosis", "結核性疾患"
    ILLNESS = "illness", "心身の故障(病気休職)"
    CRIMINAL = "criminal", "刑事事件に関する起訴"
    RESEARCH = "research", "研究・その他(有給)"
    UNPAID = "unpaid", "その他(無給)"


class Staff(models.Model):
    """A member of the town's staff (職員). Declared values (扶養, 住居, 通勤, 口座) are current values; pay-relevant
    positions (所属, 職種, 級号給, status) live in the effective-dated 発令."""

    public_id = models.UUIDField("公開ID", default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("職員番号", max_length=20, unique=True)
    person_id = models.BigIntegerField("職員ID(本人)", null=True, blank=True, db_index=True)
    name = models.CharField("氏名", max_length=100)
    name_kana = models.CharField("氏名カナ", max_length=100)
    birth_date = models.DateField("生年月日")
    withholding_column = models.CharField("源泉徴収の欄", max_length=1, default="甲")
    tax_dependents = models.PositiveSmallIntegerField("扶養親族等の数(源泉)", default=0)
    children = models.PositiveSmallIntegerField("扶養手当: 子", default=0)
    children_specific = models.PositiveSmallIntegerField("扶養手当: 特定期間の子", default=0)
    parents = models.PositiveSmallIntegerField("扶養手当: 父母等", default=0)
    rent = models.PositiveIntegerField("家賃月額", default=0)
    transit_pass = models.PositiveIntegerField("通勤: 定期代(月額)", default=0)
    car_km = models.DecimalField("通勤: 自動車の片道距離(km)", max_digits=5, decimal_places=1, default=0)
    employment_insurance = models.BooleanField("雇用保険の被保険者", default=False)
    other_deductions = models.JSONField("その他の控除(互助会・組合費・財形)", default=dict, blank=True)
    bank_code = models.CharField("振込先銀行コード", max_length=4, blank=True)
    branch_code = models.CharField("振込先支店コード", max_length=3, blank=True)
    account_type = models.CharField("預金種目", max_length=1, default="1")
    account_number = models.CharField("口座番号", max_length=7, blank=True)
    account_holder_kana = models.CharField("口座名義カナ", max_length=30, blank=True)
    residence_city_code = models.CharField("住所地の市町村コード", max_length=6, blank=True)
    residence_city_name = models.CharField("住所地の市町村", max_length=40, blank=True)
    created_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = "職員"
        verbose_name_plural = "職員"
        ordering = ["number"]

    def __str__(self) -> str:
        return f"職員 {self.number}"


class Appointment(models.Model):
    """A 発令: the whole pay-relevant state of a staff member from ``effective_on`` (docs/domain/payroll.md §3)."""

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="appointments", verbose_name="職員")
    effective_on = models.DateField("発令日")
    kind = models.CharField("発令の種類", max_length=12, choices=AppointmentKind.choices)
    unit_code = models.CharField("所属コード", max_length=20, blank=True)
    unit_name = models.CharField("所属名", max_length=100, blank=True)
    job_type = models.CharField("職種", max_length=20, choices=JobType.choices)
    table_code = models.CharField("給料表", max_length=20, blank=True)
    grade = models.PositiveSmallIntegerField("級", null=True, blank=True)
    step = models.PositiveSmallIntegerField("号給", null=True, blank=True)
    monthly_amount = models.PositiveIntegerField("報酬月額(会計年度任用・特別職)", default=0)
    hourly_rate = models.PositiveIntegerField("時間額", default=0)
    manager_allowance = models.PositiveIntegerField("管理職手当(月額)", default=0)
    weekly_hours = models.DecimalField(
        "週の勤務時間(時間額の会計年度任用職員)", max_digits=4, decimal_places=2, default=0
    )
    term_ends_on = models.DateField("任期の末日(会計年度任用職員)", null=True, blank=True)
    status = models.CharField("在職状態", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    resident_tax_on_leaving = models.CharField("退職時の住民税", max_length=10, blank=True)
    leave_reason = models.CharField("休職の事由", max_length=20, choices=LeaveReason.choices, blank=True)
    leave_pay_ratio = models.PositiveSmallIntegerField("休職中の給与の支給割合(100分の)", default=0)
    leave_pay_until = models.DateField("支給割合の適用の終期(休職の期間の上限)", null=True, blank=True)
    note = models.CharField("備考", max_length=200, blank=True)
    batch = models.ForeignKey(
        "TransferBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    recorded_by_id = models.BigIntegerField("登録者ID", null=True)
    recorded_by_name = models.CharField("登録者", max_length=100, blank=True)
    recorded_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = "発令"
        verbose_name_plural = "発令"
        constraints = [
            models.UniqueConstraint(fields=["staff", "effective_on"], name="payroll_one_appointment_a_day"),
            models.CheckConstraint(condition=Q(leave_pay_ratio__lte=100), name="payroll_leave_ratio_at_most_100"),
        ]
        indexes = [models.Index(fields=["staff", "-effective_on"], name="payroll_appt_staff_day")]

    def __str__(self) -> str:
        return f"発令 {self.effective_on} {self.get_kind_display()}"


class TransferBatch(models.Model):
    """The 1 April 人事異動 (and any other batch of 発令 on one date): previewed, approved by a second person,
    applied in one step (docs/domain/payroll.md §3.4)."""

    class State(models.TextChoices):
        DRAFT = "draft", "作成中"
        APPLIED = "applied", "適用済み"

    public_id = models.UUIDField("公開ID", default=uuid.uuid4, unique=True, editable=False)
    effective_on = models.DateField("発令日")
    title = models.CharField("件名", max_length=100)
    lines = models.JSONField("異動の内容", default=list)
    state = models.CharField("状態", max_length=10, choices=State.choices, default=State.DRAFT)
    created_by_id = models.BigIntegerField("作成者ID", null=True)
    created_by_name = models.CharField("作成者", max_length=100, blank=True)
    applied_by_id = models.BigIntegerField("承認・適用者ID", null=True)
    applied_by_name = models.CharField("承認・適用者", max_length=100, blank=True)
    applied_at = models.DateTimeField("適用日時", null=True)
    created_at = models.DateTimeField("作成日時", default=timezone.now)

    class Meta:
        verbose_name = "人事異動"
        verbose_name_plural = "人事異動"

    def __str__(self) -> str:
        return f"人事異動 {self.effective_on}"


class SalaryTable(models.Model):
    code = models.CharField("給料表コード", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)

    class Meta:
        verbose_name = "給料表"
        verbose_name_plural = "給料表"

    def __str__(self) -> str:
        return self.name


class SalaryTableVersion(models.Model):
    """One version of a 給料表, in force from its 施行日 (docs/domain/payroll.md §4). Approved versions are used by
    runs; a draft is only previewed (its 差額)."""

    table = models.ForeignKey(SalaryTable, on_delete=models.PROTECT, related_name="versions", verbose_name="給料表")
    effective_from = models.DateField("施行日")
    basis = models.CharField("根拠(条例)", max_length=200, blank=True)
    approved = models.BooleanField("承認済み", default=False)
    recorded_by_id = models.BigIntegerField("登録者ID", null=True)
    recorded_by_name = models.CharField("登録者", max_length=100, blank=True)
    approved_by_id = models.BigIntegerField("承認者ID", null=True)
    approved_by_name = models.CharField("承認者", max_length=100, blank=True)
    recorded_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = "給料表(版)"
        verbose_name_plural = "給料表(版)"
        constraints = [
            models.UniqueConstraint(fields=["table", "effective_from"], name="payroll_one_version_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.table} {self.effective_from}"


class SalaryStep(models.Model):
    version = models.ForeignKey(SalaryTableVersion, on_delete=models.CASCADE, related_name="steps")
    grade = models.PositiveSmallIntegerField("級")
    step = models.PositiveSmallIntegerField("号給")
    amount = models.PositiveIntegerField("給料月額")

    class Meta:
        verbose_name = "給料月額"
        verbose_name_plural = "給料月額"
        constraints = [
            models.UniqueConstraint(fields=["version", "grade", "step"], name="payroll_one_amount_a_step"),
        ]

    def __str__(self) -> str:
        return f"{self.grade}級{self.step}号給"


class MonthlyInput(models.Model):
    """The month's variable input per staff member: 時間外 hours by class, hours worked (時間額の職員)."""

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="monthly_inputs")
    pay_month = models.DateField("支給月")
    hours_125 = models.DecimalField("時間外 125%", max_digits=6, decimal_places=2, default=0)
    hours_135 = models.DecimalField("休日 135%", max_digits=6, decimal_places=2, default=0)
    hours_150 = models.DecimalField("60時間超 150%", max_digits=6, decimal_places=2, default=0)
    hours_175 = models.DecimalField("60時間超深夜 175%", max_digits=6, decimal_places=2, default=0)
    hours_night = models.DecimalField("深夜加算 25%", max_digits=6, decimal_places=2, default=0)
    hours_worked = models.DecimalField("勤務時間(時間額)", max_digits=6, decimal_places=2, default=0)
    kinben_rate = models.DecimalField(
        "勤勉手当の成績率(この月の基準日)", max_digits=5, decimal_places=4, null=True, blank=True
    )

    class Meta:
        verbose_name = "月次入力"
        verbose_name_plural = "月次入力"
        constraints = [models.UniqueConstraint(fields=["staff", "pay_month"], name="payroll_one_input_a_month")]

    def __str__(self) -> str:
        return f"月次入力 {self.pay_month:%Y-%m}"


class SpecialDutyEntry(models.Model):
    """特殊勤務手当 of a month: the days or occurrences of one kind (docs/domain/payroll.md §5.8); the kinds and
    their unit amounts are the town's setting ``payroll.special_duty.kinds`` in force in the month."""

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="special_duties", verbose_name="職員")
    pay_month = models.DateField("支給月")
    kind_code = models.CharField("種類コード", max_length=30)
    count = models.PositiveIntegerField("日数・回数")

    class Meta:
        verbose_name = "特殊勤務実績"
        verbose_name_plural = "特殊勤務実績"
        constraints = [
            models.UniqueConstraint(fields=["staff", "pay_month", "kind_code"], name="payroll_one_duty_kind_a_month")
        ]

    def __str__(self) -> str:
        return f"特殊勤務 {self.pay_month:%Y-%m} {self.kind_code}"


class ResidentTaxNotice(models.Model):
    """The annual 特別徴収税額 notified by a 市町村 for one staff member and 年度 (June–May)."""

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="resident_tax_notices")
    fiscal_year = models.PositiveSmallIntegerField("年度(6月始まり)")
    city_code = models.CharField("市町村コード", max_length=6)
    city_name = models.CharField("市町村", max_length=40)
    annual = models.PositiveIntegerField("年税額")

    class Meta:
        verbose_name = "住民税特別徴収税額"
        verbose_name_plural = "住民税特別徴収税額"
        constraints = [
            models.UniqueConstraint(fields=["staff", "fiscal_year"], name="payroll_one_notice_a_year"),
        ]

    def __str__(self) -> str:
        return f"住民税 {self.fiscal_year}年度"


class PayRun(ApprovalStamps):
    class Kind(models.TextChoices):
        REGULAR = "regular", "例月"
        BONUS = "bonus", "期末・勤勉手当"

    class State(models.TextChoices):
        CALCULATING = "calculating", "計算中"
        REVIEW = "review", "確認待ち"
        APPROVED = "approved", "承認済み"
        LOCKED = "locked", "確定"

    public_id = models.UUIDField("公開ID", default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("種類", max_length=10, choices=Kind.choices)
    pay_month = models.DateField("支給月(1日)")
    paid_on = models.DateField("支給日")
    state = models.CharField("状態", max_length=12, choices=State.choices, default=State.CALCULATING)
    job_id = models.UUIDField("計算ジョブ", null=True, blank=True)
    totals = models.JSONField("合計", default=dict, blank=True)
    created_at = models.DateTimeField("作成日時", default=timezone.now)

    class Meta:
        verbose_name = "給与計算"
        verbose_name_plural = "給与計算"
        constraints = [
            models.UniqueConstraint(fields=["kind", "pay_month"], name="payroll_one_run_a_month"),
        ]
        ordering = ["-pay_month", "kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pay_month:%Y-%m}"


class Payslip(models.Model):
    """One staff member's result in a run, with snapshots of what was paid and to whom."""

    public_id = models.UUIDField("公開ID", default=uuid.uuid4, unique=True, editable=False)
    run = models.ForeignKey(PayRun, on_delete=models.CASCADE, related_name="payslips")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="payslips")
    staff_number = models.CharField("職員番号", max_length=20)
    staff_name = models.CharField("氏名", max_length=100)
    unit_code = models.CharField("所属コード", max_length=20, blank=True)
    unit_name = models.CharField("所属名", max_length=100, blank=True)
    job_type = models.CharField("職種", max_length=20, choices=JobType.choices)
    grade = models.PositiveSmallIntegerField("級", null=True)
    step = models.PositiveSmallIntegerField("号給", null=True)
    gross = models.IntegerField("総支給額")
    taxable = models.IntegerField("課税対象額")
    deductions = models.IntegerField("控除合計")
    net = models.IntegerField("差引支給額")
    standard_remuneration = models.IntegerField("標準報酬月額(標準期末手当等)", default=0)
    employer_kyosai = models.IntegerField("共済費(事業主負担)", default=0)
    changes = models.JSONField("前月との差異", default=list, blank=True)

    class Meta:
        verbose_name = "給与明細"
        verbose_name_plural = "給与明細"
        constraints = [models.UniqueConstraint(fields=["run", "staff"], name="payroll_one_payslip_a_run")]
        ordering = ["staff_number"]

    def __str__(self) -> str:
        return f"給与明細 {self.staff_number}"


class LineKind(models.TextChoices):
    PAY = "pay", "給料"
    ALLOWANCE = "allowance", "手当"
    DEDUCTION = "deduction", "控除"


class PayslipLine(models.Model):
    payslip = models.ForeignKey(Payslip, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField("区分", max_length=10, choices=LineKind.choices)
    code = models.CharField("項目コード", max_length=30)
    label = models.CharField("項目", max_length=60)
    amount = models.IntegerField("金額")
    taxable = models.BooleanField("課税", default=True)
    setsu = models.CharField("節", max_length=2, blank=True)
    note = models.CharField("備考", max_length=200, blank=True)

    class Meta:
        verbose_name = "給与明細の項目"
        verbose_name_plural = "給与明細の項目"
        indexes = [models.Index(fields=["payslip", "kind"], name="payroll_line_slip_kind")]

    def __str__(self) -> str:
        return f"{self.label} {self.amount}"


class Correction(models.Model):
    """A 過誤調整: an amount owed (positive) or overpaid (negative) found after a run was locked; paid in the next
    run that is calculated and shown there with the run it corrects (docs/domain/payroll.md §7.5)."""

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="corrections")
    corrects_run = models.ForeignKey(PayRun, on_delete=models.PROTECT, related_name="corrections_of")
    code = models.CharField("項目コード", max_length=30, default="correction")
    label = models.CharField("内容", max_length=60)
    amount = models.IntegerField("金額")
    setsu = models.CharField("節", max_length=2, default="02")
    taxable = models.BooleanField("課税", default=True)
    settled_in = models.ForeignKey(
        PayRun, on_delete=models.PROTECT, null=True, blank=True, related_name="corrections_settled"
    )
    recorded_by_id = models.BigIntegerField("登録者ID", null=True)
    recorded_by_name = models.CharField("登録者", max_length=100, blank=True)
    recorded_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = "過誤調整"
        verbose_name_plural = "過誤調整"
        indexes = [
            models.Index(fields=["staff"], name="payroll_open_corrections", condition=Q(settled_in__isnull=True))
        ]

    def __str__(self) -> str:
        return f"過誤調整 {self.label}"


def month_start(day: date) -> date:
    return day.replace(day=1)


class StandardRemuneration(models.Model):
    """標準報酬月額 of a staff member from a month (docs/domain/payroll.md §6.2): 資格取得時決定 (recorded by the
    first 例月 run that finds none, from that month's fixed pay), 定時決定 (from September) or 随時改定 (from the
    4th month)."""

    class Reason(models.TextChoices):
        ACQUISITION = "acquisition", "資格取得時決定"
        REGULAR = "regular", "定時決定"
        OCCASIONAL = "occasional", "随時改定"

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="standard_remunerations")
    effective_from = models.DateField("適用開始月")
    average = models.PositiveIntegerField("報酬月額(平均)")
    standard = models.PositiveIntegerField("標準報酬月額")
    reason = models.CharField("決定の種類", max_length=12, choices=Reason.choices)
    recorded_by_id = models.BigIntegerField("登録者ID", null=True)
    recorded_by_name = models.CharField("登録者", max_length=100, blank=True)
    recorded_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = "標準報酬月額"
        verbose_name_plural = "標準報酬月額"
        constraints = [
            models.UniqueConstraint(fields=["staff", "effective_from"], name="payroll_one_standard_a_month"),
        ]

    def __str__(self) -> str:
        return f"標準報酬月額 {self.effective_from:%Y-%m}"


# 年末調整 (docs/domain/payroll.md §13) lives in its own module; re-exported so Django and callers find it here.
from payroll.year_end_models import YearEndDeclaration as YearEndDeclaration  # noqa: E402
from payroll.year_end_models import YearEndResult as YearEndResult  # noqa: E402
from payroll.year_end_models import YearEndRevision as YearEndRevision  # noqa: E402
from payroll.year_end_models import YearEndRun as YearEndRun  # noqa: E402
