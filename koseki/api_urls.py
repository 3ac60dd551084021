"""/api/v1/koseki/: the module's REST routes (namespace "koseki", so tenants.access applies the module's roles)."""

from django.urls import URLPattern

app_name = "koseki"

urlpatterns: list[URLPattern] = []
