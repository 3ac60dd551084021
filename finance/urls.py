"""The 財務会計 pages, in the module namespace guarded by tenants.access."""

from django.urls import URLPattern, URLResolver, path

from finance import views, views_allotment, views_vendors

app_name = "finance"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.execution_view, name="execution"),
    path("ledger/<int:pk>/", views.line_ledger_view, name="ledger"),
    path("entry/", views.commitment_entry_view, name="entry"),
    path("entry/balance/", views.balance_view, name="balance"),
    path("inbox/", views.inbox_view, name="inbox"),
    path("pay/", views.pay_view, name="pay"),
    path("allotment/", views_allotment.allotment_view, name="allotment"),
    path("transfer/", views.transfer_view, name="transfer"),
    path("settlement/", views.settlement_view, name="settlement"),
    path("school/", views.school_view, name="school"),
    path("vendors/", views.vendors_view, name="vendors"),
    path("vendors/<uuid:public_id>/", views_vendors.vendor_view, name="vendor"),
    path("cost-sharing/", views.cost_sharing_view, name="cost_sharing"),
    path("revenues/<str:number>/notice/", views.payment_notice_view, name="payment_notice"),
    path("commitments/<str:number>/", views.commitment_view, name="commitment"),
    path("commitments/<str:number>/pdf/", views.commitment_pdf_view, name="commitment_pdf"),
    path("commitments/<str:number>/inspect/", views.inspect_view, name="inspect"),
    path("commitments/<str:number>/order/", views.order_view, name="order"),
    path("orders/<str:number>/pdf/", views.order_pdf_view, name="order_pdf"),
    path("orders/<str:number>/audit/", views.audit_view, name="audit"),
]
