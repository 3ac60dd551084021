"""転出届, 転出確定 and 職権消除: the members leaving and, if the 世帯主 leaves, the new 世帯主."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from common.dates import local_today
from common.wareki import to_wareki
from resident_records import selectors, services
from resident_records.forms import (
    ConfirmMoveOutForm,
    DepartureForm,
    ExOfficioRemovalForm,
    MoveOutForm,
)
from resident_records.models import (
    ChangeEvent,
    Household,
    Resident,
)
from resident_records.services import Versioned
from resident_records.views.common import (
    EventPage,
    _household,
    clerk_only,
    event_view,
    personal_data_page,
)


def _departure_view(
    request: HttpRequest,
    household: Household,
    form_class: type[DepartureForm],
    *,
    eligible: list[Resident],
    initial: dict[str, Any],
    label: str,
    call: Callable[[Any], ChangeEvent],
    lead: str,
    purpose: str,
) -> HttpResponse:
    """The members leaving (checkboxes, each with its version) and, if the 世帯主 leaves, the new 世帯主."""
    residents, _ = selectors.current_residents(household)
    choices = [(r.pk, f"{r.full_name}({r.relationship}、宛名番号 {r.atena_number})") for r in eligible]
    successors: list[tuple[int, str]] = []
    if any(r.pk == household.head_id for r in eligible) and len(residents) > 1:
        successors = [(r.pk, r.full_name) for r in residents if r.pk != household.head_id]
    form = form_class(
        request.POST or None,
        initial=initial,
        choices=choices,
        versions={r.pk: r.version for r in eligible},
        successors=successors,
    )
    page = EventPage(household, purpose, title=label, lead=lead, submit=f"{label}を処理する")
    return event_view(request, form, label=label, call=lambda: call(form), page=page)


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="転出届の処理")
def move_out_view(request: HttpRequest, number: str, *, purpose: str) -> HttpResponse:
    """転出届 of the whole household or of chosen members: the 転出予定 is recorded; the entries stay until the
    転入通知 (住基法 第24条). If the 世帯主 leaves and others stay, the new 世帯主 is chosen here."""
    household = _household(number)
    residents, _ = selectors.current_residents(household)
    eligible = [r for r in residents if r.moving_out_on is None]

    def call(form: MoveOutForm) -> ChangeEvent:
        data = form.cleaned_data
        return services.plan_move_out(
            actor=request.user,  # type: ignore[arg-type]
            household=Versioned(household.pk, data["version"]),
            event_date=data["event_date"],
            notified_on=data["notified_on"],
            destination=data["destination"],
            members=form.chosen(),
            **form.successor(),
        )

    return _departure_view(
        request,
        household,
        MoveOutForm,
        eligible=eligible,
        initial={
            "target_id": household.pk,
            "version": household.version,
            "members": [r.pk for r in eligible],
            "notified_on": to_wareki(local_today()),
        },
        label="転出届",
        call=call,
        purpose=purpose,
        lead="転出予定を記録します(住民基本台帳法 第24条)。転出予定日は未来の日付も指定できます。"
        "住民票は転入先からの通知(転出確定)まで消除されません。世帯の一部の方だけが転出する場合は、その方だけを選んでください。",
    )


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="転出確定の処理")
def confirm_move_out_view(request: HttpRequest, number: str, *, purpose: str) -> HttpResponse:
    """転出確定 on the 転入通知 from the new town (住基法 第9条第1項): the entry becomes a 除票."""
    household = _household(number)
    residents, _ = selectors.current_residents(household)
    planned = [r for r in residents if r.moving_out_on is not None and not r.moving_out_confirmed]

    def call(form: ConfirmMoveOutForm) -> ChangeEvent:
        data = form.cleaned_data
        return services.confirm_move_out(
            actor=request.user,  # type: ignore[arg-type]
            residents=form.chosen(),
            moved_on=data["moved_on"],
            notice_received_on=data["notice_received_on"],
            destination=data["destination"],
            **form.successor(),
        )

    return _departure_view(
        request,
        household,
        ConfirmMoveOutForm,
        eligible=planned,
        initial={
            "members": [r.pk for r in planned],
            "moved_on": to_wareki(planned[0].moving_out_on) if planned and planned[0].moving_out_on else "",
            "notice_received_on": to_wareki(local_today()),
        },
        label="転出確定",
        call=call,
        purpose=purpose,
        lead="転入先の市町村からの転入通知により、転出予定の住民を転出(除票)とします(住民基本台帳法 第9条第1項)。"
        "転出届で選んだ新しい世帯主は、ここで別の方を選ばなければそのまま適用されます。"
        + ("" if planned else "この世帯には転出予定の住民がいません。先に転出届を処理してください。"),
    )


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="職権消除の処理")
def ex_officio_removal_view(request: HttpRequest, number: str, *, purpose: str) -> HttpResponse:
    """職権消除 (住基法 第8条, 施行令 第12条第3項), e.g. 実態調査により居住の事実なし."""
    household = _household(number)
    residents, _ = selectors.current_residents(household)

    def call(form: ExOfficioRemovalForm) -> ChangeEvent:
        data = form.cleaned_data
        return services.record_ex_officio_removal(
            actor=request.user,  # type: ignore[arg-type]
            residents=form.chosen(),
            event_date=data["event_date"],
            reason=data["reason"],
            **form.successor(),
        )

    return _departure_view(
        request,
        household,
        ExOfficioRemovalForm,
        eligible=residents,
        initial={},
        label="職権消除",
        call=call,
        purpose=purpose,
        lead="実態調査などにより、届出によらず町が職権で住民票を消除します(住民基本台帳法 第8条、施行令 第12条第3項)。"
        "消除する住民を選んでください。",
    )
