"""Errors of the 年末調整 (docs/domain/payroll.md §13): stable codes (API) and Japanese messages (UI).

A service raising one of these has written nothing.
"""

from __future__ import annotations

from common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class YearEndInputError(ValidationFailed):
    code = "payroll_year_end_invalid_input"
    message = "年末調整の申告内容に誤りがあります。"


class YearEndYearUnsupported(ValidationFailed):
    code = "payroll_year_end_year_unsupported"
    message = "この年分の年末調整の計算規則はありません。"


class YearEndNoLockedRuns(ValidationFailed):
    code = "payroll_year_end_no_locked_runs"
    message = "この年に支給した確定済みの給与計算がないため、年末調整を計算できません。"


class YearEndOpenRuns(Conflict):
    code = "payroll_year_end_open_runs"
    message = "この年に支給する給与計算に未確定のものがあります。すべて確定してから年末調整を計算してください。"


class YearEndLocked(Conflict):
    code = "payroll_year_end_locked"
    message = "この年の年末調整は確定済みのため変更できません。"


class YearEndStateError(Conflict):
    code = "payroll_year_end_state"
    message = "この年末調整は現在の状態ではその操作ができません。"


class YearEndReadjustmentDeadline(Conflict):
    code = "payroll_year_end_readjust_deadline"
    message = "再年末調整の期限(翌年1月31日: 源泉徴収票・給与支払報告書の提出期限)を過ぎています。"


class YearEndSelfApproval(PermissionDenied):
    code = "payroll_year_end_self_approval"
    message = "年末調整を計算した職員は、自らその計算を承認できません。別の職員が承認してください。"


class YearEndApproverMissing(PermissionDenied):
    code = "payroll_year_end_approver_missing"
    message = "年末調整の承認者(計算者とは別の職員)が特定できません。"


class YearEndNotFound(NotFound):
    code = "payroll_year_end_not_found"
    message = "該当する年末調整が見つかりません。"
