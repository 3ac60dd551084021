"""The 過不足額 of a locked 年末調整 as a line of the 例月 of its settlement month (docs/domain/payroll.md §13.10).

Read by the 例月 calculation (payroll.services.calculation): a refund (超過額) is a negative 控除 line, an additional
collection (不足額) a positive one, both under the code ``year_end_tax`` — never ``income_tax``, so that the next
year's withholding totals stay that year's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from payroll.year_end_models import YearEndResult, YearEndRun

CODE = "year_end_tax"


@dataclass(frozen=True)
class Settlement:
    year: int
    difference: int  # 過不足額: > 0 refunded, < 0 collected

    @property
    def label(self) -> str:
        return "年末調整 還付(超過額)" if self.difference > 0 else "年末調整 徴収(不足額)"

    @property
    def deduction(self) -> int:
        """The amount of the 控除 line: a refund reduces the deductions."""
        return -self.difference

    @property
    def note(self) -> str:
        return f"{self.year}年分の年末調整"


def settlements_for(pay_month: date) -> dict[int, Settlement]:
    """Per staff id, the 過不足額 of the locked 年末調整 settled in the 例月 of ``pay_month``."""
    rows = (
        YearEndResult.objects.filter(run__state=YearEndRun.State.LOCKED, run__settle_month=pay_month, adjusted=True)
        .exclude(difference=0)
        .values_list("staff_id", "run__year", "difference")
    )
    return {staff_id: Settlement(year=year, difference=difference) for staff_id, year, difference in rows}
