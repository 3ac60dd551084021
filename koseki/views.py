"""Clerk pages of the 戸籍 module (placeholder until the clerk UI lands)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def search_view(request: HttpRequest) -> HttpResponse:
    return render(request, "koseki/search.html", {})
