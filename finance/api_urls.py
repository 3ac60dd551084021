"""/api/v1/finance/: the module's REST routes (namespace "finance", so tenants.access applies the module's roles)."""

from django.urls import URLPattern, URLResolver, path

from finance import api

app_name = "finance"

urlpatterns: list[URLPattern | URLResolver] = [
    path("budgets/", api.BudgetListView.as_view(), name="budgets"),
    path("commitments/", api.CommitmentListView.as_view(), name="commitments"),
    path("payments/", api.PaymentListView.as_view(), name="payments"),
    path("revenues/", api.RevenueListView.as_view(), name="revenues"),
    path("journal/", api.JournalView.as_view(), name="journal"),
]
