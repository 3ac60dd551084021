"""検索 and 閲覧 (住基法 第11条の2)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from common.errors import ApplicationError
from resident_records import inspection, selectors
from resident_records.forms import (
    InspectionForm,
    SearchForm,
)
from resident_records.search import SearchPage
from resident_records.views.common import (
    SEARCH_LIMIT,
    _purpose,
    _remember_purpose,
    clerk_only,
)


@require_http_methods(["GET", "POST"])
def search_view(request: HttpRequest) -> HttpResponse:
    """Search by POST: names and birth dates stay out of URLs (and so out of access logs and history)."""
    results: SearchPage | None = None
    if request.method == "POST":
        form = SearchForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                results = selectors.find_resident_page(
                    actor=request.user,  # type: ignore[arg-type]
                    purpose=data["purpose"],
                    query=data["query"],
                    birth_date=data["birth_date"],
                    address=data["address"],
                    atena_number=data["atena_number"],
                    include_removed=data["include_removed"],
                    page=data["page"] or 1,
                    per_page=SEARCH_LIMIT,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                _remember_purpose(request, data["purpose"])
    else:
        form = SearchForm(initial={"purpose": _purpose(request)})
    return render(
        request,
        "resident_records/search.html",
        {
            "form": form,
            "results": results,
            "limit": SEARCH_LIMIT,
            "nav": "search",
            # One URL reversed for the whole list; each row appends its 宛名番号 (no {% url %} per row).
            "resident_url": reverse("resident_records:resident", args=["0"]).removesuffix("0/"),
        },
    )


@require_http_methods(["GET", "POST"])
@clerk_only
def inspection_view(request: HttpRequest) -> HttpResponse:
    """閲覧 (住基法 第11条の2): the four items of an area's residents, persons under 支援措置 left out."""
    form = InspectionForm(request.POST or None)
    rows = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = inspection.prepare_inspection_list(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ApplicationError as exc:
            for field, message in (exc.details or {}).items() if isinstance(exc.details, dict) else []:
                form.add_error(field if field in form.fields else None, message)
            if not form.errors:
                form.add_error(None, exc.message)
    return render(request, "resident_records/inspection.html", {"form": form, "rows": rows, "nav": "inspection"})
