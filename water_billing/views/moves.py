"""異動連携: the water office's list of 開栓・閉栓・名義変更 tasks from the resident register, the button that reads
new 異動 now, and the clerk's confirmation of each task."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from common.errors import ApplicationError
from tenants.access import person_of
from water_billing import selectors
from water_billing.services import moves
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


@clerk_only
@require_POST
def move_resolve_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    task = selectors.move_task(public_id)
    if task is None:
        raise Http404
    try:
        moves.resolve_task(actor=person_of(request), task=task, confirm=request.POST.get("decision") == "confirm")
    except ApplicationError as exc:
        return render(request, "water_billing/refused.html", {"message": exc.message, "nav": "moves"}, status=409)
    return redirect("water_billing:moves")
