"""The 水道料金 pages (namespace ``water_billing``, guarded by tenants.access)."""

from water_billing.views.books import books_view, tariffs_view
from water_billing.views.capital import capital_view
from water_billing.views.collection import (
    arrears_step_view,
    arrears_view,
    bill_pdf_view,
    debit_view,
    notice_pdf_view,
    payment_view,
)
from water_billing.views.common import GATE, personal_data_page
from water_billing.views.connections import connection_view, meters_view, search_view
from water_billing.views.moves import move_resolve_view, moves_pull_view, moves_view
from water_billing.views.plans import plan_end_view, plan_new_view, plan_pay_view, plan_view, plans_view
from water_billing.views.reading_entry import reading_entry_view
from water_billing.views.readings import readings_view, route_view
from water_billing.views.runs import run_cancel_view, run_confirm_view, run_status_view, run_view, runs_view

__all__ = [
    "GATE",
    "arrears_step_view",
    "arrears_view",
    "bill_pdf_view",
    "books_view",
    "capital_view",
    "connection_view",
    "debit_view",
    "meters_view",
    "move_resolve_view",
    "moves_pull_view",
    "moves_view",
    "notice_pdf_view",
    "payment_view",
    "personal_data_page",
    "plan_end_view",
    "plan_new_view",
    "plan_pay_view",
    "plan_view",
    "plans_view",
    "reading_entry_view",
    "readings_view",
    "route_view",
    "run_cancel_view",
    "run_confirm_view",
    "run_status_view",
    "run_view",
    "runs_view",
    "search_view",
    "tariffs_view",
]  # fmt: skip
