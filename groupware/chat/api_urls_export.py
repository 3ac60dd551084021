"""/api/v1/chat_export/: the compliance export (namespace "chat_export": auditors only, tenants.access)."""

from django.urls import path

from groupware.chat import api

app_name = "chat_export"

urlpatterns = [path("messages/", api.ExportView.as_view(), name="messages")]
