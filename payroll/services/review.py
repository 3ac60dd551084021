"""The review of a calculated payslip (docs/domain/payroll.md §7.3): its differences from the same staff member's
last locked 例月 payslip, each with its reason."""

from __future__ import annotations

from typing import Any

from payroll.models import Appointment
from payroll.services.calculation import Context, Result


def changes(result: Result, appointment: Appointment, ctx: Context) -> list[dict[str, Any]]:
    """Differences from the last locked 例月 payslip, each with its reason (§7.3)."""
    staff_id = result.slip.staff_id
    before = ctx.previous.get(staff_id)
    prorate: list[dict[str, Any]] = []
    # A month paid by the day is always shown; a whole month of paid 休職 (§4b) only as the reason of a change.
    if result.prorate.startswith("日割"):
        prorate.append({"code": "prorate", "before": "", "after": "", "reason": result.prorate})
    if before is None:
        return [{"code": "new", "reason": "前月の給与明細がありません(新規採用など)。"}, *prorate]
    old = ctx.previous_lines.get(staff_id, {})
    new = {line.code: line.amount for line in result.lines}
    changes = []
    for code in sorted(set(old) | set(new)):
        if old.get(code, 0) != new.get(code, 0):
            reason = "金額の変更"
            if code == "base" and result.prorate:
                reason = result.prorate
            elif code == "base" and (before.grade, before.step) != (appointment.grade, appointment.step):
                reason = f"発令({appointment.get_kind_display()} {appointment.effective_on.isoformat()})"
            elif code == "base":
                reason = "給料表の改定または勤務状態の変更"
            elif code.startswith("overtime_"):
                reason = "時間外勤務の実績"
            elif code in ("correction", "difference"):
                reason = "過誤調整・差額支給"
            elif code == "resident_tax":
                reason = "住民税の年度替わり・税額変更"
            elif code == "year_end_tax":
                reason = "年末調整の過不足額の精算"
            elif code == "year_end_retax":
                reason = "再年末調整の精算"
            elif code.startswith("kyosai_") and result.exemption:
                reason = f"共済掛金の免除: {result.exemption}"
            changes.append({"code": code, "before": old.get(code, 0), "after": new.get(code, 0), "reason": reason})
    if prorate and not any(change["code"] == "base" for change in changes):
        changes.extend(prorate)
    if before.unit_code != result.slip.unit_code:
        changes.append(
            {"code": "unit", "before": before.unit_name, "after": result.slip.unit_name, "reason": "所属の異動"}
        )
    return changes
