"""/api/v1/: every module's API routes sit in a namespace named after the module (see tenants.access)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from resident_records import api as resident_api
from resident_records import api_bulk as resident_bulk_api
from resident_records import api_logs as resident_logs_api
from tenants import api as tenants_api
from tenants import api_audit as audit_api

app_name = "api"

audit_patterns = (
    [
        path("audit-events/", audit_api.AuditEventListView.as_view(), name="events"),
    ],
    "audit",
)

resident_patterns = (
    [
        path("residents/<str:atena_number>/", resident_api.ResidentDetailView.as_view(), name="resident"),
        path("residents/<str:atena_number>/history/", resident_api.ResidentHistoryView.as_view(), name="history"),
        path("households/<str:number>/", resident_api.HouseholdDetailView.as_view(), name="household"),
        path("events/", resident_api.EventListView.as_view(), name="events"),
        path("import/", resident_bulk_api.ResidentImportView.as_view(), name="import"),
        path("import/jobs/<uuid:public_id>/", resident_bulk_api.ResidentImportJobView.as_view(), name="import_job"),
        path("export/", resident_bulk_api.ResidentExportView.as_view(), name="export"),
        path("issuances/", resident_logs_api.IssuanceLogView.as_view(), name="issuances"),
        path(
            "support-measures/attention/",
            resident_logs_api.SupportAttentionView.as_view(),
            name="support_attention",
        ),
    ],
    "resident_records",
)

urlpatterns = [
    path("me/", tenants_api.MeView.as_view(), name="me"),
    path("tokens/", tenants_api.TokenListCreateView.as_view(), name="tokens"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include(audit_patterns)),
    path("resident_records/", include(resident_patterns)),
    path("koseki/", include("koseki.api_urls")),
    path("bcp/", include("bcp.api_urls")),
    path("finance/", include("finance.api_urls")),
    path("payroll/", include("payroll.api_urls")),
    path("water_billing/", include("water_billing.api_urls")),
    path("groupware/", include("groupware.api_urls")),
    path("directory/", include("groupware.api_urls_directory")),
    path("chat/", include("groupware.chat.api_urls")),
    path("chat_export/", include("groupware.chat.api_urls_export")),
]
