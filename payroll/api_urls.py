"""/api/v1/payroll/: the module's REST routes (namespace "payroll", so tenants.access applies the module's roles)."""

from django.urls import URLPattern, URLResolver, path

from payroll import api, year_end_api

app_name = "payroll"

urlpatterns: list[URLPattern | URLResolver] = [
    path("runs/", api.RunListView.as_view(), name="runs"),
    path("runs/<uuid:public_id>/lines/", api.RunLinesView.as_view(), name="run_lines"),
    path("reports/<int:year>/", api.PaymentReportView.as_view(), name="payment_report"),
    path("year-end/<int:year>/", year_end_api.YearEndResultsView.as_view(), name="year_end"),
]
