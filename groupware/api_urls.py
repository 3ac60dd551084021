"""/api/v1/groupware/: the module's REST routes (namespace "groupware": tenants.access applies its roles)."""

from django.urls import include, path

from groupware import api

app_name = "groupware"

urlpatterns = [
    path("events/", api.EventListView.as_view(), name="events"),
    path("facilities/", api.FacilityListView.as_view(), name="facilities"),
    path("bookings/", api.BookingListView.as_view(), name="bookings"),
    path("meetings/", include("groupware.meetings.api_urls")),
]
