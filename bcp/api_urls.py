"""/api/v1/bcp/: the module's REST routes (namespace "bcp", so tenants.access applies the module's roles)."""

from django.urls import URLPattern

app_name = "bcp"

urlpatterns: list[URLPattern] = []
