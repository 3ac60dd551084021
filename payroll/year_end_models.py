"""年末調整 tables (docs/domain/payroll.md §13), re-exported by payroll.models.

The declarations are entered per staff member and 年分 by the 給与担当; a year-end run is calculated, reviewed,
approved by a second person and locked, and its 過不足額 is settled in the 例月 of its settlement month.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from payroll.approval_models import ApprovalStamps


class YearEndDeclaration(models.Model):
    """The 年末調整 declarations of one staff member for one 年分: 扶養控除等申告書, 基礎控除申告書・
    配偶者控除等申告書・所得金額調整控除申告書, 保険料控除申告書 and 住宅借入金等特別控除申告書 (§13.8).
    Amounts are integer yen."""

    staff = models.ForeignKey("payroll.Staff", on_delete=models.PROTECT, related_name="year_end_declarations")
    year = models.PositiveSmallIntegerField("年分")
    other_income = models.PositiveIntegerField("給与所得以外の所得の見積額", default=0)
    adjustment_eligible = models.BooleanField("所得金額調整控除(23歳未満の扶養親族・特別障害者)", default=False)
    has_spouse = models.BooleanField("配偶者(同一生計)あり", default=False)
    spouse_income = models.PositiveIntegerField("配偶者の合計所得金額(見積額)", default=0)
    spouse_elderly = models.BooleanField("配偶者は70歳以上", default=False)
    dependants_general = models.PositiveSmallIntegerField("一般の控除対象扶養親族", default=0)
    dependants_specific = models.PositiveSmallIntegerField("特定扶養親族(19〜22歳)", default=0)
    dependants_elderly_cohabiting = models.PositiveSmallIntegerField("同居老親等", default=0)
    dependants_elderly_other = models.PositiveSmallIntegerField("同居老親等以外の老人扶養親族", default=0)
    specific_relative_incomes = models.JSONField("特定親族の合計所得金額(見積額)", default=list, blank=True)
    disabled = models.PositiveSmallIntegerField("一般の障害者(本人・配偶者・扶養親族)", default=0)
    disabled_special = models.PositiveSmallIntegerField("特別障害者", default=0)
    disabled_special_cohabiting = models.PositiveSmallIntegerField("同居特別障害者", default=0)
    widow = models.BooleanField("寡婦", default=False)
    single_parent = models.BooleanField("ひとり親", default=False)
    working_student = models.BooleanField("勤労学生", default=False)
    social_declared = models.PositiveIntegerField("社会保険料(本人が支払ったもの)", default=0)
    small_enterprise = models.PositiveIntegerField("小規模企業共済等掛金", default=0)
    life_new_general = models.PositiveIntegerField("一般の生命保険料(新)", default=0)
    life_old_general = models.PositiveIntegerField("一般の生命保険料(旧)", default=0)
    life_new_care = models.PositiveIntegerField("介護医療保険料", default=0)
    life_new_pension = models.PositiveIntegerField("個人年金保険料(新)", default=0)
    life_old_pension = models.PositiveIntegerField("個人年金保険料(旧)", default=0)
    earthquake = models.PositiveIntegerField("地震保険料", default=0)
    old_long_term = models.PositiveIntegerField("旧長期損害保険料", default=0)
    housing_loan_credit = models.PositiveIntegerField("住宅借入金等特別控除額", default=0)
    recorded_by_id = models.BigIntegerField("入力者ID", null=True)
    recorded_by_name = models.CharField("入力者", max_length=100, blank=True)
    recorded_at = models.DateTimeField("入力日時", default=timezone.now)

    class Meta:
        verbose_name = "年末調整の申告"
        verbose_name_plural = "年末調整の申告"
        constraints = [models.UniqueConstraint(fields=["staff", "year"], name="payroll_one_declaration_a_year")]

    def __str__(self) -> str:
        return f"年末調整の申告 {self.year}年分"


class YearEndRun(ApprovalStamps):
    """The 年末調整 of one 年分 for every staff member it applies to (§13.9–§13.10)."""

    class State(models.TextChoices):
        REVIEW = "review", "確認待ち"
        APPROVED = "approved", "承認済み"
        LOCKED = "locked", "確定"

    public_id = models.UUIDField("公開ID", default=uuid.uuid4, unique=True, editable=False)
    year = models.PositiveSmallIntegerField("年分", unique=True)
    settle_month = models.DateField("過不足の精算月(例月・1日)")
    state = models.CharField("状態", max_length=12, choices=State.choices, default=State.REVIEW)
    totals = models.JSONField("合計", default=dict, blank=True)

    class Meta:
        verbose_name = "年末調整"
        verbose_name_plural = "年末調整"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"年末調整 {self.year}年分"


class YearEndFigures(models.Model):
    """The figures of one staff member's 年末調整 (§13), shared by the result and its 再年末調整 (§13.11)."""

    pay = models.BigIntegerField("給与等の支払金額")
    withheld = models.BigIntegerField("源泉徴収税額")
    employment_income = models.BigIntegerField("給与所得控除後の金額", default=0)
    income_adjustment = models.BigIntegerField("所得金額調整控除額", default=0)
    social = models.BigIntegerField("社会保険料等の金額", default=0)
    life_insurance = models.BigIntegerField("生命保険料の控除額", default=0)
    earthquake_insurance = models.BigIntegerField("地震保険料の控除額", default=0)
    spouse = models.BigIntegerField("配偶者(特別)控除の額", default=0)
    dependants = models.BigIntegerField("扶養控除額等", default=0)
    personal = models.BigIntegerField("障害者等の控除額", default=0)
    basic = models.BigIntegerField("基礎控除の額", default=0)
    deductions = models.BigIntegerField("所得控除の額の合計額", default=0)
    taxable = models.BigIntegerField("差引課税給与所得金額", default=0)
    computed_tax = models.BigIntegerField("算出所得税額", default=0)
    housing_credit = models.BigIntegerField("住宅借入金等特別控除額", default=0)
    income_tax = models.BigIntegerField("年調所得税額", default=0)
    annual_tax = models.BigIntegerField("年調年税額", default=0)

    class Meta:
        abstract = True


