"""/api/v1/water_billing/: the module's REST routes (namespace "water_billing", so tenants.access applies the module's roles)."""

from django.urls import URLPattern, URLResolver

app_name = "water_billing"

urlpatterns: list[URLPattern | URLResolver] = []
