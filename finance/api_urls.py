"""/api/v1/finance/: the module's REST routes (namespace "finance", so tenants.access applies the module's roles)."""

from django.urls import URLPattern, URLResolver

app_name = "finance"

urlpatterns: list[URLPattern | URLResolver] = []
