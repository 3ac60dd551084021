"""/api/v1/groupware/: the module's REST routes (namespace "groupware": tenants.access applies its roles)."""

from django.urls import URLPattern, URLResolver

app_name = "groupware"

urlpatterns: list[URLPattern | URLResolver] = []
