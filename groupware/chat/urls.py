"""The chat pages, in the module namespace "chat" guarded by tenants.access (docs/domain/chat.md)."""

from django.urls import path

from groupware.chat import views

app_name = "chat"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("new/", views.channel_create_view, name="channel_create"),
    path("direct/", views.direct_view, name="direct"),
    path("search/", views.search_view, name="search"),
    path("files/<int:pk>/", views.file_view, name="file"),
    path("<int:pk>/", views.channel_view, name="channel"),
    path("<int:pk>/thread/<int:message_id>/", views.thread_view, name="thread"),
    path("<int:pk>/post/", views.post_view, name="post"),
    path("<int:pk>/messages.json", views.poll_view, name="poll"),
    path("<int:pk>/read/", views.read_view, name="read"),
    path("<int:pk>/invite/", views.invite_view, name="invite"),
    path("<int:pk>/members/<int:person_id>/remove/", views.remove_member_view, name="remove_member"),
    path("<int:pk>/retention/", views.retention_view, name="retention"),
]
