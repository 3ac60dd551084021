from django.apps import AppConfig

AUDIT_LABELS = {
    "finance.department_allot": "財務会計: 課への予算配当",
    "finance.vendor_picker": "財務会計: 伝票入力の債権者一覧(個人を含む)の表示",
    "finance.account_open": "財務会計: 会計の設置",
    "finance.year_open": "財務会計: 会計年度の開始",
    "finance.subject_add": "財務会計: 款項目の追加",
    "finance.line_add": "財務会計: 節の追加",
    "finance.budget_enact": "財務会計: 予算(当初・補正)の登録",
    "finance.budget_transfer": "財務会計: 流用",
    "finance.reserve_apply": "財務会計: 予備費充用",
    "finance.carry_forward": "財務会計: 繰越",
    "finance.year_close": "財務会計: 決算",
    "finance.commit": "財務会計: 支出負担行為",
    "finance.commit_cancel": "財務会計: 支出負担行為の取消",
    "finance.inspect": "財務会計: 検収",
    "finance.order": "財務会計: 支出命令",
    "finance.order_audit": "財務会計: 支出命令の審査",
    "finance.pay": "財務会計: 支払",
    "finance.refund": "財務会計: 戻入",
    "finance.correct": "財務会計: 更正",
    "finance.settle": "財務会計: 精算",
    "finance.external_post": "財務会計: 他業務からの計上(給与等)",
    "finance.assess": "財務会計: 調定",
    "finance.receive": "財務会計: 収納",
    "finance.rebate": "財務会計: 還付",
    "finance.write_off": "財務会計: 不納欠損",
    "finance.cost_sharing_calculate": "財務会計: 協議会負担金の試算",
    "finance.cost_sharing_approve": "財務会計: 協議会負担金の承認",
    "finance.cost_sharing_post": "財務会計: 協議会負担金の計上",
    "finance.cost_sharing_commit": "財務会計: 協議会負担金の支出負担行為",
    "finance.school_allot": "財務会計: 学校への配当",
    "finance.purchase_request": "財務会計: 物品購入依頼",
    "finance.vendor_register": "財務会計: 債権者の登録",
    "finance.vendor_view": "財務会計: 債権者(個人)の照会",
}


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = "財務会計"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import audit_labels, town_settings
        from common.ledger import register_derived_check, register_ledger
        from common.usage import UsageMetric, register_usage_metric
        from finance import rollup
        from finance.demo import seed_demo
        from finance.models import JournalLine
        from finance.services import budget, departments, payments
        from finance.usage import active_staff_accounts, stored_megabytes
        from tenants.demo import register_demo_seeder

        register_demo_seeder("finance", order=30, seed=seed_demo)
        register_ledger(JournalLine)
        register_derived_check(JournalLine, "finance.JournalRollup", rollup.check)
        register_usage_metric(UsageMetric("tenants.staff_accounts", "職員アカウント数", "staff", active_staff_accounts))
        register_usage_metric(UsageMetric("finance.storage", "保存データ量(MB)", "storage", stored_megabytes))
        town_settings.register(*budget.SETTINGS, *payments.SETTINGS, *departments.SETTINGS)
        audit_labels.register(AUDIT_LABELS)
