"""The clerk's resident-register pages (検索, 住民, 異動, 証明書, 交付履歴): parse -> one service/selector -> render.

The access middleware lets only clerks and auditors into this module (tenants.access). Auditors may read;
every write (異動, 交付, 無効, 個人番号の表示) is for clerks only (``clerk_only``). Every page that shows a
person's details goes through ``personal_data_page`` (common.purpose.PurposeGate): it demands the 利用目的, and the
page's read selector (selectors.view_resident, view_household, view_issuances) writes the audit row
(docs/audit.md). Residents are named in URLs by 宛名番号 and households by 世帯番号, never by row id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from common.dates import local_today
from common.errors import ApplicationError
from common.http import pdf_attachment, pdf_preview
from common.purpose import PurposeGate
from common.tenancy import current_schema
from common.wareki import to_wareki
from resident_records import certificates, disclosure, inspection, selectors, services
from resident_records.forms import (
    CORRECTION_FIELDS,
    AsOfForm,
    BirthForm,
    CancelEventForm,
    CertificateForm,
    ChangeOfAddressForm,
    ConfirmMoveOutForm,
    CorrectionForm,
    DeathForm,
    DepartureForm,
    ExOfficioRemovalForm,
    HeadChangeForm,
    InspectionForm,
    MemberFormSet,
    MergeForm,
    MoveInForm,
    MoveOutForm,
    PurposeForm,
    SearchForm,
    SplitForm,
    VoidForm,
)
from resident_records.models import (
    CertificateIssuance,
    CertificateKind,
    ChangeEvent,
    EventKind,
    Household,
    Resident,
    ResidentStatus,
)
from resident_records.search import SearchPage
from resident_records.services import Versioned
from tenants.access import request_roles
from tenants.models import Role

PURPOSE_SESSION_KEY = "resident_records.purpose"
PREVIEW_SESSION_KEY = "resident_records.certificate_preview"
PREVIEW_FIELDS = ("kind", "members", "whole_household", "head_and_relationship", "domicile", "resident_code",
                  "my_number", "purpose", "requester_kind")  # fmt: skip
SEARCH_LIMIT = 100


def clerk_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Writes are for clerks: an auditor (who may read this module) gets the 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if Role.CLERK not in request_roles(request):
            return render(request, "resident_records/clerk_only.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


GATE = PurposeGate(session_key=PURPOSE_SESSION_KEY, template="resident_records/purpose.html", form_class=PurposeForm)
personal_data_page = GATE.page


def _purpose(request: HttpRequest) -> str:
    return GATE.current(request)


def _remember_purpose(request: HttpRequest, purpose: str) -> None:
    GATE.remember(request, purpose)


def _resident(atena_number: str) -> Resident:
    return get_object_or_404(Resident.objects.select_related("household"), atena_number=atena_number)


def _household(number: str) -> Household:
    return get_object_or_404(Household, number=number)


def _is_clerk(request: HttpRequest) -> bool:
    return Role.CLERK in request_roles(request)


# --- 検索 ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def search_view(request: HttpRequest) -> HttpResponse:
    """Search by POST: names and birth dates stay out of URLs (and so out of access logs and history)."""
    results: SearchPage | None = None
    if request.method == "POST":
        form = SearchForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                results = selectors.find_resident_page(
                    actor=request.user,  # type: ignore[arg-type]
                    purpose=data["purpose"],
                    query=data["query"],
                    birth_date=data["birth_date"],
                    address=data["address"],
                    atena_number=data["atena_number"],
                    include_removed=data["include_removed"],
                    page=data["page"] or 1,
                    per_page=SEARCH_LIMIT,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                _remember_purpose(request, data["purpose"])
    else:
        form = SearchForm(initial={"purpose": _purpose(request)})
    return render(
        request,
        "resident_records/search.html",
        {
            "form": form,
            "results": results,
            "limit": SEARCH_LIMIT,
            "nav": "search",
            # One URL reversed for the whole list; each row appends its 宛名番号 (no {% url %} per row).
            "resident_url": reverse("resident_records:resident", args=["0"]).removesuffix("0/"),
        },
    )


# --- 住民 ------------------------------------------------------------------------------------------


@require_http_methods(["GET"])
@personal_data_page()
def resident_view(request: HttpRequest, atena_number: str, *, purpose: str) -> HttpResponse:
    return _render_resident(request, _resident(atena_number), purpose=purpose)


def _render_resident(
    request: HttpRequest, resident: Resident, *, purpose: str, revealed_my_number: str = "", status: int = 200
) -> HttpResponse:
    from resident_records import views_support  # imports this module (the purpose's session key)

    as_of_form = AsOfForm(request.GET or None)
    as_of: date | None = None
    if as_of_form.is_valid():
        as_of = as_of_form.cleaned_data["as_of"]
    view = selectors.view_resident(
        actor=request.user,  # type: ignore[arg-type]
        resident=resident,
        purpose=purpose,
        as_of=as_of,
    )
    return render(
        request,
        "resident_records/resident.html",
        {
            "resident": resident,
            "entry": view.entry,
            "as_of": as_of,
            "as_of_form": as_of_form,
            "household": view.household,
            "household_row": resident.household,
            "events": view.events,
            "masked_my_number": view.masked_my_number,
            "revealed_my_number": revealed_my_number,
            "purpose": purpose,
            "reveal_form": PurposeForm(initial={"purpose": purpose}),
            "is_clerk": _is_clerk(request),
            "is_officer": Role.SUPPORT_MEASURE_OFFICER in request_roles(request),
            "support_rows": views_support.resident_measure_rows(resident),
            # A 支援措置 of the town moved to hides this 除票's 転出先 (docs/domain/support_measures.md).
            "destination_hidden": disclosure.hidden_destination(
                actor=request.user,  # type: ignore[arg-type]
                resident=resident,
                purpose=purpose,
            ),
            "is_resident": resident.status == ResidentStatus.RESIDENT,
        },
        status=status,
    )


@require_POST
@clerk_only
def reveal_my_number_view(request: HttpRequest, atena_number: str) -> HttpResponse:
    """個人番号 is shown once, for this response only, with its own audited purpose (番号法 第19条・第20条)."""
    resident = _resident(atena_number)
    form = PurposeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "個人番号を表示する利用目的を入力してください。")
        return redirect("resident_records:resident", atena_number=atena_number)
    purpose = form.cleaned_data["purpose"]
    number = selectors.reveal_my_number(
        actor=request.user,  # type: ignore[arg-type]
        resident=resident,
        purpose=purpose,
    )
    response = _render_resident(
        request, resident, purpose=_purpose(request) or purpose, revealed_my_number=number or "(登録なし)"
    )
    response["Cache-Control"] = "no-store"
    return response


# --- 異動 ------------------------------------------------------------------------------------------


def _after_event(
    request: HttpRequest, household_id: int | None, label: str, *, resident_id: int | None = None
) -> HttpResponse:
    messages.success(request, f"{label}を処理しました。")
    if not _purpose(request):
        _remember_purpose(request, f"{label}の処理")
    if resident_id is None and household_id is not None:
        resident_id = Household.objects.filter(pk=household_id).values_list("head_id", flat=True).first()
    atena_number = (
        Resident.objects.filter(pk=resident_id).values_list("atena_number", flat=True).first() if resident_id else None
    )
    if atena_number is not None:
        return redirect("resident_records:resident", atena_number=atena_number)
    return redirect("resident_records:search")


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


# --- 取消し・世帯主変更・修正 --------------------------------------------------------------------------


def show_refusal(form: forms.Form, exc: ApplicationError) -> None:
    """The service's refusal on the form: on the field it names (``details["field"]``), else for the whole form."""
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    form.add_error(field if field in form.fields else None, exc.message)


