"""The household's 異動 filed by notification: 転入, 転居, 出生, 転出, 死亡, 世帯主変更."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from common.dates import local_today
from common.errors import ApplicationError
from common.wareki import to_wareki
from resident_records import selectors, services
from resident_records.forms import (
    BirthForm,
    ChangeOfAddressForm,
    DeathForm,
    HeadChangeForm,
    MemberFormSet,
    MoveInForm,
    MoveOutForm,
)
from resident_records.models import (
    ChangeEvent,
)
from resident_records.services import Versioned
from resident_records.views.common import (
    _after_event,
    _household,
    _household_event_page,
    _purpose,
    _remember_purpose,
    _resident,
    _submit,
    clerk_only,
    personal_data_page,
    show_refusal,
)
from resident_records.views.departures import _departure_view


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
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _submit(
            request,
            form,
            "転居",
            lambda: services.record_change_of_address(
                actor=request.user,  # type: ignore[arg-type]
                household=Versioned(household.pk, data["version"]),
                event_date=data["event_date"],
                notified_on=data["notified_on"],
                address=data["address"],
                address_detail=data["address_detail"],
                postal_code=data["postal_code"],
            ),
        )
        if done is not None:
            return done
    shown = selectors.view_household(actor=request.user, household=household, purpose=purpose)  # type: ignore[arg-type]
    return render(
        request,
        "resident_records/change_of_address.html",
        {"form": form, "household": household, "current": shown.head, "residents": shown.residents},
    )


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
    if request.method == "POST" and form.is_valid():
        done = _submit(
            request,
            form,
            "出生",
            lambda: services.record_birth(
                actor=request.user,  # type: ignore[arg-type]
                household=Versioned(household.pk, form.cleaned_data["version"]),
                child=form.person(),
                notified_on=form.cleaned_data["notified_on"],
            ),
        )
        if done is not None:
            return done
    return _household_event_page(
        request,
        form,
        household,
        purpose=purpose,
        title="出生届",
        lead="出生した子を、この世帯の世帯員として記載します(住民基本台帳法 第8条、戸籍法 第49条)。"
        "生年月日が異動日になります。",
        submit="出生を処理する",
    )


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
@personal_data_page(intrinsic="死亡届の処理")
def death_view(request: HttpRequest, atena_number: str, *, purpose: str) -> HttpResponse:
    """死亡届 (住基法 第8条): the entry is removed as of the date of death."""
    resident = _resident(atena_number)
    household = resident.household
    residents, _ = selectors.current_residents(household)
    others = [r for r in residents if r.pk != resident.pk]
    successors = [(r.pk, r.full_name) for r in others] if household.head_id == resident.pk else []
    if request.method == "POST":
        form = DeathForm(request.POST, successors=successors)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_death(
                    actor=request.user,  # type: ignore[arg-type]
                    resident=Versioned(resident.pk, data["version"]),
                    died_on=data["died_on"],
                    notified_on=data["notified_on"],
                    new_head=data.get("new_head"),
                    relationships=form.relationships() if successors else None,
                )
            except ApplicationError as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, "死亡を処理しました。")
                if not _purpose(request):
                    _remember_purpose(request, "死亡の処理")
                return redirect("resident_records:resident", atena_number=resident.atena_number)
    else:
        form = DeathForm(
            initial={"target_id": resident.pk, "version": resident.version, "notified_on": to_wareki(local_today())},
            successors=successors,
        )
    return _household_event_page(
        request,
        form,
        household,
        purpose=purpose,
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


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="世帯主変更の処理")
def change_head_view(request: HttpRequest, number: str, *, purpose: str) -> HttpResponse:
    """世帯主変更 (住基法 第25条): the new 世帯主 and every other member's 続柄 to them."""
    household = _household(number)
    residents, _ = selectors.current_residents(household)
    candidates = [(r.pk, f"{r.full_name}({r.relationship})") for r in residents if r.pk != household.head_id]
    members = [(r.pk, r.full_name) for r in residents]
    if request.method == "POST":
        form = HeadChangeForm(request.POST, candidates=candidates, members=members)
        if form.is_valid():
            data = form.cleaned_data
            done = _submit(
                request,
                form,
                "世帯主変更",
                lambda: services.change_head(
                    actor=request.user,  # type: ignore[arg-type]
                    household=Versioned(household.pk, data["version"]),
                    new_head=data["new_head"],
                    relationships=form.relationships(),
                    event_date=data["event_date"],
                    notified_on=data["notified_on"],
                ),
            )
            if done is not None:
                return done
    else:
        form = HeadChangeForm(
            initial={
                "target_id": household.pk,
                "version": household.version,
                "notified_on": to_wareki(local_today()),
                **{f"relationship_{r.pk}": r.relationship for r in residents},
            },
            candidates=candidates,
            members=members,
        )
    return _household_event_page(
        request,
        form,
        household,
        purpose=purpose,
        title="世帯主変更",
        lead="新しい世帯主を選び、ほかの世帯員全員の新しい世帯主との続柄を入力します(住民基本台帳法 第25条、"
        "第7条第4号)。現在の世帯主の続柄も、新しい世帯主から見た続柄に改めてください。",
        submit="世帯主変更を処理する",
    )