class YearEndResult(YearEndFigures):
    """One staff member's 年末調整 (or the reason they were left out), with every figure (§13)."""

    run = models.ForeignKey(YearEndRun, on_delete=models.CASCADE, related_name="results")
    staff = models.ForeignKey("payroll.Staff", on_delete=models.PROTECT, related_name="year_end_results")
    staff_number = models.CharField("職員番号", max_length=20)
    staff_name = models.CharField("氏名", max_length=100)
    adjusted = models.BooleanField("年末調整の対象", default=True)
    excluded_reason = models.CharField("対象外の理由", max_length=100, blank=True)
    difference = models.BigIntegerField("過不足額(+還付・−徴収)", default=0)

    class Meta:
        verbose_name = "年末調整の結果"
        verbose_name_plural = "年末調整の結果"
        ordering = ["staff_number"]
        constraints = [models.UniqueConstraint(fields=["run", "staff"], name="payroll_one_year_end_result")]

    def __str__(self) -> str:
        return f"年末調整の結果 {self.staff_number}"


class YearEndRevision(ApprovalStamps, YearEndFigures):
    """A 再年末調整 of one staff member after the year's 年末調整 was locked (§13.11): the figures recomputed from the
    revised declaration (kept here as ``declaration``), and the 精算額 against the tax settled before
    (``previous_tax``: the locked result's or the previous locked revision's 年調年税額). The earlier result and
    revisions stay as they are: a revision is a new row, numbered per staff member and year."""

    class State(models.TextChoices):
        REVIEW = "review", "確認待ち"
        APPROVED = "approved", "承認済み"
        LOCKED = "locked", "確定"

    public_id = models.UUIDField("公開ID", default=uuid.uuid4, unique=True, editable=False)
    run = models.ForeignKey(YearEndRun, on_delete=models.PROTECT, related_name="revisions")
    staff = models.ForeignKey("payroll.Staff", on_delete=models.PROTECT, related_name="year_end_revisions")
    sequence = models.PositiveSmallIntegerField("回")
    staff_number = models.CharField("職員番号", max_length=20)
    staff_name = models.CharField("氏名", max_length=100)
    reason = models.CharField("再年末調整の理由", max_length=200)
    declaration = models.JSONField("再年末調整に用いた申告", default=dict)
    previous_tax = models.BigIntegerField("精算済みの年税額")
    difference = models.BigIntegerField("精算額(+還付・−徴収)", default=0)
    settle_month = models.DateField("精算月(例月・1日)")
    state = models.CharField("状態", max_length=12, choices=State.choices, default=State.REVIEW)

    class Meta:
        verbose_name = "再年末調整"
        verbose_name_plural = "再年末調整"
        ordering = ["staff_number", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["run", "staff", "sequence"], name="payroll_one_revision_a_sequence"),
            # one revision at a time: a second is started only once the open one is locked
            models.UniqueConstraint(
                fields=["run", "staff"],
                condition=~models.Q(state="locked"),
                name="payroll_one_open_revision",
            ),
        ]

    def __str__(self) -> str:
        return f"再年末調整 {self.staff_number} 第{self.sequence}回"

    @property
    def adjusted(self) -> bool:
        """Read like a result by the 源泉徴収票 (a revision is always an adjustment)."""
        return True
