"""The 財務会計 pages, in the module namespace guarded by tenants.access."""

from django.urls import URLPattern, URLResolver

app_name = "finance"

urlpatterns: list[URLPattern | URLResolver] = []
