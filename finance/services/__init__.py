"""財務会計 services: every state change of the module, each one transaction with its audit row inside."""

from finance.services.budget import (
    add_budget_line,
    add_subject,
    apply_reserve,
    carry_forward,
    close_fiscal_year,
    enact_budget,
    open_account,
    open_fiscal_year,
    transfer_budget,
)
from finance.services.corrections import correct_classification, settle_advance
from finance.services.cost_sharing import approve_cost_sharing, calculate_cost_sharing, post_cost_sharing
from finance.services.departments import allot_to_department
from finance.services.expenditure import (
    audit_order,
    cancel_commitment,
    commit_expenditure,
    inspect_delivery,
    order_payment,
)
from finance.services.external import ExternalLine, post_external_expenditure
from finance.services.payments import pay_orders, record_refund
from finance.services.revenue import assess_revenue, import_receipts, record_rebate, record_receipt, write_off
from finance.services.vendors import register_vendor

__all__ = [
    "ExternalLine",
    "add_budget_line",
    "add_subject",
    "allot_to_department",
    "apply_reserve",
    "approve_cost_sharing",
    "assess_revenue",
    "audit_order",
    "calculate_cost_sharing",
    "cancel_commitment",
    "carry_forward",
    "close_fiscal_year",
    "commit_expenditure",
    "correct_classification",
    "enact_budget",
    "import_receipts",
    "inspect_delivery",
    "open_account",
    "open_fiscal_year",
    "order_payment",
    "pay_orders",
    "post_cost_sharing",
    "post_external_expenditure",
    "record_rebate",
    "record_receipt",
    "record_refund",
    "register_vendor",
    "settle_advance",
    "transfer_budget",
    "write_off",
]
