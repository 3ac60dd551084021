from django.urls import path

from bcp import views

app_name = "bcp"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("progress.json", views.progress_view, name="progress"),
    path("backups/start/", views.backup_start_view, name="backup_start"),
    path("drills/start/", views.drill_start_view, name="drill_start"),
    path("disasters/", views.disasters_view, name="disasters"),
    path("disasters/declare/", views.disaster_declare_view, name="disaster_declare"),
    path("disasters/<int:pk>/", views.disaster_view, name="disaster"),
    path("disasters/<int:pk>/end/", views.disaster_end_view, name="disaster_end"),
    path("disasters/<int:pk>/grant/", views.grant_view, name="grant"),
    path("grants/<int:pk>/revoke/", views.grant_revoke_view, name="grant_revoke"),
    path("incidents/", views.incidents_view, name="incidents"),
    path("incidents/new/", views.incident_new_view, name="incident_new"),
    path("incidents/<int:pk>/", views.incident_view, name="incident"),
    path("incidents/<int:pk>/events/", views.incident_event_view, name="incident_event"),
    path("incidents/<int:pk>/status/", views.incident_status_view, name="incident_status"),
    path("policies/", views.policies_view, name="policies"),
    path("policies/versions/<int:pk>/", views.policy_view, name="policy"),
    path("policies/versions/<int:pk>/approve/", views.policy_approve_view, name="policy_approve"),
    path("policies/<slug:kind>/", views.policy_kind_view, name="policy_kind"),
    path("policies/<slug:kind>/new/", views.policy_new_view, name="policy_new"),
]
