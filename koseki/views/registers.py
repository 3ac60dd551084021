"""検索 and 戸籍の表示: both are personal-data reads, audited with the clerk's 利用目的."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from common import audit
from common.errors import ApplicationError
from koseki import fuhyo, selectors
from koseki.forms import PurposeForm, SearchForm
from koseki.models import Koseki, Member, Notification
from koseki.views.common import (
    EntryRow,
    current_purpose,
    entry_rows,
    is_clerk,
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
                results = selectors.search_koseki(
                    query=data["query"], honseki=data["honseki"], include_closed=data["include_closed"],
                    limit=SEARCH_LIMIT,
                )  # fmt: skip
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                remember_purpose(request, data["purpose"])
                # Which criteria were used and how many registers were listed; not the names themselves.
                audit.record(
                    actor=request_actor(request),
                    action="koseki.search",
                    purpose=data["purpose"],
                    personal_data=True,
                    details={
                        "criteria": [k for k in ("honseki", "query") if data[k]],
                        "include_closed": data["include_closed"],
                        "results": len(results),
                    },
                )
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
def register_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The register as the 全部事項証明書 prints it, with its history (消除 entries, 振り仮名, 附票)."""
    koseki = get_object_or_404(Koseki, pk=pk)
    if "purpose" in request.GET:
        purpose_form = PurposeForm(request.GET)
        if purpose_form.is_valid():
            remember_purpose(request, purpose_form.cleaned_data["purpose"])
            return redirect("koseki:register", pk=pk)
        return render(request, "koseki/purpose.html", {"form": purpose_form, "koseki_id": pk})
    purpose = current_purpose(request)
    if not purpose:
        return render(request, "koseki/purpose.html", {"form": PurposeForm(), "koseki_id": pk})
    register = selectors.get_register(koseki_id=koseki.pk)
    audit.record(
        actor=request_actor(request),
        action="koseki.view",
        obj=register.koseki,
        purpose=purpose,
        personal_data=True,
        details={"number": register.koseki.number, "members": len(register.members)},
    )
    # 支援措置: the 附票's addresses of a protected person are masked, the page warns (koseki.fuhyo).
    fuhyo_display = fuhyo.fuhyo_for_display(actor=request_actor(request), koseki=register.koseki, purpose=purpose)
    members = [
        MemberRow(member=view.member, entries=entry_rows(view.entries), furigana_history=list(view.furigana_history))
        for view in register.members
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
            # The 受付帳 lines that changed this register (JSON containment on the list of numbers).
            "notifications": Notification.objects.filter(koseki_numbers__contains=[register.koseki.number])[:100],
            "fuhyo_available": True,
            "purpose": purpose,
            "is_clerk": is_clerk(request),
        },
    )
