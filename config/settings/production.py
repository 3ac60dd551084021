"""Production settings: every secret from the environment, HTTPS only, no demo shortcut."""

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import env, env_bool, env_int, env_list

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters in production")
KYODO_MYNUMBER_KEY = env("KYODO_MYNUMBER_KEY")
ALLOWED_HOSTS = env_list("KYODO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("KYODO_ALLOWED_HOSTS is required in production")

# The demo two-factor shortcut can never be switched on here, whatever the environment says.
KYODO_DEMO_MODE = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("KYODO_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("KYODO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preload is on by default (check --deploy expects it); a council whose parent domain also serves
# plain-HTTP sites must turn it off with KYODO_HSTS_PRELOAD=0 and silence security.W021 knowingly.
SECURE_HSTS_PRELOAD = env_bool("KYODO_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("KYODO_CSRF_TRUSTED_ORIGINS")
