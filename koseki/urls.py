from django.urls import path

from koseki import views

app_name = "koseki"

urlpatterns = [
    path("", views.search_view, name="search"),
]
