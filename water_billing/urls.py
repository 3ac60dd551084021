"""The 水道料金 pages, in the module namespace guarded by tenants.access."""

from django.urls import URLPattern, URLResolver

app_name = "water_billing"

urlpatterns: list[URLPattern | URLResolver] = []
