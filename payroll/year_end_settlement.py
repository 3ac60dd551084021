"""The 過不足額 of a locked 年末調整 as a line of the 例月 of its settlement month (docs/domain/payroll.md §13.10).

Read by the 例月 calculation (payroll.services.calculation): a refund (超過額) is a negative 控除 line, an additional
collection (不足額) a positive one, both under the code ``year_end_tax`` — never ``income_tax``, so that the next
year's withholding totals stay that year's own. A locked 再年末調整 (§13.11) is settled the same way under its own code
``year_end_retax``, so that the review and the payslip tell the two apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from payroll.year_end_models import YearEndResult, YearEndRevision, YearEndRun

CODE = "year_end_tax"
REVISION_CODE = "year_end_retax"


@dataclass(frozen=True)
class Settlement:
    year: int
    difference: int  # 過不足額: > 0 refunded, < 0 collected
    revision: int = 0  # 再年末調整 第n回 (0: the 年末調整 itself)

    @property
    def code(self) -> str:
        return REVISION_CODE if self.revision else CODE

    @property
    def label(self) -> str:
        name = "再年末調整" if self.revision else "年末調整"
        return f"{name} 還付(超過額)" if self.difference > 0 else f"{name} 徴収(不足額)"

    @property
    def deduction(self) -> int:
        """The amount of the 控除 line: a refund reduces the deductions."""
        return -self.difference

    @property
    def note(self) -> str:
        if self.revision:
            return f"{self.year}年分の再年末調整(第{self.revision}回)"
        return f"{self.year}年分の年末調整"


def settlements_for(pay_month: date) -> dict[int, Settlement]:
    """Per staff id, the 過不足額 of the locked 年末調整 settled in the 例月 of ``pay_month``."""
    rows = (
        YearEndResult.objects.filter(run__state=YearEndRun.State.LOCKED, run__settle_month=pay_month, adjusted=True)
        .exclude(difference=0)
        .values_list("staff_id", "run__year", "difference")
    )
    return {staff_id: Settlement(year=year, difference=difference) for staff_id, year, difference in rows}


def readjustments_for(pay_month: date) -> dict[int, list[Settlement]]:
    """Per staff id, the 精算額 of the locked 再年末調整 settled in the 例月 of ``pay_month`` (§13.11)."""
    rows = (
        YearEndRevision.objects.filter(state=YearEndRevision.State.LOCKED, settle_month=pay_month)
        .exclude(difference=0)
        .order_by("run__year", "sequence")
        .values_list("staff_id", "run__year", "difference", "sequence")
    )
    result: dict[int, list[Settlement]] = {}
    for staff_id, year, difference, sequence in rows:
        result.setdefault(staff_id, []).append(Settlement(year=year, difference=difference, revision=sequence))
    return result
