"""異動連携: the water office's list of 開栓・閉栓・名義変更 tasks from the resident register, the button that reads
new 異動 now, and the clerk's confirmation of each task."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.errors import ApplicationError, NotFound
from tenants.access import person_of
from water_billing import selectors
from water_billing.forms import MoveConfirmForm
from water_billing.models import MoveTask
from water_billing.services import moves
from water_billing.services.connections import UserDetails
from water_billing.views.common import clerk_only, personal_data_page, readers_only


@readers_only
@require_GET
@personal_data_page(intrinsic=moves.PURPOSE)
def moves_view(request: HttpRequest, *, purpose: str) -> HttpResponse:
    tasks = selectors.view_move_tasks(actor=person_of(request), purpose=purpose)
    return render(request, "water_billing/moves.html", {"tasks": tasks, "nav": "moves"})


@clerk_only
@require_POST
def moves_pull_view(request: HttpRequest) -> HttpResponse:
    moves.pull_moves(actor=person_of(request))
    return redirect("water_billing:moves")


def _decision(task: MoveTask, data: dict[str, Any]) -> moves.Decision:
    user = None
    if data.get("user_name"):
        user = UserDetails(data["user_name"], data.get("user_kana", ""), data.get("resident_number", ""))
    return moves.Decision(day=data["day"], open_tap=data.get("open_tap", "").strip(), user=user)


def _initial(decision: moves.Decision) -> dict[str, object]:
    user = decision.user or UserDetails("")
    return {"day": decision.day, "open_tap": decision.open_tap, "user_name": user.name, "user_kana": user.kana,
            "resident_number": user.resident_number}  # fmt: skip


@clerk_only
@require_http_methods(["GET", "POST"])
@personal_data_page(intrinsic=moves.PURPOSE)
def move_resolve_view(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
    """The preview of what confirming the task changes (GET, or 「確認内容を更新」), then the clerk's decision."""
    try:
        task = selectors.view_move_task(actor=person_of(request), purpose=purpose, public_id=public_id)
    except NotFound as exc:
        raise Http404 from exc
    decision = request.POST.get("decision", "")
    form = MoveConfirmForm(request.POST or None, initial=_initial(moves.default_decision(task)))
    changes: list[moves.Change] = []
    refused = ""
    try:
        if decision == "dismiss":
            return _resolve(request, task, confirm=False)
        chosen = _decision(task, form.cleaned_data) if form.is_bound and form.is_valid() else None
        if chosen is not None and decision == "confirm":
            return _resolve(request, task, confirm=True, decision=chosen)
        changes = moves.preview(task, chosen or moves.default_decision(task))
    except ApplicationError as exc:
        refused = exc.message
    return render(
        request, "water_billing/move_preview.html",
        {"task": task, "form": form, "changes": changes, "refused": refused, "nav": "moves"},
        status=400 if refused or form.errors else 200,
    )  # fmt: skip


def _resolve(
    request: HttpRequest, task: MoveTask, *, confirm: bool, decision: moves.Decision | None = None
) -> HttpResponse:
    moves.resolve_task(actor=person_of(request), task=task, confirm=confirm, decision=decision)
    return redirect("water_billing:moves")
