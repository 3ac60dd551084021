"""The module's refusals: stable codes, Japanese messages (docs/domain/water_billing.md)."""

from __future__ import annotations

from common.errors import ApplicationError


class ClosedConnection(ApplicationError):
    code = "connection_closed"
    message = "閉栓済みの給水装置です。"


class ReadingExists(ApplicationError):
    code = "reading_exists"
    message = "この期の検針は既に入力されています。"


class ReadingsRefused(ApplicationError):
    code = "readings_refused"
    message = "検針データに誤りがあるため、取り込みませんでした(1件も登録していません)。"


class RunStateInvalid(ApplicationError):
    code = "run_state_invalid"
    message = "この調定処理は現在の状態ではその操作ができません。"
    status_code = 409


class RunSummaryMismatch(ApplicationError):
    code = "run_summary_mismatch"
    message = "調定処理の集計と請求の合計が一致しません。調定を確定できません。"
    status_code = 409


class RunHasPayments(ApplicationError):
    code = "run_has_payments"
    message = "収納済みの請求がある調定処理は取り消せません。"
    status_code = 409


class PeriodClosed(ApplicationError):
    code = "period_closed"
    message = "締め済みの会計月の収納は入力できません。"


class BillNotPayable(ApplicationError):
    code = "bill_not_payable"
    message = "この請求には収納を入力できません(取消済みの請求です)。"


class NothingToRefund(ApplicationError):
    code = "nothing_to_refund"
    message = "還付できる過誤納金がありません。"


class DebitSettingsMissing(ApplicationError):
    code = "debit_settings_missing"
    message = "口座振替の委託者コード・取引金融機関が町の設定に登録されていません。"


class NoDebitBills(ApplicationError):
    code = "no_debit_bills"
    message = "口座振替の対象となる未納の請求がありません。"


class DebitResultRefused(ApplicationError):
    code = "debit_result_refused"
    message = "口座振替結果ファイルに誤りがあるため、取り込みませんでした(1件も記録していません)。"


class DebitOtherRequester(ApplicationError):
    code = "debit_other_requester"
    message = "この口座振替結果ファイルは他の委託者のものです。取り込みませんでした。"


class DebitAlreadyImported(ApplicationError):
    code = "debit_already_imported"
    message = "この口座振替結果ファイルは既に取り込まれています。"


class PaymentsRefused(ApplicationError):
    code = "payments_refused"
    message = "収納データに誤りがあるため、取り込みませんでした(1件も記録していません)。"
