"""失期通知 (戸籍法 第137条, 戸籍法施行規則 第65条): the printable list of 届出 accepted after their period, which
the town sends to the 簡易裁判所 with jurisdiction (docs/domain/koseki.md, 届出期間)."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from common import town_settings
from common.dates import local_today
from common.tenancy import current_schema
from koseki import deadlines, selectors
from koseki.forms import LateNoticeForm
from koseki.views.common import personal_data_page, request_actor
from tenants.models import Municipality


@require_GET
@personal_data_page(intrinsic="失期通知(簡易裁判所への通知)の作成")
def late_notices_view(request: HttpRequest, *, purpose: str) -> HttpResponse:
    """The list names the notifiers: behind the purpose gate, read through the audited selector."""
    today = local_today()
    first_of_month = today.replace(day=1)
    previous = (first_of_month - timedelta(days=1)).replace(day=1)
    form = LateNoticeForm(request.GET or None, initial={"since": previous, "until": first_of_month - timedelta(days=1)})
    since, until = previous, first_of_month - timedelta(days=1)
    if form.is_bound and form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    rows = selectors.late_notifications(
        actor=request_actor(request),
        since=since,
        until=until,
        purpose=purpose,
    )
    town = Municipality.objects.get(schema_name=current_schema())
    context = {
        "form": form,
        "rows": [(n, deadlines.period_of(n.kind, abroad=bool(n.details.get("abroad")))) for n in rows],
        "since": since,
        "until": until,
        "today": today,
        "court": town_settings.setting_in_force(deadlines.SUMMARY_COURT),
        "mayor": town_settings.mayor_title(town.name),
        "nav": "late_notices",
    }
    return render(request, "koseki/late_notices.html", context, status=400 if form.errors else 200)