def _submit(
    request: HttpRequest,
    form: forms.Form,
    label: str,
    call: Callable[[], ChangeEvent],
    *,
    resident_id: int | None = None,
) -> HttpResponse | None:
    """Run one service call: a refusal becomes the form's error (the service wrote nothing), success redirects."""
    try:
        event = call()
    except ApplicationError as exc:
        show_refusal(form, exc)
        return None
    return _after_event(request, event.household_id, label, resident_id=resident_id)


def _household_event_page(
    request: HttpRequest,
    form: forms.Form,
    household: Household,
    *,
    purpose: str,
    title: str,
    lead: str,
    submit: str,
    also: Sequence[Resident] = (),
) -> HttpResponse:
    """A 異動 form under its household's members (each shown member is an audited read, ``view_household``)."""
    shown = selectors.view_household(
        actor=request.user,  # type: ignore[arg-type]
        household=household,
        purpose=purpose,
        also=also,
    )
    return render(
        request,
        "resident_records/household_event.html",
        {"form": form, "household": household, "current": shown.head, "residents": shown.residents, "title": title,
         "lead": lead, "submit": submit},
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="異動の取消しの処理")
def cancel_event_view(request: HttpRequest, atena_number: str, event_id: int, *, purpose: str) -> HttpResponse:
    """異動の取消し (標準仕様書 §1.2.2): a CANCELLATION event; the service refuses all but the latest event."""
    resident = _resident(atena_number)
    event = get_object_or_404(selectors.events_for(resident).exclude(kind=EventKind.CANCELLATION), pk=event_id)
    form = CancelEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _submit(
            request,
            form,
            "異動の取消し",
            lambda: services.cancel_event(
                actor=request.user,  # type: ignore[arg-type]
                event_id=event.pk,
                reason=form.cleaned_data["reason"],
            ),
            resident_id=resident.pk,
        )
        if done is not None:
            return done
    selectors.view_residents(
        actor=request.user,  # type: ignore[arg-type]
        residents=[resident],
        purpose=purpose,
        details={"event": event.pk},
    )
    return render(request, "resident_records/cancel_event.html", {"form": form, "resident": resident, "event": event})


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


