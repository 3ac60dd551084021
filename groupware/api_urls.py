"""/api/v1/groupware/: the module's REST routes (namespace "groupware": tenants.access applies its roles)."""

from django.urls import path

from groupware import api

app_name = "groupware"

urlpatterns = [
    path("events/", api.EventListView.as_view(), name="events"),
    path("facilities/", api.FacilityListView.as_view(), name="facilities"),
    path("bookings/", api.BookingListView.as_view(), name="bookings"),
    path("scim/v2/Users", api.ScimUsersView.as_view(), name="scim_users"),
    path("scim/v2/Users/<int:person_id>", api.ScimUserView.as_view(), name="scim_user"),
    path("scim/v2/Groups", api.ScimGroupsView.as_view(), name="scim_groups"),
    path("scim/v2/Groups/<slug:code>", api.ScimGroupView.as_view(), name="scim_group"),
]
