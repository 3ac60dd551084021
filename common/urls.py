from django.urls import path

from common import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_events_view, name="events"),
]
