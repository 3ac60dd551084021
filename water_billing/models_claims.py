"""付帯金 (督促手数料, 延滞金) as claims of their own, their payments, and the 閉栓精算 reading requests
(docs/domain/water_billing.md §7, §8). Imported by water_billing.models so Django registers them."""

from __future__ import annotations

from django.db import models


class SurchargeKind(models.TextChoices):
    DUNNING_FEE = "dunning_fee", "督促手数料"
    LATE_FEE = "late_fee", "延滞金"


class SurchargeState(models.TextChoices):
    UNPAID = "unpaid", "未納"
    PAID = "paid", "納付済"


class Surcharge(models.Model):
    """A 督促手数料 (charged with a 督促状) or a 延滞金 (charged when an overdue bill is paid): a claim the customer
    pays through the payment screens, named by its own number (§7.3)."""

    number = models.CharField("付帯金番号", max_length=20, unique=True)
    kind = models.CharField("種類", max_length=12, choices=SurchargeKind.choices)
    connection = models.ForeignKey(
        "water_billing.Connection", on_delete=models.PROTECT, related_name="surcharges", verbose_name="給水装置"
    )
    bill = models.ForeignKey(
        "water_billing.Bill", on_delete=models.PROTECT, null=True, blank=True, related_name="surcharges",
        verbose_name="延滞金の元となった請求",
    )  # fmt: skip
    notice = models.ForeignKey(
        "water_billing.Notice", on_delete=models.PROTECT, null=True, blank=True, related_name="surcharges",
        verbose_name="督促状",
    )  # fmt: skip
    charged_on = models.DateField("調定日")
    amount = models.IntegerField("金額")
    paid_amount = models.IntegerField("収納額", default=0)
    state = models.CharField("状態", max_length=10, choices=SurchargeState.choices, default=SurchargeState.UNPAID)
    basis = models.JSONField("計算の内訳", default=dict, blank=True)

    class Meta:
        verbose_name = "付帯金(督促手数料・延滞金)"
        verbose_name_plural = "付帯金(督促手数料・延滞金)"
        constraints = [
            models.UniqueConstraint(
                fields=["bill"], condition=models.Q(kind="late_fee"), name="water_one_late_fee_per_bill"
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance(self) -> int:
        return self.amount - self.paid_amount


class SurchargePayment(models.Model):
    surcharge = models.ForeignKey(Surcharge, on_delete=models.PROTECT, related_name="payments", verbose_name="付帯金")
    amount = models.IntegerField("収納額")
    paid_on = models.DateField("収納日")
    channel = models.CharField("収納方法", max_length=12)
    reference = models.CharField("参照番号", max_length=40, blank=True)
    recorded_by_id = models.BigIntegerField("入力者ID", null=True)
    recorded_by_name = models.CharField("入力者", max_length=100, blank=True)
    recorded_at = models.DateTimeField("入力日時", auto_now_add=True)

    class Meta:
        verbose_name = "付帯金の収納"
        verbose_name_plural = "付帯金の収納"

    def __str__(self) -> str:
        return f"{self.surcharge_id} {self.amount}"


class FinalReadingRequest(models.Model):
    """閉栓精算の検針依頼: a connection closed from a confirmed move task needs its final reading (§8)."""

    connection = models.ForeignKey(
        "water_billing.Connection", on_delete=models.PROTECT, related_name="final_reading_requests",
        verbose_name="給水装置",
    )  # fmt: skip
    closed_on = models.DateField("閉栓日")
    reason = models.CharField("理由", max_length=100)
    done = models.BooleanField("検針済", default=False)
    requested_by_id = models.BigIntegerField("依頼者ID", null=True)
    requested_by_name = models.CharField("依頼者", max_length=100, blank=True)
    requested_at = models.DateTimeField("依頼日時", auto_now_add=True)

    class Meta:
        verbose_name = "閉栓精算の検針依頼"
        verbose_name_plural = "閉栓精算の検針依頼"

    def __str__(self) -> str:
        return f"{self.connection_id} {self.closed_on}"
