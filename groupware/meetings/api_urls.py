"""/api/v1/groupware/meetings/: included by groupware.api_urls (the groupware module's roles apply)."""

from django.urls import path

from groupware.meetings import api

app_name = "meetings"

urlpatterns = [
    path("", api.MeetingListView.as_view(), name="meetings"),
    path("<int:meeting_id>/", api.MeetingDetailView.as_view(), name="meeting"),
]
