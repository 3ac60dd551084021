"""期間経過の届出一覧 (住基法 第52条第2項): the 届出 made after their period, printable for the notice to the
簡易裁判所. A read of personal data: the selector audits it with the clerk's purpose. Also the 処理待ち list: work
other modules handed to the resident clerk (an accepted 出生届 the register could not place by itself)."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from common.dates import local_today
from common.errors import ApplicationError
from resident_records import selectors
from resident_records.forms import PurposeField, WarekiDateField
from resident_records.models import ClerkTask, ClerkTaskStatus
from resident_records.services import koseki_births
from resident_records.views import clerk_only


class OverdueNoticeForm(forms.Form):
    since = WarekiDateField(label="異動日(から)", required=False)
    until = WarekiDateField(label="異動日(まで)", required=False)
    purpose = PurposeField(help_text="監査記録に残ります(例: 住基法第52条の通知の作成)。")


@require_GET
def overdue_notices_view(request: HttpRequest) -> HttpResponse:
    today = local_today()
    form = OverdueNoticeForm(request.GET or None)
    rows = None
    if request.GET and form.is_valid():
        since = form.cleaned_data["since"] or date(today.year, 1, 1)
        until = form.cleaned_data["until"] or today
        rows = selectors.overdue_notices(
            actor=request.user,  # type: ignore[arg-type]
            purpose=form.cleaned_data["purpose"],
            since=since,
            until=until,
        )
    elif not request.GET:
        form = OverdueNoticeForm(initial={"since": today - timedelta(days=90), "until": today})
    return render(request, "resident_records/overdue_notices.html", {"form": form, "rows": rows, "nav": "notices"})


@require_GET
def clerk_tasks_view(request: HttpRequest) -> HttpResponse:
    """処理待ち: open tasks first (their summaries name 宛名番号, never names)."""
    tasks = ClerkTask.objects.order_by("status", "created_at", "id")[:200]
    return render(
        request,
        "resident_records/clerk_tasks.html",
        {"tasks": tasks, "open": ClerkTaskStatus.OPEN, "nav": "tasks"},
    )


@require_POST
@clerk_only
def complete_clerk_task_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        koseki_births.complete_clerk_task(actor=request.user, task_id=pk)  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "処理済みにしました。")
    return redirect("resident_records:clerk_tasks")
