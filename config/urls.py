"""URL routes of every town host (and the council host). The town comes from the Host header."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from tenants import views as shell_views
from tenants.admin_site import unregister_third_party_models
from tenants.urls import webauthn_patterns

unregister_third_party_models()

urlpatterns = [
    path("", shell_views.home_view, name="home"),
    path("healthz", shell_views.healthz_view, name="healthz"),
    path("brand.css", shell_views.brand_css_view, name="brand_css"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("accounts/", include("tenants.urls")),
    path("accounts/webauthn/", include(webauthn_patterns)),
    path("audit/", include("common.urls")),
    path("verify/", include("resident_records.urls_public")),
    path("resident_records/", include("resident_records.urls")),
    path("koseki/", include("koseki.urls")),
    path("bcp/", include("bcp.urls")),
    path("hq/", include("bcp.hq_urls")),
    path("devices/", include("bcp.device_urls")),
    path("finance/", include("finance.urls")),
    path("payroll/", include("payroll.urls")),
    path("payslips/", include("payroll.urls_payslips")),
    path("water_billing/", include("water_billing.urls")),
    path("groupware/", include("groupware.urls")),
    path("chat/", include("groupware.chat.urls")),
    path("website/", include("website.urls")),
    path("calendar-feed/", include("groupware.urls_feed")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
]

# An unknown /api/ path answers in the API's error format: common.middleware.ApiErrorFormatMiddleware.
