"""The 人事給与 pages, in the module namespace guarded by tenants.access."""

from django.urls import URLPattern, URLResolver

app_name = "payroll"

urlpatterns: list[URLPattern | URLResolver] = []
