"""Public routes of the register (reachable without login): certificate verification only."""

from django.urls import path

from resident_records import views_public

app_name = "verify"

urlpatterns = [
    path("", views_public.verify_form_view, name="form"),
    path("<str:code>/", views_public.verify_result_view, name="result"),
]
