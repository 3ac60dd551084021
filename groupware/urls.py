"""The グループウェア pages, in the module namespace guarded by tenants.access."""

from django.urls import URLPattern, URLResolver

app_name = "groupware"

urlpatterns: list[URLPattern | URLResolver] = []
