"""The ASGI application served by gunicorn's uvicorn workers (deploy/gunicorn.conf.py): HTTP goes to Django as
under WSGI (same middleware, same access pipeline), WebSocket to the chat's consumer, which checks the session,
the town of the Host header and the channel itself (groupware.chat.consumers, docs/domain/chat.md §3)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# This process serves web requests: its database connections get the request time budget (common.timeouts).
os.environ["KYODO_PROCESS"] = "web"
# Under ASGI each request runs its synchronous code in a thread of its own, so a kept connection would never be
# reused: connections last one request (Django's advice for ASGI), unless the environment says otherwise.
os.environ.setdefault("KYODO_DB_CONN_MAX_AGE", "0")

from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs the apps loaded)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from groupware.chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {"http": django_application, "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns))}
)