CORRECTIONS = {
    # kind -> (service, label, lead)
    "clerical": (
        services.correct_clerical_error,
        "誤記修正",
        "記載の誤り(処理誤り)を正します。誤った記録は履歴に残ります(標準仕様書 §1.2.2)。",
    ),
    "ex_officio": (
        services.record_ex_officio_correction,
        "職権修正",
        "戸籍の届出の通知などにより、町が職権で記載を修正します(住民基本台帳法 第8条、施行令 第12条第3項)。",
    ),
}


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="記載の修正の処理")
def correction_view(request: HttpRequest, atena_number: str, kind: str, *, purpose: str) -> HttpResponse:
    """誤記修正 / 職権修正 of one resident: the items changed on the form, effective from 修正の適用日."""
    if kind not in CORRECTIONS:
        raise Http404("修正の種類が正しくありません。")
    service, label, lead = CORRECTIONS[kind]
    resident = _resident(atena_number)
    latest = services._latest_record(resident)  # the record corrected, whose date the service defaults to
    current = {name: getattr(resident, name) for name in CORRECTION_FIELDS}
    initial = {"target_id": resident.pk, "version": resident.version, **current,
               "effective_on": latest.effective_on if latest is not None else None}  # fmt: skip
    if request.method == "POST":
        form = CorrectionForm(request.POST, initial=initial)
        if form.is_valid():
            data = form.cleaned_data
            done = _submit(
                request,
                form,
                label,
                lambda: service(
                    actor=request.user,  # type: ignore[arg-type]
                    resident=Versioned(resident.pk, data["version"]),
                    changes=form.changes(),
                    reason=data["reason"],
                    effective_on=data["effective_on"],
                ),
                resident_id=resident.pk,
            )
            if done is not None:
                return done
    else:
        form = CorrectionForm(initial=initial)
    return _household_event_page(
        request,
        form,
        resident.household,
        purpose=purpose,
        also=[resident],
        title=f"{label} — {resident.full_name}",
        lead=lead + "現在の記載を表示しています。誤っている項目だけを書き換えてください。",
        submit=f"{label}を処理する",
    )


