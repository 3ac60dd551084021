"""The ASGI application served by gunicorn's uvicorn workers (deploy/gunicorn.conf.py): HTTP goes to Django as
under WSGI (same middleware, same access pipeline), WebSocket to the chat's consumer, which checks the session,
the town of the Host header and the channel itself (groupware.chat.consumers, docs/domain/chat.md §3)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# This process serves web requests: its database connections get the request time budget (common.timeouts).
os.environ["KYODO_PROCESS"] = "web"
# Under ASGI each request runs its synchronous code in a thread of its own, so a thread's kept connection would never
# be reused: the web process takes connections from a pool instead (config/settings/base.py, KYODO_DB_POOL), and
# with the pool switched off (KYODO_DB_POOL=0) connections last one request (Django's advice for ASGI).
os.environ.setdefault("KYODO_DB_CONN_MAX_AGE", "0")

from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

# Import the URL trees, and with them every view, now: gunicorn preloads this module in its master, so each worker
# (and each recycled one) is forked with them instead of importing them on its first request.
from django.conf import settings  # noqa: E402
from django.urls import get_resolver  # noqa: E402

for urlconf in (settings.ROOT_URLCONF, settings.KYODO_PUBLIC_SITE_URLCONF):
    get_resolver(urlconf).url_patterns  # noqa: B018  (the property imports the module)

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs the apps loaded)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from groupware.chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {"http": django_application, "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns))}
)
