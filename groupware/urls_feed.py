"""The personal iCalendar feed: public (no session), the secret token in the URL is the credential."""

from django.urls import path

from groupware import views

app_name = "calendar_feed"

urlpatterns = [
    path("<str:token>.ics", views.feed_ics_view, name="feed"),
]
