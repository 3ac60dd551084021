"""The household's 異動 filed by notification: 転入, 転居, 出生, 死亡, 世帯主変更 (転出届 is in departures)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from common.dates import local_today
from common.errors import ApplicationError
from common.wareki import to_wareki
from resident_records import selectors, services
from resident_records.forms import BirthForm, ChangeOfAddressForm, DeathForm, HeadChangeForm, MemberFormSet, MoveInForm
from resident_records.models import ChangeEvent
from resident_records.services import Versioned
from resident_records.views.common import (
    EventPage,
    _after_event,
    _household,
    _resident,
    clerk_only,
    event_view,
    personal_data_page,
    show_refusal,
)


@require_http_methods(["GET", "POST"])
@clerk_only
def move_in_view(request: HttpRequest) -> HttpResponse:
    """転入 of a family as a new household (住基法 第22条)."""
    if request.method == "POST":
        form = MoveInForm(request.POST)
        members = MemberFormSet(request.POST, prefix="members")
        if form.is_valid() and members.is_valid():
            data = form.cleaned_data
            common = {
                "actor": request.user,
                "event_date": data["event_date"],
                "address": data["address"],
                "address_detail": data["address_detail"],
                "postal_code": data["postal_code"],
                "previous_address": data["previous_address"],
                "members": [m.person() for m in members.forms if m.has_changed()],
            }
            try:
                if data["entry_kind"] == "ex_officio":
                    event = services.record_ex_officio_entry(reason=data["reason"], **common)
                else:
                    event = services.record_move_in(
                        notified_on=data["notified_on"], from_abroad=data["entry_kind"] == "move_in_abroad", **common
                    )
            except ApplicationError as exc:
                show_refusal(form, exc)
            else:
                return _after_event(request, event.household_id, event.get_kind_display())
    else:
        form = MoveInForm(initial={"notified_on": to_wareki(local_today())})
        members = MemberFormSet(prefix="members")
    return render(request, "resident_records/move_in.html", {"form": form, "members": members, "nav": "move_in"})


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="転居届の処理")
def change_of_address_view(request: HttpRequest, number: str, *, purpose: str) -> HttpResponse:
    """転居 of the whole household within the town (住基法 第23条)."""
    household = _household(number)
    form = ChangeOfAddressForm(request.POST or None, initial={"target_id": household.pk, "version": household.version})

    def call() -> ChangeEvent:
        data = form.cleaned_data
        return services.record_change_of_address(
            actor=request.user,  # type: ignore[arg-type]
            household=Versioned(household.pk, data["version"]),
            event_date=data["event_date"],
            notified_on=data["notified_on"],
            address=data["address"],
            address_detail=data["address_detail"],
            postal_code=data["postal_code"],
        )

    page = EventPage(household, purpose, template="resident_records/change_of_address.html")
    return event_view(request, form, label="転居", call=call, page=page)


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="出生届の処理")
def birth_view(request: HttpRequest, number: str, *, purpose: str) -> HttpResponse:
    """出生届: the child joins this household on the birth date (住基法 第8条)."""
    household = _household(number)
    _, head = selectors.current_residents(household)
    form = BirthForm(
        request.POST or None,
        initial={
            "target_id": household.pk,
            "version": household.version,
            "family_name": head.family_name if head else "",
            "family_name_kana": head.family_name_kana if head else "",
            "relationship": "子",
            "notified_on": to_wareki(local_today()),
        },
    )

    def call() -> ChangeEvent:
        return services.record_birth(
            actor=request.user,  # type: ignore[arg-type]
            household=Versioned(household.pk, form.cleaned_data["version"]),
            child=form.person(),
            notified_on=form.cleaned_data["notified_on"],
        )

    page = EventPage(
        household,
        purpose,
        title="出生届",
        lead="出生した子を、この世帯の世帯員として記載します(住民基本台帳法 第8条、戸籍法 第49条)。"
        "生年月日が異動日になります。",
        submit="出生を処理する",
    )
    return event_view(request, form, label="出生", call=call, page=page)


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="死亡届の処理")
def death_view(request: HttpRequest, atena_number: str, *, purpose: str) -> HttpResponse:
    """死亡届 (住基法 第8条): the entry is removed as of the date of death; the page returns to the person."""
    resident = _resident(atena_number)
    household = resident.household
    residents, _ = selectors.current_residents(household)
    others = [r for r in residents if r.pk != resident.pk]
    successors = [(r.pk, r.full_name) for r in others] if household.head_id == resident.pk else []
    if request.method == "POST":
        form = DeathForm(request.POST, successors=successors)
    else:
        form = DeathForm(
            initial={"target_id": resident.pk, "version": resident.version, "notified_on": to_wareki(local_today())},
            successors=successors,
        )

    def call() -> ChangeEvent:
        data = form.cleaned_data
        return services.record_death(
            actor=request.user,  # type: ignore[arg-type]
            resident=Versioned(resident.pk, data["version"]),
            died_on=data["died_on"],
            notified_on=data["notified_on"],
            new_head=data.get("new_head"),
            relationships=form.relationships() if successors else None,
        )

    page = EventPage(
        household,
        purpose,
        also=[resident],
        title=f"死亡届 — {resident.full_name}",
        lead="死亡日をもって住民票を消除します(住民基本台帳法 第8条、戸籍法 第86条)。"
        + (
            "世帯主が亡くなり他の世帯員が残るため、新しい世帯主と続柄も入力してください(同法 第25条)。"
            if successors
            else ""
        ),
        submit="死亡を処理する",
    )
    return event_view(request, form, label="死亡", call=call, page=page, resident_id=lambda: resident.pk)


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="世帯主変更の処理")
def change_head_view(request: HttpRequest, number: str, *, purpose: str) -> HttpResponse:
    """世帯主変更 (住基法 第25条): the new 世帯主 and every other member's 続柄 to them."""
    household = _household(number)
    residents, _ = selectors.current_residents(household)
    candidates = [(r.pk, f"{r.full_name}({r.relationship})") for r in residents if r.pk != household.head_id]
    members = [(r.pk, r.full_name) for r in residents]
    initial = {
        "target_id": household.pk,
        "version": household.version,
        "notified_on": to_wareki(local_today()),
        **{f"relationship_{r.pk}": r.relationship for r in residents},
    }
    if request.method == "POST":
        form = HeadChangeForm(request.POST, candidates=candidates, members=members)
    else:
        form = HeadChangeForm(initial=initial, candidates=candidates, members=members)

    def call() -> ChangeEvent:
        data = form.cleaned_data
        return services.change_head(
            actor=request.user,  # type: ignore[arg-type]
            household=Versioned(household.pk, data["version"]),
            new_head=data["new_head"],
            relationships=form.relationships(),
            event_date=data["event_date"],
            notified_on=data["notified_on"],
        )

    page = EventPage(
        household,
        purpose,
        title="世帯主変更",
        lead="新しい世帯主を選び、ほかの世帯員全員の新しい世帯主との続柄を入力します(住民基本台帳法 第25条、"
        "第7条第4号)。現在の世帯主の続柄も、新しい世帯主から見た続柄に改めてください。",
        submit="世帯主変更を処理する",
    )
    return event_view(request, form, label="世帯主変更", call=call, page=page)
