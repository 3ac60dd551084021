"""WebSocket routes of the chat (config/asgi.py)."""

from django.urls import path

from groupware.chat.consumers import ChatConsumer

websocket_urlpatterns = [path("ws/chat/<int:channel_id>/", ChatConsumer.as_asgi())]