# --- 転出確定・職権消除 ----------------------------------------------------------------------------


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
    if request.method == "POST" and form.is_valid():
        done = _submit(request, form, label, lambda: call(form))
        if done is not None:
            return done
    return _household_event_page(
        request, form, household, purpose=purpose, title=label, lead=lead, submit=f"{label}を処理する"
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


# --- 世帯分離・世帯合併 ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="世帯分離の処理")
def split_household_view(request: HttpRequest, number: str, *, purpose: str) -> HttpResponse:
    """世帯分離 (住基法 第25条): chosen members form a new household at the same address."""
    household = _household(number)
    residents, _ = selectors.current_residents(household)
    form = SplitForm(
        request.POST or None,
        initial={"target_id": household.pk, "version": household.version, "notified_on": to_wareki(local_today())},
        choices=[(r.pk, f"{r.full_name}({r.relationship}、宛名番号 {r.atena_number})") for r in residents],
        names=[(r.pk, r.full_name) for r in residents],
        versions={r.pk: r.version for r in residents},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _submit(
            request,
            form,
            "世帯分離",
            lambda: services.split_household(
                actor=request.user,  # type: ignore[arg-type]
                household=Versioned(household.pk, data["version"]),
                members=form.chosen(),
                new_head=data["new_head"],
                relationships=form.leaving_relationships(),
                event_date=data["event_date"],
                notified_on=data["notified_on"],
                remaining_head=data["remaining_head"],
                remaining_relationships=form.remaining_relationships(),
            ),
            resident_id=data["new_head"],
        )
        if done is not None:
            return done
    return _household_event_page(
        request,
        form,
        household,
        purpose=purpose,
        title="世帯分離",
        lead="選んだ住民が同じ住所で新しい世帯をつくります(住民基本台帳法 第25条)。新しい世帯には世帯番号が"
        "付番されます。元の世帯には1人以上が残る必要があります。",
        submit="世帯分離を処理する",
    )


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="世帯合併の処理")
def merge_households_view(request: HttpRequest, number: str, *, purpose: str) -> HttpResponse:
    """世帯合併 (住基法 第25条): every member of the household with the given 世帯番号 joins this one.

    Two steps: the 世帯番号 entered shows the joining members (for their 続柄), then the merge is filed. Which
    household may be absorbed is the service's rule (services.household_to_merge).
    """
    household = _household(number)
    absorbed_number = " ".join(request.POST.get("absorbed_number", "").split())
    absorbed: Household | None = None
    if request.method == "POST" and absorbed_number:
        try:
            absorbed = services.household_to_merge(into=household, number=absorbed_number)
        except ApplicationError:
            absorbed = None  # step 2 files it and shows the service's refusal on the 世帯番号 field
    joining, _ = selectors.current_residents(absorbed) if absorbed is not None else ([], None)
    names = [(r.pk, r.full_name) for r in joining]
    initial = {"target_id": household.pk, "version": household.version, "notified_on": to_wareki(local_today())}
    showing_joining = (
        request.method == "POST" and absorbed is not None and request.POST.get("absorbed_id") != str(absorbed.pk)
    )
    if absorbed is not None and showing_joining:
        # The 世帯番号 was just entered: its members are shown for their 続柄.
        form = MergeForm(
            initial={**request.POST.dict(), "absorbed_id": absorbed.pk, "absorbed_version": absorbed.version},
            joining=names,
        )
    else:
        form = MergeForm(request.POST or None, initial=initial, joining=names)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data

            def merge() -> ChangeEvent:
                target = services.household_to_merge(into=household, number=data["absorbed_number"])
                return services.merge_households(
                    actor=request.user,  # type: ignore[arg-type]
                    household=Versioned(household.pk, data["version"]),
                    absorbed=Versioned(target.pk, data["absorbed_version"] or 0),
                    relationships=form.relationships(),
                    event_date=data["event_date"],
                    notified_on=data["notified_on"],
                )

            done = _submit(request, form, "世帯合併", merge)
            if done is not None:
                return done
    response = _household_event_page(
        request,
        form,
        household,
        purpose=purpose,
        title="世帯合併",
        lead="同じ住所の別の世帯の全員がこの世帯に加わり、その世帯は消滅します(住民基本台帳法 第25条)。"
        "世帯番号を入力して「世帯合併を処理する」を押すと、加わる方の一覧が表示されます。続柄を入力して、"
        "もう一度押してください。",
        submit="世帯合併を処理する",
    )
    if absorbed is not None and showing_joining:
        selectors.view_household(
            actor=request.user,  # type: ignore[arg-type]
            household=absorbed,
            purpose=purpose,
            details={"merge_into": household.number},
        )
    return response


# --- 証明書 ------------------------------------------------------------------------------------------


def _certificate_form(request: HttpRequest, resident: Resident, *, purpose: str) -> CertificateForm:
    """The request form; the members it offers are shown to the clerk (an audited read)."""
    shown = selectors.view_household(
        actor=request.user,  # type: ignore[arg-type]
        household=resident.household,
        purpose=purpose,
        also=[resident],
    )
    members = list(shown.residents)
    if resident not in members:
        members.insert(0, resident)  # a 除票 is requested for the person alone
    choices = [(str(m.pk), f"{m.full_name}({m.atena_number})") for m in members]
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {"members": [str(resident.pk)], "purpose": _purpose(request)}
    if resident.status != ResidentStatus.RESIDENT:
        initial.update(kind=CertificateKind.REMOVED_COPY, whole_household=False)
    return CertificateForm(data, member_choices=choices, initial=initial)


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="証明書の交付")
def certificate_view(request: HttpRequest, atena_number: str, *, purpose: str) -> HttpResponse:
    """Two steps: 確認 (what will be printed), then 発行, which returns the PDF to print."""
    resident = _resident(atena_number)
    form = _certificate_form(request, resident, purpose=purpose)
    context: dict[str, Any] = {"form": form, "resident": resident}
    if request.method != "POST" or not form.is_valid() or request.POST.get("step") == "edit":
        return render(request, "resident_records/certificate.html", context)
    data = form.cleaned_data
    chosen = list(Resident.objects.filter(pk__in=data["members"]).order_by("pk"))
    if request.POST.get("step") != "issue":
        _forget_preview(request, resident.pk)
        try:
            # The same checks as issuance (支援措置 included): a blocked person's entry is not even shown.
            covered = certificates.ensure_issuable(
                actor=request.user,  # type: ignore[arg-type]
                kind=data["kind"],
                purpose=data["purpose"],
                household=resident.household if data["whole_household"] else None,
                residents=() if data["whole_household"] else chosen,
                options=certificates.CertificateOptions(my_number=data["my_number"]),
                requester_kind=data["requester_kind"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return render(request, "resident_records/certificate.html", context, status=exc.status_code)
        # The 見本 is fetched by the <iframe> with GET: its parameters stay in the session, not in the URL.
        request.session[PREVIEW_SESSION_KEY] = {
            **request.session.get(PREVIEW_SESSION_KEY, {}),
            str(resident.pk): {key: data[key] for key in PREVIEW_FIELDS},
        }
        context.update(
            confirm=True,
            # One key per confirmation screen: submitting it twice issues one certificate.
            idempotency_key=uuid.uuid4(),
            covered=covered,
            kind_label=CertificateKind(data["kind"]).label,
            preview_url=reverse("resident_records:certificate_preview", args=[resident.atena_number]),
        )
        return render(request, "resident_records/certificate.html", context)
    try:
        issuance, document = certificates.issue_certificate(
            actor=request.user,  # type: ignore[arg-type]
            kind=data["kind"],
            purpose=data["purpose"],
            requested_by=data["requested_by"],
            requester_kind=data["requester_kind"],
            household=resident.household if data["whole_household"] else None,
            residents=() if data["whole_household"] else chosen,
            options=certificates.CertificateOptions(
                head_and_relationship=data["head_and_relationship"],
                domicile=data["domicile"],
                resident_code=data["resident_code"],
                my_number=data["my_number"],
                fee=data["fee"],
            ),
            idempotency_key=_idempotency_key(request),
        )
    except certificates.CertificateAlreadyIssued as again:
        # A second submit of the same confirmation screen: the certificate issued by the first is shown.
        messages.warning(request, again.message)
        return redirect("resident_records:issued", issuance_number=again.issuance.number)
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return render(request, "resident_records/certificate.html", context, status=exc.status_code)
    _forget_preview(request, resident.pk)
    # The paper is printed from the completion page; the PDF waits there briefly (it is not stored: only its
    # digest is, in the 交付履歴).
    cache.set(_issued_pdf_key(request, issuance.number), document, ISSUED_PDF_SECONDS)
    return redirect("resident_records:issued", issuance_number=issuance.number)


ISSUED_PDF_SECONDS = 600


def _idempotency_key(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get("idempotency_key", ""))
    except ValueError:
        return None


def issued_pdf_key(*, schema: str, user_id: int | None, issuance_number: str) -> str:
    """Where the PDF just issued waits for the clerk who issued it (this town, this clerk, this 発行番号)."""
    return f"resident_records:issued_pdf:{schema}:{user_id}:{issuance_number}"


def _issued_pdf_key(request: HttpRequest, issuance_number: str) -> str:
    return issued_pdf_key(schema=current_schema(), user_id=request.user.pk, issuance_number=issuance_number)


@require_http_methods(["GET"])
@clerk_only
@personal_data_page(intrinsic="証明書の交付")
def issued_view(request: HttpRequest, issuance_number: str, *, purpose: str) -> HttpResponse:
    """The completion page of an issuance: its 発行番号, the persons it names and the PDF to print."""
    issuance = selectors.view_issuance(
        actor=request.user,  # type: ignore[arg-type]
        issuance=get_object_or_404(CertificateIssuance, number=issuance_number),
        purpose=purpose,
    )
    return render(
        request,
        "resident_records/issued.html",
        {"issuance": issuance, "pdf_ready": cache.get(_issued_pdf_key(request, issuance_number)) is not None},
    )


@require_http_methods(["GET"])
@clerk_only
@personal_data_page(intrinsic="証明書の交付")
def issued_pdf_view(request: HttpRequest, issuance_number: str, *, purpose: str) -> HttpResponse:
    issuance = get_object_or_404(CertificateIssuance, number=issuance_number)
    document = cache.get(_issued_pdf_key(request, issuance_number))
    if document is None:
        raise Http404("印刷用のPDFは交付の直後だけ取得できます。再交付は新たに発行してください。")
    selectors.view_issuance(actor=request.user, issuance=issuance, purpose=purpose)  # type: ignore[arg-type]
    return pdf_attachment(document, f"certificate-{issuance.year}-{issuance.serial:06d}.pdf")


def _forget_preview(request: HttpRequest, resident_id: int) -> None:
    stored = dict(request.session.get(PREVIEW_SESSION_KEY, {}))
    if stored.pop(str(resident_id), None) is not None:
        request.session[PREVIEW_SESSION_KEY] = stored


# The 見本 is framed by the confirmation page of this site: X-Frame-Options SAMEORIGIN (the site default is
# DENY) and, for this response only, CSP frame-ancestors 'self' and object-src 'self' (Chromium shows a PDF
# with its plugin viewer, which object-src 'none' would block). See CONTENT_SECURITY_POLICY in settings.
@require_http_methods(["GET"])
@clerk_only
@xframe_options_sameorigin
@personal_data_page(intrinsic="証明書の交付")
def certificate_preview_view(request: HttpRequest, atena_number: str, *, purpose: str) -> HttpResponse:
    """The 見本 PDF of the certificate being confirmed (no 発行番号, no code, no 交付履歴 row)."""
    resident = _resident(atena_number)
    stored = request.session.get(PREVIEW_SESSION_KEY, {}).get(str(resident.pk))
    if not isinstance(stored, dict):
        raise Http404("確認中の証明書がありません。")
    chosen = list(Resident.objects.filter(pk__in=stored.get("members", [])).order_by("pk"))
    try:
        document = certificates.preview_certificate(
            actor=request.user,  # type: ignore[arg-type]
            kind=str(stored.get("kind", "")),
            purpose=str(stored.get("purpose", "")),
            household=resident.household if stored.get("whole_household") else None,
            residents=() if stored.get("whole_household") else chosen,
            options=certificates.CertificateOptions(
                head_and_relationship=bool(stored.get("head_and_relationship")),
                domicile=bool(stored.get("domicile")),
                resident_code=bool(stored.get("resident_code")),
                my_number=bool(stored.get("my_number")),
            ),
            requester_kind=str(stored.get("requester_kind", "")),
        )
    except ApplicationError as exc:
        _forget_preview(request, resident.pk)
        return HttpResponse(exc.message, status=exc.status_code, content_type="text/plain; charset=utf-8")
    return pdf_preview(document, "certificate-preview.pdf")


@require_http_methods(["GET"])
@personal_data_page()
def issuance_list_view(request: HttpRequest, *, purpose: str) -> HttpResponse:
    """今日の交付履歴 (標準仕様書 §1.3.8), with 無効 for a clerk."""
    today = local_today()
    issuances = selectors.view_issuances(actor=request.user, day=today, purpose=purpose)  # type: ignore[arg-type]
    return render(
        request,
        "resident_records/issuances.html",
        {"issuances": issuances, "today": today, "is_clerk": _is_clerk(request), "nav": "issuances"},
    )


@require_POST
@clerk_only
def void_issuance_view(request: HttpRequest, number: str) -> HttpResponse:
    issuance = get_object_or_404(CertificateIssuance, number=number)
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, "無効にする理由を入力してください。")
    else:
        try:
            certificates.void_certificate(
                actor=request.user,  # type: ignore[arg-type]
                issuance=issuance,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"発行番号 {issuance.number} を無効にしました。")
    return redirect(reverse("resident_records:issuances"))


@require_http_methods(["GET", "POST"])
@clerk_only
def inspection_view(request: HttpRequest) -> HttpResponse:
    """閲覧 (住基法 第11条の2): the four items of an area's residents, persons under 支援措置 left out."""
    form = InspectionForm(request.POST or None)
    rows = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = inspection.prepare_inspection_list(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ApplicationError as exc:
            for field, message in (exc.details or {}).items() if isinstance(exc.details, dict) else []:
                form.add_error(field if field in form.fields else None, message)
            if not form.errors:
                form.add_error(None, exc.message)
    return render(request, "resident_records/inspection.html", {"form": form, "rows": rows, "nav": "inspection"})
