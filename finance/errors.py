"""財務会計 errors: stable codes for the API, Japanese messages for the clerk."""

from __future__ import annotations

from common.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed


class FinanceError(ValidationFailed):
    code = "finance_invalid"
    message = "財務会計の処理内容に誤りがあります。"


class InvalidAmount(FinanceError):
    code = "finance_invalid_amount"
    message = "金額は1円以上の整数で入力してください。"


class InvalidBudgetCode(FinanceError):
    code = "finance_invalid_budget_code"
    message = "科目コードが正しくありません。"


class BudgetLineNotFound(NotFound):
    code = "finance_budget_line_not_found"
    message = "指定の科目(目・節)はこの年度の予算にありません。"


class FiscalYearNotFound(NotFound):
    code = "finance_fiscal_year_not_found"
    message = "指定の会計年度の予算がありません。"


class FiscalYearClosed(ApplicationError):
    code = "finance_year_closed"
    message = "この会計年度は決算済みのため、登録・変更・取消はできません。"
    status_code = 409


class OutsideFiscalPeriod(FinanceError):
    code = "finance_outside_period"
    message = "日付がこの会計年度(出納整理期間を含む)の期間外です。"


class BudgetExceeded(ApplicationError):
    code = "finance_budget_exceeded"
    message = "予算残額を超えるため登録できません。"
    status_code = 409


class TransferRefused(FinanceError):
    code = "finance_transfer_refused"
    message = "この流用・充用はできません。"


class BudgetVersionInvalid(FinanceError):
    code = "finance_budget_version_invalid"
    message = "予算の版(当初・補正)の内容に誤りがあります。"


class SelfApproval(PermissionDenied):
    code = "finance_self_approval"
    message = "同じ職員が前の段階を処理した伝票は、承認・審査・支払できません(職務の分離)。"


class RoleRequired(PermissionDenied):
    code = "finance_role_required"
    message = "この処理を行う役割がありません。"


class WrongState(Conflict):
    code = "finance_wrong_state"
    message = "この伝票は現在の状態ではその処理ができません。"


class VendorInvalid(FinanceError):
    code = "finance_vendor_invalid"
    message = "債権者の登録内容に誤りがあります。"


class DocumentNotFound(NotFound):
    code = "finance_not_found"
    message = "対象の伝票が見つかりません。"
