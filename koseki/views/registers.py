"""検索 and 戸籍の表示: both are personal-data reads, audited with the clerk's 利用目的."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from common.errors import ApplicationError
from koseki import fuhyo, selectors
from koseki.forms import SearchForm
from koseki.models import Koseki, Member
from koseki.views.common import (
    EntryRow,
    current_purpose,
    entry_rows,
    is_clerk,
    koseki_or_404,
    personal_data_page,
    remember_purpose,
    request_actor,
)

SEARCH_LIMIT = 50


@require_http_methods(["GET", "POST"])
def search_view(request: HttpRequest) -> HttpResponse:
    """Search by POST: names stay out of URLs (and so out of access logs and browser history)."""
    results: list[Koseki] | None = None
    if request.method == "POST":
        form = SearchForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                results = selectors.search_registers(
                    actor=request_actor(request), purpose=data["purpose"], query=data["query"],
                    honseki=data["honseki"], include_closed=data["include_closed"], limit=SEARCH_LIMIT,
                )  # fmt: skip
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                remember_purpose(request, data["purpose"])
    else:
        form = SearchForm(initial={"purpose": current_purpose(request), "include_closed": True})
    return render(
        request, "koseki/search.html", {"form": form, "results": results, "limit": SEARCH_LIMIT, "nav": "search"}
    )


@dataclass(frozen=True)
class MemberRow:
    member: Member
    entries: list[EntryRow]
    furigana_history: list[Any]


@require_http_methods(["GET"])
@personal_data_page()
def register_view(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
    """The register as the 全部事項証明書 prints it, with its history (消除 entries, 振り仮名, 附票)."""
    view = selectors.view_register(actor=request_actor(request), koseki=koseki_or_404(public_id), purpose=purpose)
    register = view.register
    # 支援措置: the 附票's addresses of a protected person are masked, the page warns (koseki.fuhyo).
    fuhyo_display = fuhyo.fuhyo_for_display(actor=request_actor(request), koseki=register.koseki, purpose=purpose)
    members = [
        MemberRow(member=m.member, entries=entry_rows(m.entries), furigana_history=list(m.furigana_history))
        for m in register.members
    ]
    return render(
        request,
        "koseki/register.html",
        {
            "koseki": register.koseki,
            "koseki_entries": entry_rows(register.koseki_entries),
            "members": members,
            "fuhyo": fuhyo_display.lines,
            "support_protected_members": fuhyo_display.protected_member_ids,
            "notifications": view.notifications,
            "fuhyo_available": True,
            "purpose": purpose,
            "is_clerk": is_clerk(request),
        },
    )
