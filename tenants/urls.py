from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import urls as webauthn_urls

from tenants import views

app_name = "accounts"


def _webauthn_patterns() -> list:
    # The library's ceremony views guard registration themselves (an enrolled user must be verified
    # first, django-otp-webauthn >= 0.10.3); they answer JSON, so our 2FA redirect must not apply.
    patterns = []
    for pattern in webauthn_urls.urlpatterns:
        if pattern.name == "js-i18n-catalog":
            # The library ships no Japanese; its script messages are translated in tenants/locale.
            catalog = JavaScriptCatalog.as_view(packages=["django_otp_webauthn", "tenants"])
            pattern = path("jsi18n/", catalog, name="js-i18n-catalog")
        pattern.callback.otp_exempt = True
        patterns.append(pattern)
    return patterns


urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("verify/", views.verify_view, name="verify"),
    path("enrol/", views.enrol_view, name="enrol"),
    path("recovery-codes/", views.recovery_codes_view, name="recovery_codes"),
    path("security/", views.security_view, name="security"),
    path("security/tokens/<int:pk>/revoke/", views.revoke_token_view, name="revoke_token"),
    path("switch/arrive/", views.switch_arrive_view, name="switch_arrive"),
    path("switch/<slug:schema>/", views.switch_view, name="switch"),
]

webauthn_patterns = ([*_webauthn_patterns()], "otp_webauthn")
