"""/api/v1/water_billing/: the module's REST routes (namespace "water_billing": tenants.access applies its roles)."""

from django.urls import URLPattern, URLResolver, path

from water_billing import api

app_name = "water_billing"

urlpatterns: list[URLPattern | URLResolver] = [
    path("connections/", api.ConnectionsView.as_view(), name="connections"),
    path("readings/", api.ReadingsView.as_view(), name="readings"),
    path("bills/", api.BillsView.as_view(), name="bills"),
    path("payments/", api.PaymentsView.as_view(), name="payments"),
    path("arrears/", api.ArrearsView.as_view(), name="arrears"),
    path("ledger/", api.LedgerView.as_view(), name="ledger"),
]
