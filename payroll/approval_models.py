"""The approval stamps of everything the 給与担当 calculates, a second person approves and someone locks (§7.1, §7.4,
§13.9, §13.11): who calculated it and when, who approved it and when, when it was locked. Kept in one abstract model
so that the 給与計算, the 年末調整 and each 再年末調整 carry the same fields; ``services.approval`` holds the guards."""

from __future__ import annotations

from django.db import models

REVIEW = "review"
APPROVED = "approved"
LOCKED = "locked"


class ApprovalStamps(models.Model):
    """Abstract: a subclass defines ``state`` with at least the values review / approved / locked."""

    state: models.CharField

    calculated_by_id = models.BigIntegerField("計算者ID", null=True)
    calculated_by_name = models.CharField("計算者", max_length=100, blank=True)
    calculated_at = models.DateTimeField("計算日時", null=True)
    approved_by_id = models.BigIntegerField("承認者ID", null=True)
    approved_by_name = models.CharField("承認者", max_length=100, blank=True)
    approved_at = models.DateTimeField("承認日時", null=True)
    locked_at = models.DateTimeField("確定日時", null=True)

    class Meta:
        abstract = True

    @property
    def locked(self) -> bool:
        return self.state == LOCKED
