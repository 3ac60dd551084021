"""資本的収支 (4条): the enterprise's capital entries and the 補填財源 of the 資本的収支の不足額
(docs/domain/water_billing.md §5.2). Imported by water_billing.models so Django registers them."""

from __future__ import annotations

import uuid

from django.db import models


class CapitalItem(models.TextChoices):
    """The 4条 budget items this module records: 資本的収入 (1xx) and 資本的支出 (2xx)."""

    BOND = "K110", "企業債"
    SUBSIDY = "K120", "国庫補助金"
    CONTRIBUTION = "K130", "他会計出資金"
    CONSTRUCTION = "K210", "建設改良費"
    REDEMPTION = "K220", "企業債償還金"


class CapitalEntry(models.Model):
    """One 資本的収入 or 資本的支出, posted to the books when recorded (append-only)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    fiscal_year = models.PositiveSmallIntegerField("年度")
    item = models.CharField("科目", max_length=8, choices=CapitalItem.choices)
    posted_on = models.DateField("計上日")
    amount = models.BigIntegerField("金額")
    memo = models.CharField("摘要", max_length=200, blank=True)
    recorded_by_id = models.BigIntegerField("登録者ID", null=True)
    recorded_by_name = models.CharField("登録者", max_length=100, blank=True)
    recorded_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        verbose_name = "資本的収支の記録"
        verbose_name_plural = "資本的収支の記録"

    def __str__(self) -> str:
        return f"{self.fiscal_year} {self.get_item_display()} {self.amount}"

    @property
    def is_income(self) -> bool:
        return self.item.startswith("K1")


class FundingSource(models.TextChoices):
    RETAINED_DEPRECIATION = "retained", "損益勘定留保資金"
    TAX_ADJUSTMENT = "tax", "当年度分消費税及び地方消費税資本的収支調整額"
    SURPLUS = "surplus", "利益剰余金処分額"
    RESERVE = "reserve", "建設改良積立金"
    CARRIED = "carried", "繰越工事資金"


class CapitalFunding(models.Model):
    """補填財源: how the 資本的収入額が資本的支出額に不足する額 is covered (the 4条 budget's 括弧書き;
    地方公営企業法施行令 第17条). A correction is a new row with the adjusting amount; nothing is edited."""

    fiscal_year = models.PositiveSmallIntegerField("年度")
    source = models.CharField("補填財源", max_length=10, choices=FundingSource.choices)
    amount = models.BigIntegerField("金額")
    note = models.CharField("備考", max_length=200, blank=True)
    recorded_by_id = models.BigIntegerField("登録者ID", null=True)
    recorded_by_name = models.CharField("登録者", max_length=100, blank=True)
    recorded_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        verbose_name = "補填財源"
        verbose_name_plural = "補填財源"

    def __str__(self) -> str:
        return f"{self.fiscal_year} {self.get_source_display()}"
