"""The グループウェア pages, in the module namespace guarded by tenants.access."""

from django.urls import include, path

from groupware import views

app_name = "groupware"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("schedule/day/", views.day_view, name="day"),
    path("schedule/week/", views.week_view, name="week"),
    path("schedule/month/", views.month_view, name="month"),
    path("schedule/group/", views.group_week_view, name="group_week"),
    path("schedule/free/", views.free_slots_view, name="free_slots"),
    path("schedule/export.ics", views.export_view, name="export"),
    path("schedule/feed/", views.feed_view, name="feed"),
    path("events/new/", views.event_new_view, name="event_new"),
    path("events/<int:pk>/", views.event_view, name="event"),
    path("events/<int:pk>/cancel/", views.event_cancel_view, name="event_cancel"),
    path("events/<int:pk>/export.ics", views.event_export_view, name="event_export"),
    path("events/council/<int:pk>/", views.council_event_view, name="council_event"),
    path("events/council/<int:pk>/cancel/", views.council_event_cancel_view, name="council_event_cancel"),
    path("facilities/", views.facilities_view, name="facilities"),
    path("facilities/<int:pk>/book/", views.book_view, name="book"),
    path("facilities/council/<int:pk>/book/", views.council_book_view, name="council_book"),
    path("bookings/pending/", views.pending_bookings_view, name="pending_bookings"),
    path("bookings/<int:pk>/decide/", views.booking_decide_view, name="booking_decide"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel_view, name="booking_cancel"),
    path("bookings/council/<int:pk>/cancel/", views.council_booking_cancel_view, name="council_booking_cancel"),
    path("requests/", views.requests_view, name="requests"),
    path("requests/new/<int:form_id>/", views.request_new_view, name="request_new"),
    path("requests/<int:pk>/", views.request_view, name="request"),
    path("requests/<int:pk>/files/<int:file_id>/", views.request_file_view, name="request_file"),
    path("requests/<int:pk>/<slug:action>/", views.request_action_view, name="request_action"),
    path("workflow/forms/new/", views.form_define_view, name="form_define"),
    path("workflow/delegations/", views.delegations_view, name="delegations"),
    path("notices/", views.notices_view, name="notices"),
    path("notices/new/", views.notice_new_view, name="notice_new"),
    path("notices/<int:pk>/", views.notice_view, name="notice"),
    path("notices/<int:pk>/comment/", views.notice_comment_view, name="notice_comment"),
    path("notices/<int:pk>/files/<int:file_id>/", views.notice_file_view, name="notice_file"),
    path("notices/council/<int:pk>/", views.council_notice_view, name="council_notice"),
    path("notices/council/<int:pk>/comment/", views.council_notice_comment_view, name="council_notice_comment"),
    path("notices/council/<int:pk>/files/<int:file_id>/", views.council_notice_file_view, name="council_notice_file"),
    path("organisation/", views.organisation_view, name="organisation"),
    path("organisation/transfers/", views.transfers_view, name="transfers"),
    path("cabinet/", views.cabinet_view, name="cabinet"),
    path("cabinet/<int:pk>/", views.folder_view, name="folder"),
    path("cabinet/files/<int:pk>/", views.file_view, name="file"),
    path("cabinet/files/<int:pk>/download/", views.file_download_view, name="file_download"),
    path("search/", views.search_view, name="search"),
    path("notifications/", views.notifications_view, name="notifications"),
    path("notifications/read/", views.notifications_read_view, name="notifications_read"),
    path("meetings/", include("groupware.meetings.urls")),  # ペーパーレス会議・Web会議 (docs/domain/meetings.md)
]
