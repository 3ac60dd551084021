"""/groupware/meetings/: included by groupware.urls, so the pages sit in the groupware module's namespace and its
roles apply (every town role but the maintenance vendor; tenants.access.MODULES)."""

from django.urls import path

from groupware.meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.list_view, name="list"),
    path("new/", views.new_view, name="new"),
    path("<int:pk>/", views.meeting_view, name="meeting"),
    path("<int:pk>/agenda/", views.agenda_view, name="agenda"),
    path("<int:pk>/documents/", views.document_upload_view, name="document_upload"),
    path("<int:pk>/documents/<int:document_id>/", views.document_view, name="document"),
    path("<int:pk>/documents/<int:document_id>/pdf/", views.document_pdf_view, name="document_pdf"),
    path("<int:pk>/participants/", views.participants_view, name="participants"),
    path("<int:pk>/participants/<int:person_id>/remove/", views.participant_remove_view, name="participant_remove"),
    path("<int:pk>/reschedule/", views.reschedule_view, name="reschedule"),
    path("<int:pk>/cancel/", views.cancel_view, name="cancel"),
    path("<int:pk>/attendance/", views.attendance_view, name="attendance"),
    path("<int:pk>/minutes/", views.minutes_view, name="minutes"),
    path("<int:pk>/minutes/confirm/", views.minutes_confirm_view, name="minutes_confirm"),
    path("<int:pk>/web-meeting/", views.meeting_web_view, name="web_meeting"),
    path("<int:pk>/share/", views.share_view, name="share"),
    path("events/<int:pk>/web-meeting/", views.event_web_view, name="event_web_meeting"),
    path("events/council/<int:pk>/web-meeting/", views.council_event_web_view, name="council_event_web_meeting"),
]
