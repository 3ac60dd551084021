"""/website/: staff pages of the town's public website (module "website")."""

from django.urls import path

from website import views

app_name = "website"

urlpatterns = [
    path("", views.list_view, name="list"),
    path("new/", views.edit_view, name="new"),
    path("<int:pk>/edit/", views.edit_view, name="edit"),
    path("<int:pk>/submit/", views.submit_view, name="submit"),
    path("<int:pk>/approve/", views.approve_view, name="approve"),
    path("<int:pk>/reject/", views.reject_view, name="reject"),
    path("<int:pk>/withdraw/", views.withdraw_view, name="withdraw"),
]
