"""期間経過の届出一覧 (住基法 第52条第2項): the 届出 made after their period, printable for the notice to the
簡易裁判所. A read of personal data: behind the purpose gate, the selector audits it with the clerk's purpose.
Also the 処理待ち list: work other modules handed to the resident clerk (an accepted 出生届 the register could not
place by itself)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from common.dates import local_today
from common.errors import ApplicationError
from common.forms import WarekiDateField
from resident_records import selectors
from resident_records.models import ClerkTaskStatus
from resident_records.services import koseki_births
from resident_records.views import clerk_only, personal_data_page


class OverdueNoticeForm(forms.Form):
    since = WarekiDateField(label="異動日(から)", required=False)
    until = WarekiDateField(label="異動日(まで)", required=False)


DEFAULT_DAYS = 90  # with no dates given, the list covers the last 90 days


@require_GET
@personal_data_page()
def overdue_notices_view(request: HttpRequest, *, purpose: str) -> HttpResponse:
    """The list names the persons: behind the purpose gate, read through the audited selector."""
    today = local_today()
    form = OverdueNoticeForm(
        request.GET or None, initial={"since": today - timedelta(days=DEFAULT_DAYS), "until": today}
    )
    rows = None
    if not request.GET or form.is_valid():
        chosen = form.cleaned_data if request.GET else {}
        rows = selectors.overdue_notices(
            actor=request.user,  # type: ignore[arg-type]
            purpose=purpose,
            since=chosen.get("since") or today - timedelta(days=DEFAULT_DAYS),
            until=chosen.get("until") or today,
        )
    return render(
        request,
        "resident_records/overdue_notices.html",
        {"form": form, "rows": rows, "purpose": purpose, "nav": "notices"},
    )


@require_GET
def clerk_tasks_view(request: HttpRequest) -> HttpResponse:
    """処理待ち: open tasks first (their summaries name 宛名番号, never names)."""
    tasks = selectors.clerk_tasks()
    return render(
        request,
        "resident_records/clerk_tasks.html",
        {"tasks": tasks, "open": ClerkTaskStatus.OPEN, "nav": "tasks"},
    )


@require_POST
@clerk_only
def complete_clerk_task_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    try:
        koseki_births.complete_clerk_task(actor=request.user, public_id=public_id)  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "処理済みにしました。")
    return redirect("resident_records:clerk_tasks")
