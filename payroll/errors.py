"""Errors of the payroll module: stable codes (API) and Japanese messages (UI).

A service raising one of these has written nothing (docs/domain/payroll.md §10).
"""

from __future__ import annotations

from common.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed


class PayrollInputError(ValidationFailed):
    code = "payroll_invalid_input"
    message = "給与の入力内容に誤りがあります。"


class WithholdingTableMissing(ValidationFailed):
    code = "payroll_withholding_table_missing"
    message = "支払日に適用される源泉徴収税額表がありません。"


class UnknownDependents(ValidationFailed):
    code = "payroll_unknown_dependents"
    message = "扶養親族等の数は0以上の整数で入力してください。"


class StepOutsideTable(ValidationFailed):
    code = "payroll_step_outside_table"
    message = "指定された級・号給は給料表にありません。"


class NegativeHours(ValidationFailed):
    code = "payroll_negative_hours"
    message = "勤務時間数に負の値は入力できません。"


class NegativeCount(ValidationFailed):
    code = "payroll_negative_count"
    message = "日数・回数に負の値は入力できません。"


class UnknownSpecialDuty(ValidationFailed):
    code = "payroll_unknown_special_duty"
    message = "この月に定められていない特殊勤務手当の種類です。"


class AppointmentInLockedMonth(Conflict):
    code = "payroll_appointment_in_locked_month"
    message = "発令日の月の給与計算は確定済みのため、その月の発令は登録できません。訂正は過誤調整で行ってください。"


class RunLocked(Conflict):
    code = "payroll_run_locked"
    message = "この給与計算は確定(ロック)済みのため変更できません。訂正は後の給与計算で過誤調整してください。"


class RunStateError(Conflict):
    code = "payroll_run_state"
    message = "この給与計算は現在の状態ではその操作ができません。"


class SelfApproval(PermissionDenied):
    code = "payroll_self_approval"
    message = "給与計算を行った職員は、自らその計算を承認できません。別の職員が承認してください。"


class MissingBankAccount(ValidationFailed):
    code = "payroll_missing_bank_account"
    message = "振込先口座が登録されていない職員がいます。"


class StaffNotFound(NotFound):
    code = "payroll_staff_not_found"
    message = "該当する職員が見つかりません。"


class RunNotFound(NotFound):
    code = "payroll_run_not_found"
    message = "該当する給与計算が見つかりません。"


class NotOnTownPayroll(ApplicationError):
    code = "payroll_not_on_town_payroll"
    message = "県費負担教職員の給与は県から支給されるため、町の給与には含まれません。"
