"""The URL tree of a town's public website host (settings.KYODO_PUBLIC_SITE_URLCONF, tenants.host_routing).

Nothing else is reachable there: no admin, no API, no login, no staff page (docs/domain/website.md §1)."""

from django.urls import path

from website import public_views as views

urlpatterns = [
    path("", views.home_view, name="home"),
    path("feed.atom", views.feed_view, name="feed"),
    path("category/<slug:slug>/", views.category_view, name="category"),
    path("articles/<slug:slug>/", views.article_view, name="article"),
    path("articles/<slug:slug>/image", views.article_image_view, name="article_image"),
    path("cameras/<slug:key>/latest", views.camera_image_view, name="camera_image"),
]

handler404 = "website.public_views.not_found"
