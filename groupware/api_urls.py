"""/api/v1/groupware/: the module's REST routes (namespace "groupware", so tenants.access applies the module's roles)."""

from django.urls import URLPattern, URLResolver

app_name = "groupware"

urlpatterns: list[URLPattern | URLResolver] = []
