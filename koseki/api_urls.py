"""/api/v1/koseki/: the module's REST routes (namespace "koseki", so tenants.access applies the module's roles)."""

from django.urls import path

from koseki import api

app_name = "koseki"

urlpatterns = [
    path("issuances/", api.IssuanceLogView.as_view(), name="issuances"),
    path("notifications/", api.NotificationLogView.as_view(), name="notifications"),
]
