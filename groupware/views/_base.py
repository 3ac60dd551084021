"""Helpers shared by the groupware pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from common.dates import local_today
from common.errors import ApplicationError
from groupware import selectors
from tenants.access import person_of

WEEKDAYS = "月火水木金土日"


def _day(request: HttpRequest, name: str = "date") -> date:
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return local_today()


def _page(request: HttpRequest, template: str, nav: str, **context: Any) -> HttpResponse:
    actor = person_of(request)
    return render(
        request,
        template,
        {"nav": nav, "unread": selectors.unread_count(actor=actor), "weekdays": WEEKDAYS, **context},
    )


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _refused(form: Any, exc: ApplicationError, prefix: str = "") -> None:
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    name = f"{prefix}{field}" if field else None
    form.add_error(name if name in form.fields else None, exc.message)
