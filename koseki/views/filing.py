"""The life every 届出 page shares (koseki.views.notifications, koseki.views.family_notifications).

A form (with a party picker where the other party is searched in this town's registers), one service call filed
by the clerk with the 届出日・届出人・資格, and on success the register the 届出 ended in. ``notification_page``
runs that life; a 届出 about one member is declared with ``member_notification`` (its decorated function only
says what the 届出 records, as a ``MemberFiling``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from common.dates import local_today
from common.errors import ApplicationError
from common.wareki import to_wareki
from koseki import selectors
from koseki.forms import (
    NotificationForm,
)
from koseki.models import Koseki, Member, Notification
from koseki.views.common import (
    clerk_only,
    current_purpose,
    member_or_404,
    personal_data_page,
    remember_purpose,
    request_actor,
)

PICKER_LIMIT = 20
NOTIFIER_FIELDS = ["notified_on", "notifier_name", "notifier_capacity"]

# What a view hands to ``notification_page``: the form's cleaned data and the filing keywords every service takes
# (actor, notified_on, notifier_name, notifier_capacity) -> the Notification the service recorded.
RecordCall = Callable[[dict[str, Any], dict[str, Any]], Notification]


@dataclass(frozen=True)
class NotificationPage:
    title: str
    lead: str
    submit: str
    # (legend, field names) of what this 届出 records; the 「届出」 section (NOTIFIER_FIELDS) follows on every page.
    sections: Sequence[tuple[str, Sequence[str]]]
    find_fields: Sequence[str] = ()


def initial_values(**extra: Any) -> dict[str, Any]:
    return {"notified_on": to_wareki(local_today()), **extra}


def _finding(request: HttpRequest) -> bool:
    """The clerk pressed 「検索」 of a party picker: show the candidates, do not file yet."""
    return request.method == "POST" and request.POST.get("step") == "find"


def bound_or_shown(request: HttpRequest, form_class: type[NotificationForm], **kwargs: Any) -> NotificationForm:
    """Bound to the POST when filing; while searching a party, an unbound form showing what was typed."""
    if _finding(request):
        return form_class(initial={**kwargs.pop("initial", {}), **request.POST.dict()}, **kwargs)
    return form_class(request.POST if request.method == "POST" else None, **kwargs)


def party_candidates(
    request: HttpRequest, query: str, *, label: str, purpose: str, exclude: Member | None = None
) -> list[Member]:
    """Members of this town's current registers matching the typed name or furigana (a read, audited)."""
    return selectors.find_party_candidates(
        actor=request_actor(request),
        purpose=purpose,
        query=query,
        label=label,
        limit=PICKER_LIMIT,
        exclude=exclude,
    )


def chosen_member(value: Any) -> Member | None:
    """A party the clerk chose among current members (None if it has left its register meanwhile)."""
    if not value:
        return None
    return Member.objects.select_related("koseki").filter(is_removed=False, pk=int(value)).first()


def named_member(value: Any) -> Member | None:
    """A member named in the 届出 whatever their state; the service decides whether they may be named."""
    if not value:
        return None
    return Member.objects.select_related("koseki").filter(pk=int(value)).first()


def _filing(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Who accepted the 届出 and the 受付帳 particulars every 届出 carries (届出日, 届出人, 届出人の資格)."""
    return {
        "actor": request_actor(request),
        "notified_on": data["notified_on"],
        "notifier_name": data["notifier_name"],
        "notifier_capacity": data["notifier_capacity"],
    }


def _after_notification(request: HttpRequest, notification: Notification, *, fallback: Koseki | None) -> HttpResponse:
    """Back to the register the 届出 ended in: the newest current one it touched, else the one it started from."""
    label = notification.get_kind_display()
    messages.success(request, f"{label}を受理しました(受付番号 {notification.number})。")
    if not current_purpose(request):
        remember_purpose(request, f"{label}の処理")
    numbers = [str(n) for n in notification.koseki_numbers or []]
    touched = {k.number: k for k in Koseki.objects.filter(number__in=numbers)}
    for number in reversed(numbers):
        target = touched.get(number)
        if target is not None and not target.is_closed:
            return redirect("koseki:register", public_id=target.public_id)
    if fallback is None:
        return redirect("koseki:search")
    return redirect("koseki:register", public_id=fallback.public_id)


def notification_page(
    request: HttpRequest,
    form: NotificationForm,
    page: NotificationPage,
    *,
    koseki: Koseki | None,
    member: Member | None,
    call: RecordCall,
    purpose: str,
) -> HttpResponse:
    """Validate, call the one service; a refusal (KosekiRuleError …) is shown as a form error, nothing written."""
    status = 200
    if request.method == "POST" and not _finding(request) and form.is_valid():
        data = form.cleaned_data
        try:
            notification = call(data, _filing(request, data))
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code if 400 <= exc.status_code < 500 else 400
        else:
            return _after_notification(request, notification, fallback=koseki)
    elif request.method == "POST" and not _finding(request):
        status = 400
    sections = [
        (legend, [form[name] for name in names if name in form.fields])
        for legend, names in [*page.sections, ("届出", NOTIFIER_FIELDS)]
    ]
    if koseki is not None:  # a 帰化届・国籍取得届 starts from no register
        selectors.view_register_form(
            actor=request_actor(request), koseki=koseki, purpose=purpose, page=page.title, member=member
        )
    return render(
        request,
        "koseki/notification.html",
        {
            "form": form,
            "title": page.title,
            "lead": page.lead,
            "submit": page.submit,
            "sections": sections,
            "find_fields": [f"{name}_query" for name in page.find_fields],
            "koseki": koseki,
            "member": member,
        },
        status=status,
    )


@dataclass(frozen=True)
class MemberFiling:
    """What a 届出 about one member says (see ``member_notification``): its page and its one service call, and its
    form's initial values (by default the member as 届出人) and extra arguments (a party picker's candidates ...)."""

    page: NotificationPage
    call: RecordCall
    initial: dict[str, Any] | None = None
    form_kwargs: dict[str, Any] = field(default_factory=dict)


MemberFilingView = Callable[[HttpRequest, Member, str], MemberFiling]


def member_notification(
    *, intrinsic: str, form: type[NotificationForm]
) -> Callable[[MemberFilingView], Callable[..., HttpResponse]]:
    """The one skeleton of a 届出 page about one member of a register (as ``event_view`` is for the resident
    register): GET/POST only, clerks only, behind the purpose gate with the 届出's own purpose; the member found by
    ``public_id``; the decorated function says what its 届出 records (``MemberFiling``) and ``notification_page``
    runs the rest, starting from the member's register."""

    def decorate(build: MemberFilingView) -> Callable[..., HttpResponse]:
        @require_http_methods(["GET", "POST"])
        @clerk_only
        @personal_data_page(intrinsic=intrinsic)
        @wraps(build)
        def view(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
            member = member_or_404(public_id)
            filing = build(request, member, purpose)
            initial = initial_values(notifier_name=member.full_name) if filing.initial is None else filing.initial
            bound = bound_or_shown(request, form, initial=initial, **filing.form_kwargs)
            return notification_page(
                request, bound, filing.page, koseki=member.koseki, member=member, call=filing.call, purpose=purpose
            )

        return view

    return decorate
