from django.urls import path

from bcp import views

app_name = "bcp"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
]
