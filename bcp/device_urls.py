"""/devices/: endpoints for machines holding a device token (no session, no membership)."""

from django.urls import path

from bcp import device_views

app_name = "devices"

urlpatterns = [
    path("cameras/readings", device_views.camera_reading_view, name="camera_reading"),
]
