"""/api/v1/bcp/: the module's REST routes (namespace "bcp", so tenants.access applies the module's roles)."""

from django.urls import path

from bcp import api

app_name = "bcp"

urlpatterns = [
    path("drills/", api.DrillListView.as_view(), name="drills"),
]
