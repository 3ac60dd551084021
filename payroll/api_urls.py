"""/api/v1/payroll/: the module's REST routes (namespace "payroll", so tenants.access applies the module's roles)."""

from django.urls import URLPattern, URLResolver

app_name = "payroll"

urlpatterns: list[URLPattern | URLResolver] = []
