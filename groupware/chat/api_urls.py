"""/api/v1/chat/: the chat's REST routes (namespace "chat": tenants.access applies its roles)."""

from django.urls import path

from groupware.chat import api

app_name = "chat"

urlpatterns = [
    path("channels/", api.ChannelListView.as_view(), name="channels"),
    path("channels/<int:pk>/messages/", api.MessageListView.as_view(), name="messages"),
    path("channels/<int:pk>/read/", api.ReadView.as_view(), name="read"),
]
