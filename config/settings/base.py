"""Settings shared by every environment; everything deployment-specific comes from the environment.

Environment variables (see README.md and deploy/systemd/kyodo.env.example):
  DATABASE_URL, REDIS_URL, SECRET_KEY, KYODO_ALLOWED_HOSTS, KYODO_IDLE_TIMEOUT_MINUTES,
  KYODO_API_TOKEN_TTL_DAYS, KYODO_AXES_FAILURE_LIMIT, KYODO_PROXY_COUNT, KYODO_TIME_ZONE ...
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} is required")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_json(name: str, default: str) -> dict[str, object]:
    value = json.loads(os.environ.get(name) or default)
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"Environment variable {name} must be a JSON object")
    return value


SECRET_KEY = env("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("KYODO_ALLOWED_HOSTS", ".localhost,localhost,127.0.0.1")

# --- Tenancy (django-tenants): one PostgreSQL schema per municipality --------------------------
# Public schema: the council's data (municipalities, people, memberships, sessions, 2FA devices,
# lockout records, the council audit trail). Town schemas: each town's own data and audit trail.
# Town tables never reference public tables by foreign key, so a town's dump restores on its own
# (withdraw_municipality relies on that).
SHARED_APPS = [
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tenants.apps.KyodoAdminConfig",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
    "csp",
    "tenants",
    "common",
    "bcp",
]
TENANT_APPS = [
    "common",
    "resident_records",
    "koseki",
    "finance",
    "payroll",
    "water_billing",
    "groupware",
    "groupware.meetings",
    # The business chat: its tables are written in the council's schema only (docs/domain/chat.md §1).
    "groupware.chat",
    "website",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Municipality"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# `SET search_path` only when the schema changes, not before every statement (django-tenants resets it on every
# tenant switch, rollback and savepoint rollback): a page ran 45 of them before (docs/performance.md).
TENANT_LIMIT_SET_CALLS = True
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# migrate_schemas skips withdrawn towns whose schema was dropped (tenants/migration_executor.py).
os.environ.setdefault("EXECUTOR", "kyodo")
# An unknown host gets 404 (no DEFAULT_NOT_FOUND_TENANT_VIEW, no SHOW_PUBLIC_IF_NO_TENANT_FOUND).

AUTH_USER_MODEL = "tenants.Person"

MIDDLEWARE = [
    # First, so that its figures cover every other middleware (a no-op unless KYODO_BENCH_HEADERS is set).
    "common.instrumentation.BenchHeadersMiddleware",
    "common.middleware.ReadinessMiddleware",
    "common.middleware.RequestContextMiddleware",
    # Errors under /api/ in the API's JSON format, also those raised outside DRF (unknown path, CSRF, 500).
    "common.middleware.ApiErrorFormatMiddleware",
    "common.timeouts.StatementTimeoutMiddleware",
    # django-tenants' TenantMainMiddleware: Host → town schema (the lookup cached, tenants.hosts), and a town's
    # public-site host routed to its own urlconf.
    "tenants.host_routing.KyodoTenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Django's, except that background polls (common.middleware.passive) do not slide the idle timeout.
    "common.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "common.middleware.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.middleware.MunicipalityAccessMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so that its process_exception sees a view's exception first (common.health).
    "common.middleware.DependencyOutageMiddleware",
]

ROOT_URLCONF = "config.urls"
# The URL tree of a town's public website host (tenants.Domain.is_public_site; docs/domain/website.md §1).
KYODO_PUBLIC_SITE_URLCONF = "website.public_urls"
PUBLIC_SCHEMA_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# HTTP and the chat's WebSocket (config/asgi.py), served by gunicorn's uvicorn workers (deploy/gunicorn.conf.py).
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "common" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.shell",
                "bcp.context_processors.disaster",
            ],
            "builtins": ["common.templatetags.wareki_tags"],
        },
    }
]

# --- Database and cache -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kyodo"),
        conn_max_age=env_int("KYODO_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# django-tenants' backend with the guards a connection pool needs (common/postgresql/base.py).
DATABASES["default"]["ENGINE"] = "common.postgresql"
# Web requests get a statement budget below gunicorn's worker timeout (KYODO_TIMEOUT, deploy/gunicorn.conf.py)
# less a margin for the rest of the request; workers and commands don't (common.timeouts explains why). The web
# processes are recognised by KYODO_PROCESS=web, which config/wsgi.py sets before Django starts.
KYODO_WEB_STATEMENT_TIMEOUT_MS = env_int(
    "KYODO_WEB_STATEMENT_TIMEOUT_MS", max(env_int("KYODO_TIMEOUT", 30) - 5, 1) * 1000
)
if os.environ.get("KYODO_PROCESS") == "web":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c statement_timeout={KYODO_WEB_STATEMENT_TIMEOUT_MS}".strip()
# The web processes take their connections from psycopg's pool: under uvicorn each request runs in a thread of its
# own, so a thread's kept connection was never reused and every request opened a new one (a fork of a PostgreSQL
# backend, authentication, the type lookups: docs/performance.md "Fixed cost per request"). A request returns its
# connection when it ends (CONN_MAX_AGE 0 is what Django's pool requires); the pool resets search_path before the
# next request takes it (common/postgresql/base.py). A web process holds at most KYODO_DB_POOL_MAX_SIZE
# connections, so a web host opens up to workers × that (deploy/README.md). Celery workers, management commands and
# tests keep one connection per thread (KYODO_DB_CONN_MAX_AGE): a prefork worker or a command is one thread, and a
# test runs inside one transaction on one connection, so a pool would only add a second code path there.
KYODO_DB_POOL = os.environ.get("KYODO_PROCESS") == "web" and env_bool("KYODO_DB_POOL", True)
if KYODO_DB_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("KYODO_DB_POOL_MIN_SIZE", 2),
        "max_size": env_int("KYODO_DB_POOL_MAX_SIZE", 4),
        # A request waits this long for a free connection, then fails (500) rather than queue without bound.
        "timeout": env_int("KYODO_DB_POOL_TIMEOUT", 10),
        "max_idle": 300,  # idle connections above min_size are closed after 5 minutes
        "max_lifetime": 3600,  # and every connection is renewed hourly (memory a backend keeps, role changes)
    }
KYODO_PG_BIN = env("KYODO_PG_BIN", "")  # directory of pg_dump/pg_restore; empty: from PATH
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Cache keys carry the schema name so one town never reads another town's cache entries.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": env("KYODO_CACHE_PREFIX", "kyodo"),
        # A Redis that is away must fail fast, so throttling fails open instead of holding the request.
        "OPTIONS": {
            "socket_connect_timeout": env_int("KYODO_CACHE_TIMEOUT_SECONDS", 2),
            "socket_timeout": env_int("KYODO_CACHE_TIMEOUT_SECONDS", 2),
            # One pool per process, not one per request: under ASGI each request has a cache object of its own.
            "pool_class": "common.redis_pool.SharedConnectionPool",
        },
    }
}

# --- Authentication, two-factor, lockout ----------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = env_int("KYODO_AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KYODO_AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_IPWARE_PROXY_COUNT = env_int("KYODO_PROXY_COUNT", 0)
# The same client address the audit trail records (honours KYODO_PROXY_COUNT trusted proxies).
AXES_CLIENT_IP_CALLABLE = "common.middleware.client_ip"

OTP_TOTP_ISSUER = "Kyodo"
OTP_TOTP_TOLERANCE = 1
OTP_WEBAUTHN_RP_NAME = "Kyodo 共同電算"
# The relying party id: set KYODO_WEBAUTHN_RP_ID to the council's parent domain (e.g. kyodo.example.jp) so
# that one security key works at every town's host. Unset, each town host is its own relying party
# (browsers do not accept the bare "localhost" as a parent of "nakatosa.localhost").
KYODO_WEBAUTHN_RP_ID = env("KYODO_WEBAUTHN_RP_ID", "")
OTP_WEBAUTHN_RP_ID_CALLABLE = "tenants.mfa.webauthn_rp_id"
# Empty: the origin of the town host the request came to (a host django-tenants already matched to a
# registered domain) is the one allowed origin; see tenants.mfa.KyodoWebAuthnHelper.
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("KYODO_WEBAUTHN_ORIGINS", "")
OTP_WEBAUTHN_HELPER_CLASS = "tenants.mfa.KyodoWebAuthnHelper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# E030 ("no allowed origins") does not apply: the helper above supplies the origin per request.
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E030"]

# Idle timeout: the session expires after this many minutes without a request (sliding window).
SESSION_COOKIE_AGE = env_int("KYODO_IDLE_TIMEOUT_MINUTES", 30) * 60
# Not written on every request: common.middleware.SessionMiddleware slides the idle window with a stamp.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Demo-only shortcut for passing two-factor verification: the verify page shows the current TOTP
# code of demo accounts. production.py refuses to start with it on (see common.checks).
KYODO_DEMO_MODE = False
# Server-Timing and SQL-count headers for `manage.py bench http` only (common.instrumentation).
KYODO_BENCH_HEADERS = env_bool("KYODO_BENCH_HEADERS", False)
KYODO_API_TOKEN_TTL_DAYS = env_int("KYODO_API_TOKEN_TTL_DAYS", 30)
# 個人番号 encryption key (url-safe base64 of 32 bytes). Required in production; never stored with the data.
KYODO_MYNUMBER_KEY = env("KYODO_MYNUMBER_KEY", "")
KYODO_SWITCH_TOKEN_SECONDS = 60

# --- BCP backups (docs/bcp.md) ------------------------------------------------------------------------
# Keys and credentials are named by reference on each BackupSite and come only from the environment of the
# workers, never from the database or a backup site. KYODO_BACKUP_KEYS: JSON {"ref": "AGE-SECRET-KEY-1..."};
# KYODO_BACKUP_CREDENTIALS: JSON {"ref": {"access_key_id": "...", "secret_access_key": "..."}}.
KYODO_BACKUP_KEYS = env_json("KYODO_BACKUP_KEYS", "{}")
KYODO_BACKUP_CREDENTIALS = env_json("KYODO_BACKUP_CREDENTIALS", "{}")
# Where the encrypted artifact is assembled before upload (needs room for one compressed dump).
KYODO_BACKUP_STAGING_DIR = env("KYODO_BACKUP_STAGING_DIR", str(BASE_DIR / ".kyodo" / "backup-staging"))
# An unreachable site is retried after base × 2^(attempts-1) seconds, at most max; critical after N attempts.
KYODO_BACKUP_RETRY_BASE_SECONDS = env_int("KYODO_BACKUP_RETRY_BASE_SECONDS", 300)
KYODO_BACKUP_RETRY_MAX_SECONDS = env_int("KYODO_BACKUP_RETRY_MAX_SECONDS", 6 * 3600)
KYODO_BACKUP_CRITICAL_AFTER_ATTEMPTS = env_int("KYODO_BACKUP_CRITICAL_AFTER_ATTEMPTS", 3)
# A worker on a backup writes a heartbeat every N seconds; a backup in progress whose heartbeat is older than the
# timeout belongs to a dead worker and is failed, alerted and retried (docs/domain/bcp-reliability.md §2).
KYODO_BACKUP_HEARTBEAT_SECONDS = env_int("KYODO_BACKUP_HEARTBEAT_SECONDS", 30)
KYODO_BACKUP_HEARTBEAT_TIMEOUT_SECONDS = env_int("KYODO_BACKUP_HEARTBEAT_TIMEOUT_SECONDS", 300)
# zstd level of the artifacts: 3 keeps the backup near pg_dump's own speed (docs/bcp.md §10, ratio ≥ 0.8).
KYODO_BACKUP_ZSTD_LEVEL = env_int("KYODO_BACKUP_ZSTD_LEVEL", 3)
# Parallel pg_restore jobs of a restore drill into its scratch database.
KYODO_RESTORE_JOBS = env_int("KYODO_RESTORE_JOBS", 1)

# --- BCP standby: logical replication to a second PostgreSQL (docs/bcp.md §5; bcp/standby/, deploy/FAILOVER.md) ---
# KYODO_STANDBY_DSNS: JSON {"ref": "postgres://user@standby-host:5432/kyodo"}, named by Standby.dsn_ref.
KYODO_STANDBY_DSNS = env_json("KYODO_STANDBY_DSNS", "{}")
# How the standby server reaches the primary (the subscription's connection); empty: DATABASE_URL.
KYODO_STANDBY_PRIMARY_DSN = env("KYODO_STANDBY_PRIMARY_DSN", "")
# RPO target of the standby in seconds: a lag sample above it raises a BcpAlert (docs/bcp.md §5: ≤ 5 s).
KYODO_STANDBY_RPO_SECONDS = float(env("KYODO_STANDBY_RPO_SECONDS", "5"))
# How long one lag measurement waits for its heartbeat to arrive on the standby before reporting "at least".
KYODO_STANDBY_HEARTBEAT_TIMEOUT_SECONDS = float(env("KYODO_STANDBY_HEARTBEAT_TIMEOUT_SECONDS", "30"))
KYODO_STANDBY_LAG_RETENTION_DAYS = env_int("KYODO_STANDBY_LAG_RETENTION_DAYS", 90)

# --- Security headers and Content-Security-Policy ------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        # The certificate 見本 is shown in an <iframe> of a page of this site (resident_records); nothing
        # else is framed. frame-src would fall back to default-src 'self' anyway — stated so that a later
        # change of default-src does not silently break the preview. The preview response itself relaxes
        # frame-ancestors and object-src (Chromium's PDF viewer is a plugin) for that one response only
        # (resident_records.views.certificate_preview_view), so the site keeps object-src 'none'.
        "frame-src": ["'self'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Internationalisation: Japanese first, English available -------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("KYODO_TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True
# The chat's live delivery (docs/domain/chat.md §3.5, §9): Redis pub/sub. A group message is one PUBLISH; each
# uvicorn worker subscribed to the group receives it once and hands it to its own consumers in memory. (The list-based
# RedisChannelLayer pushed one copy per consumer and each worker popped them one blocking round trip at a time: the
# fan-out of one message to 200 sockets was 200 Redis round trips.) Pub/sub keeps nothing: a message published while
# a worker's subscription is down is lost for its sockets, which the page's poll on reconnect makes up (§3.6).
# Pub/sub channels ignore Redis's database number, so the prefix keeps deployments (and test workers) apart.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            # The connect timeout short so a Redis that is away fails fast (the page then polls).
            "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 2}],
            "prefix": f"{env('KYODO_CACHE_PREFIX', 'kyodo')}:asgi",
        },
    }
}

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("KYODO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "common" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    # Groupware files (workflow attachments, cabinet), never in the database (docs/domain/groupware.md §4):
    # the filesystem by default, an S3-compatible store when KYODO_GROUPWARE_S3_BUCKET is set.
    "groupware": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": env("KYODO_GROUPWARE_S3_BUCKET", ""),
                "endpoint_url": env("KYODO_GROUPWARE_S3_ENDPOINT", "") or None,
                "location": "groupware",
                "file_overwrite": False,
                "default_acl": None,
            },
        }
        if env("KYODO_GROUPWARE_S3_BUCKET", "")
        else {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": env("KYODO_GROUPWARE_FILES_DIR", str(BASE_DIR / "var" / "groupware"))},
        }
    ),
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# The Web会議 server (Jitsi-compatible) used while the council has recorded no town setting
# `meetings.web_meeting_server`; empty: no link can be generated (docs/domain/meetings.md §6).
KYODO_WEB_MEETING_SERVER = env("KYODO_WEB_MEETING_SERVER", "")
# Uploaded files (HQ damage photos, river camera images): never served from MEDIA_URL, only through the views
# that check access (bcp.hq_views, the public site's published camera image).
MEDIA_ROOT = Path(env("KYODO_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Uploads above FILE_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MB) are spooled to a temporary file, never held in
# memory; an import's upload is then copied to the jobs directory for the worker (common.jobs).
KYODO_JOB_FILES_DIR = Path(env("KYODO_JOB_FILES_DIR", str(BASE_DIR / "var" / "jobs")))

# --- REST API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.api_auth.MunicipalityTokenAuthentication",
        "tenants.api_auth.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api_auth.IsActiveMember"],
    "DEFAULT_PAGINATION_CLASS": "common.rest.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["common.filters.FilterBackend"],
    "EXCEPTION_HANDLER": "common.rest.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "common.rest.ContentNegotiation",
    "DEFAULT_THROTTLE_CLASSES": ["common.rest.TenantUserRateThrottle", "common.rest.TenantAnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("KYODO_API_RATE_USER", "600/min"),
        "anon": env("KYODO_API_RATE_ANON", "30/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kyodo API",
    "DESCRIPTION": (
        "共同電算プラットフォーム Kyodo の REST API です。町ごとのホストで、2要素認証済みのセッションまたは APIトークン"
        "(Authorization: Bearer) で利用します。エラーはすべて {code, message, details} の形式です。一覧はページ分割"
        "(count, next, previous, results)され、?format=csv で CSV を出力できるものがあります。\n\n"
        "REST API of the Kyodo shared-services platform, per town host, with a two-factor-verified session or an API "
        "token (Authorization: Bearer). Every error is {code, message, details}. Lists are paginated "
        "(count, next, previous, results); some export CSV with ?format=csv."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Error answers and CSV bodies of every operation, described in one place (common/openapi.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "common.openapi.add_common_responses"],
}

# --- Celery --------------------------------------------------------------------------------------
# A row the sequencer has not linked this long after it was written is reported by verify_audit_chain.
KYODO_AUDIT_UNCHAINED_MAX_AGE_SECONDS = env_int("KYODO_AUDIT_UNCHAINED_MAX_AGE_SECONDS", 600)
CELERY_BROKER_URL = env("KYODO_CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env("KYODO_CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged only after it ran, and given back to the queue when its worker process is killed: with a
# persistent broker (Redis with appendonly, deploy/README.md) a queued or running task survives a broker or worker
# restart (docs/domain/bcp-reliability.md §2). Every task is safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Redis broker: an unacknowledged task (its worker vanished) is delivered again after this many seconds. A task
# still running then may run twice; the backups' advisory lock makes the second run wait, not duplicate.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("KYODO_CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_DEFAULT_QUEUE = env("KYODO_CELERY_QUEUE", "kyodo")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE = {
    # Audit rows are chained right after their commit by a queued run (common.audit.request_chaining); this
    # periodic run is the safety net for a lost message or a broker that was down (docs/audit.md).
    "chain-audit-trails": {
        "task": "common.tasks.chain_all_audit_trails",
        "schedule": float(env_int("KYODO_AUDIT_CHAIN_INTERVAL_SECONDS", 10)),
    },
    # 異動 of the resident register become the water office's tasks (docs/domain/water_billing.md §8).
    "water-pull-resident-moves": {
        "task": "water_billing.tasks.pull_resident_moves",
        "schedule": crontab(minute="*/15"),
    },
    # Every night each town's audit chain is re-verified; a break raises an alert in the council log.
    "verify-audit-chains": {
        "task": "common.tasks.verify_all_audit_chains",
        "schedule": crontab(hour=env_int("KYODO_AUDIT_VERIFY_HOUR", 3), minute=30),
    },
    # Memberships that took effect or lapsed are noted in the council trail (access needs no job).
    "log-membership-transitions": {
        "task": "tenants.tasks.log_membership_transitions",
        "schedule": crontab(hour=0, minute=5),
    },
    # BCP (docs/bcp.md): every town and the public schema to every backup site, nightly at 02:00 Asia/Tokyo.
    "bcp-nightly-backup": {
        "task": "bcp.tasks.run_nightly_backups",
        "schedule": crontab(hour=env_int("KYODO_BACKUP_HOUR", 2), minute=env_int("KYODO_BACKUP_MINUTE", 0)),
    },
    # Uploads that failed are retried with backoff; this sweeps the due ones.
    "bcp-retry-uploads": {
        "task": "bcp.tasks.retry_due_uploads",
        "schedule": crontab(minute="*/10"),
    },
    # Restore drills: each town whose last drill at a site is older than the site's interval (weekly default).
    "bcp-restore-drills": {
        "task": "bcp.drill_tasks.run_due_drills",
        "schedule": crontab(hour=env_int("KYODO_DRILL_HOUR", 4), minute=0),
    },
    "bcp-sample-replication-lag": {
        "task": "bcp.standby_tasks.sample_replication_lag",
        "schedule": 60.0,
    },
    # Chat messages past their channel's retention are deleted, audited (docs/domain/chat.md §5).
    "chat-purge-expired": {
        "task": "groupware.chat.tasks.purge_expired_messages",
        "schedule": crontab(hour=env_int("KYODO_CHAT_PURGE_HOUR", 1), minute=15),
    },
    # Emergency grants of a disaster expire on their own; the expiry is written to the audit trail.
    "bcp-expire-emergency-grants": {
        "task": "bcp.disaster_tasks.expire_emergency_grants",
        "schedule": 300.0,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "common.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env("KYODO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own default handlers would print request errors a second time next to ours.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"] = ["tenants.api_auth.IsActiveMember"]
