"""/api/v1/groupware/: the module's REST routes (namespace "groupware": tenants.access applies its roles)."""

from django.urls import include, path

from groupware import api, api_notices

app_name = "groupware"

urlpatterns = [
    path("events/", api.EventListView.as_view(), name="events"),
    path("facilities/", api.FacilityListView.as_view(), name="facilities"),
    path("bookings/", api.BookingListView.as_view(), name="bookings"),
    path("notices/", api_notices.NoticeListView.as_view(), name="notices"),
    path("notices/<int:pk>/", api_notices.NoticeView.as_view(), name="notice"),
    path("notices/<int:pk>/read/", api_notices.NoticeReadView.as_view(), name="notice_read"),
    path("notices/council/<int:pk>/", api_notices.CouncilNoticeView.as_view(), name="council_notice"),
    path("notices/council/<int:pk>/read/", api_notices.CouncilNoticeReadView.as_view(), name="council_notice_read"),
    path("requests/", api_notices.RequestListView.as_view(), name="requests"),
    path("requests/awaiting/", api_notices.AwaitingRequestListView.as_view(), name="requests_awaiting"),
    path("requests/<int:pk>/", api_notices.RequestView.as_view(), name="request"),
    path("requests/<int:pk>/approve/", api_notices.RequestApproveView.as_view(), name="request_approve"),
    path("meetings/", include("groupware.meetings.api_urls")),
]
