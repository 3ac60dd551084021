"""The clerk's resident-register pages (検索, 住民, 異動, 証明書, 交付履歴): parse -> one service/selector -> render.

The access middleware lets only clerks and auditors into this module (tenants.access). Auditors may read;
every write (異動, 交付, 無効, 個人番号の表示) is for clerks only (``clerk_only``). Every read of personal
data is audited with the clerk's 利用目的 (issue 3 §9); the purpose is remembered in the session so the clerk
does not retype it for each search of the same counter task.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from common import audit
from common.dates import local_today
from common.errors import ApplicationError
from common.wareki import to_wareki
from resident_records import certificates, mynumber, search, selectors, services
from resident_records.forms import (
    AsOfForm,
    BirthForm,
    CertificateForm,
    ChangeOfAddressForm,
    DeathForm,
    MemberFormSet,
    MoveInForm,
    MoveOutForm,
    PurposeForm,
    SearchForm,
    VoidForm,
)
from resident_records.models import (
    CertificateIssuance,
    CertificateKind,
    Household,
    Resident,
    ResidentStatus,
)
from resident_records.services import Versioned
from tenants.access import request_roles
from tenants.models import Role

PURPOSE_SESSION_KEY = "resident_records.purpose"
PREVIEW_SESSION_KEY = "resident_records.certificate_preview"
PREVIEW_CSP = {"frame-ancestors": ["'self'"], "object-src": ["'self'"]}
PREVIEW_FIELDS = ("kind", "members", "whole_household", "head_and_relationship", "domicile", "resident_code",
                  "my_number", "purpose")  # fmt: skip
SEARCH_LIMIT = 100


def clerk_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Writes are for clerks: an auditor (who may read this module) gets the 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if Role.CLERK not in request_roles(request):
            return render(request, "resident_records/clerk_only.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _purpose(request: HttpRequest) -> str:
    return str(request.session.get(PURPOSE_SESSION_KEY, ""))


def _remember_purpose(request: HttpRequest, purpose: str) -> None:
    request.session[PURPOSE_SESSION_KEY] = " ".join(purpose.split())


def _is_clerk(request: HttpRequest) -> bool:
    return Role.CLERK in request_roles(request)


# --- 検索 ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def search_view(request: HttpRequest) -> HttpResponse:
    """Search by POST: names and birth dates stay out of URLs (and so out of access logs and history)."""
    results: list[Resident] | None = None
    if request.method == "POST":
        form = SearchForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                results = search.search_residents(
                    query=data["query"],
                    birth_date=data["birth_date"],
                    address=data["address"],
                    atena_number=data["atena_number"],
                    include_removed=data["include_removed"],
                    limit=SEARCH_LIMIT,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                _remember_purpose(request, data["purpose"])
                # The criteria themselves are not logged (they are names and birth dates): which ones were
                # used and how many residents were shown is what an auditor needs.
                audit.record(
                    actor=request.user,  # type: ignore[arg-type]
                    action="resident.search",
                    purpose=data["purpose"],
                    personal_data=True,
                    details={
                        "criteria": [k for k in ("query", "birth_date", "address", "atena_number") if data[k]],
                        "include_removed": data["include_removed"],
                        "results": len(results),
                    },
                )
    else:
        form = SearchForm(initial={"purpose": _purpose(request)})
    return render(
        request,
        "resident_records/search.html",
        {"form": form, "results": results, "limit": SEARCH_LIMIT, "nav": "search"},
    )


# --- 住民 ------------------------------------------------------------------------------------------


@require_http_methods(["GET"])
def resident_view(request: HttpRequest, pk: int) -> HttpResponse:
    resident = get_object_or_404(Resident.objects.select_related("household"), pk=pk)
    if "purpose" in request.GET:
        purpose_form = PurposeForm(request.GET)
        if purpose_form.is_valid():
            _remember_purpose(request, purpose_form.cleaned_data["purpose"])
            return redirect("resident_records:resident", pk=pk)
        return render(request, "resident_records/purpose.html", {"form": purpose_form, "resident_id": pk})
    purpose = _purpose(request)
    if not purpose:
        return render(request, "resident_records/purpose.html", {"form": PurposeForm(), "resident_id": pk})
    return _render_resident(request, resident, purpose=purpose)


def _render_resident(
    request: HttpRequest, resident: Resident, *, purpose: str, revealed_my_number: str = "", status: int = 200
) -> HttpResponse:
    from resident_records import views_support  # imports this module (the purpose's session key)

    as_of_form = AsOfForm(request.GET or None)
    as_of: date | None = None
    if as_of_form.is_valid():
        as_of = as_of_form.cleaned_data["as_of"]
    day = as_of or local_today()
    entry: Any = selectors.resident_as_of(resident, as_of) if as_of else resident
    household = selectors.household_as_of(entry.household_id, day) if entry is not None else None
    audit.record(
        actor=request.user,  # type: ignore[arg-type]
        action="resident.view",
        obj=resident,
        purpose=purpose,
        personal_data=True,
        details={"as_of": as_of.isoformat()} if as_of else None,
    )
    # The household table shows the other members' names and birth dates too: each is a read of their data.
    for member in household.members if household is not None else []:
        if member.resident_id != resident.pk:
            audit.record(
                actor=request.user,  # type: ignore[arg-type]
                action="resident.view",
                obj=member.resident,
                purpose=purpose,
                personal_data=True,
                details={"household_of": resident.atena_number, **({"as_of": as_of.isoformat()} if as_of else {})},
            )
    masked = ""
    if entry is not None and entry.my_number_encrypted:
        masked = mynumber.mask(mynumber.decrypt(entry.my_number_encrypted))
    return render(
        request,
        "resident_records/resident.html",
        {
            "resident": resident,
            "entry": entry,
            "as_of": as_of,
            "as_of_form": as_of_form,
            "household": household,
            "household_row": resident.household,
            "events": list(selectors.events_for(resident)),
            "masked_my_number": masked,
            "revealed_my_number": revealed_my_number,
            "purpose": purpose,
            "reveal_form": PurposeForm(initial={"purpose": purpose}),
            "is_clerk": _is_clerk(request),
            "is_officer": Role.SUPPORT_MEASURE_OFFICER in request_roles(request),
            "support_rows": views_support.resident_measure_rows(resident),
            "is_resident": resident.status == ResidentStatus.RESIDENT,
        },
        status=status,
    )


@require_POST
@clerk_only
def reveal_my_number_view(request: HttpRequest, pk: int) -> HttpResponse:
    """個人番号 is shown once, for this response only, with its own audited purpose (番号法 第19条・第20条)."""
    resident = get_object_or_404(Resident, pk=pk)
    form = PurposeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "個人番号を表示する利用目的を入力してください。")
        return redirect("resident_records:resident", pk=pk)
    purpose = form.cleaned_data["purpose"]
    number = mynumber.decrypt(resident.my_number_encrypted) if resident.my_number_encrypted else ""
    audit.record(
        actor=request.user,  # type: ignore[arg-type]
        action="resident.reveal_my_number",
        obj=resident,
        purpose=purpose,
        personal_data=True,
    )
    response = _render_resident(
        request, resident, purpose=_purpose(request) or purpose, revealed_my_number=number or "(登録なし)"
    )
    response["Cache-Control"] = "no-store"
    return response


# --- 異動 ------------------------------------------------------------------------------------------


def _after_event(request: HttpRequest, household_id: int | None, label: str) -> HttpResponse:
    messages.success(request, f"{label}を処理しました。")
    if not _purpose(request):
        _remember_purpose(request, f"{label}の処理")
    household = Household.objects.filter(pk=household_id).first() if household_id is not None else None
    if household is not None and household.head_id is not None:
        return redirect("resident_records:resident", pk=household.head_id)
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
            try:
                event = services.record_move_in(
                    actor=request.user,  # type: ignore[arg-type]
                    event_date=data["event_date"],
                    notified_on=data["notified_on"],
                    address=data["address"],
                    address_detail=data["address_detail"],
                    postal_code=data["postal_code"],
                    previous_address=data["previous_address"],
                    members=[m.person() for m in members.forms if m.has_changed()],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                return _after_event(request, event.household_id, "転入")
    else:
        form = MoveInForm(initial={"notified_on": to_wareki(local_today())})
        members = MemberFormSet(prefix="members")
    return render(request, "resident_records/move_in.html", {"form": form, "members": members, "nav": "move_in"})


@require_http_methods(["GET", "POST"])
@clerk_only
def change_of_address_view(request: HttpRequest, pk: int) -> HttpResponse:
    """転居 of the whole household within the town (住基法 第23条)."""
    household = get_object_or_404(Household, pk=pk)
    residents = list(household.resident_set.filter(status=ResidentStatus.RESIDENT).order_by("pk"))
    current = residents[0] if residents else None
    if request.method == "POST":
        form = ChangeOfAddressForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                event = services.record_change_of_address(
                    actor=request.user,  # type: ignore[arg-type]
                    household=Versioned(household.pk, data["version"]),
                    event_date=data["event_date"],
                    notified_on=data["notified_on"],
                    address=data["address"],
                    address_detail=data["address_detail"],
                    postal_code=data["postal_code"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                return _after_event(request, event.household_id, "転居")
    else:
        form = ChangeOfAddressForm(initial={"target_id": household.pk, "version": household.version})
    return render(
        request,
        "resident_records/change_of_address.html",
        {"form": form, "household": household, "current": current, "residents": residents},
    )


def _household_page(household: Household) -> tuple[list[Resident], Resident | None]:
    residents = list(household.resident_set.filter(status=ResidentStatus.RESIDENT).order_by("pk"))
    head = next((r for r in residents if r.pk == household.head_id), residents[0] if residents else None)
    return residents, head


@require_http_methods(["GET", "POST"])
@clerk_only
def birth_view(request: HttpRequest, pk: int) -> HttpResponse:
    """出生届: the child joins this household on the birth date (住基法 第8条)."""
    household = get_object_or_404(Household, pk=pk)
    residents, head = _household_page(household)
    if request.method == "POST":
        form = BirthForm(request.POST)
        if form.is_valid():
            try:
                event = services.record_birth(
                    actor=request.user,  # type: ignore[arg-type]
                    household=Versioned(household.pk, form.cleaned_data["version"]),
                    child=form.person(),
                    notified_on=form.cleaned_data["notified_on"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                return _after_event(request, event.household_id, "出生")
    else:
        form = BirthForm(
            initial={
                "target_id": household.pk,
                "version": household.version,
                "family_name": head.family_name if head else "",
                "family_name_kana": head.family_name_kana if head else "",
                "relationship": "子",
                "notified_on": to_wareki(local_today()),
            }
        )
    return render(
        request,
        "resident_records/household_event.html",
        {
            "form": form,
            "household": household,
            "current": head,
            "residents": residents,
            "title": "出生届",
            "lead": "出生した子を、この世帯の世帯員として記載します(住民基本台帳法 第8条、戸籍法 第49条)。"
            "生年月日が異動日になります。",
            "submit": "出生を処理する",
        },
    )


@require_http_methods(["GET", "POST"])
@clerk_only
def move_out_view(request: HttpRequest, pk: int) -> HttpResponse:
    """転出届 of the whole household: the 転出予定 is recorded; the entry stays until the 転入通知 (住基法 第24条)."""
    household = get_object_or_404(Household, pk=pk)
    residents, head = _household_page(household)
    if request.method == "POST":
        form = MoveOutForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                event = services.plan_move_out(
                    actor=request.user,  # type: ignore[arg-type]
                    household=Versioned(household.pk, data["version"]),
                    event_date=data["event_date"],
                    notified_on=data["notified_on"],
                    destination=data["destination"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                return _after_event(request, event.household_id, "転出届")
    else:
        form = MoveOutForm(
            initial={"target_id": household.pk, "version": household.version, "notified_on": to_wareki(local_today())}
        )
    return render(
        request,
        "resident_records/household_event.html",
        {
            "form": form,
            "household": household,
            "current": head,
            "residents": residents,
            "title": "転出届(世帯全員)",
            "lead": "世帯全員の転出予定を記録します(住民基本台帳法 第24条)。転出予定日は未来の日付も指定できます。"
            "住民票は転入先からの通知(転出確定)まで消除されません。",
            "submit": "転出予定を登録する",
        },
    )


@require_http_methods(["GET", "POST"])
@clerk_only
def death_view(request: HttpRequest, pk: int) -> HttpResponse:
    """死亡届 (住基法 第8条): the entry is removed as of the date of death."""
    resident = get_object_or_404(Resident.objects.select_related("household"), pk=pk)
    household = resident.household
    residents, head = _household_page(household)
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
                form.add_error(None, exc.message)
            else:
                messages.success(request, "死亡を処理しました。")
                if not _purpose(request):
                    _remember_purpose(request, "死亡の処理")
                return redirect("resident_records:resident", pk=resident.pk)
    else:
        form = DeathForm(
            initial={"target_id": resident.pk, "version": resident.version, "notified_on": to_wareki(local_today())},
            successors=successors,
        )
    return render(
        request,
        "resident_records/household_event.html",
        {
            "form": form,
            "household": household,
            "current": head,
            "residents": residents,
            "title": f"死亡届 — {resident.full_name}",
            "lead": "死亡日をもって住民票を消除します(住民基本台帳法 第8条、戸籍法 第86条)。"
            + (
                "世帯主が亡くなり他の世帯員が残るため、新しい世帯主と続柄も入力してください(同法 第25条)。"
                if successors
                else ""
            ),
            "submit": "死亡を処理する",
        },
    )


# --- 証明書 ------------------------------------------------------------------------------------------


def _certificate_form(request: HttpRequest, resident: Resident) -> CertificateForm:
    members = list(
        Resident.objects.filter(household_id=resident.household_id, status=ResidentStatus.RESIDENT).order_by("pk")
    )
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
def certificate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Two steps: 確認 (what will be printed), then 発行, which returns the PDF to print."""
    resident = get_object_or_404(Resident.objects.select_related("household"), pk=pk)
    form = _certificate_form(request, resident)
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
            covered=covered,
            kind_label=CertificateKind(data["kind"]).label,
            preview_url=reverse("resident_records:certificate_preview", args=[resident.pk]),
        )
        return render(request, "resident_records/certificate.html", context)
    try:
        issuance, document = certificates.issue_certificate(
            actor=request.user,  # type: ignore[arg-type]
            kind=data["kind"],
            purpose=data["purpose"],
            requested_by=data["requested_by"],
            household=resident.household if data["whole_household"] else None,
            residents=() if data["whole_household"] else chosen,
            options=certificates.CertificateOptions(
                head_and_relationship=data["head_and_relationship"],
                domicile=data["domicile"],
                resident_code=data["resident_code"],
                my_number=data["my_number"],
            ),
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return render(request, "resident_records/certificate.html", context, status=exc.status_code)
    _forget_preview(request, resident.pk)
    response = HttpResponse(document, content_type="application/pdf")
    # An ASCII file name: the 発行番号 itself is Japanese (令和8年第000001号), which not every browser saves well.
    response["Content-Disposition"] = f'attachment; filename="certificate-{issuance.year}-{issuance.serial:06d}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


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
def certificate_preview_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The 見本 PDF of the certificate being confirmed (no 発行番号, no code, no 交付履歴 row)."""
    resident = get_object_or_404(Resident.objects.select_related("household"), pk=pk)
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
        )
    except ApplicationError as exc:
        _forget_preview(request, resident.pk)
        return HttpResponse(exc.message, status=exc.status_code, content_type="text/plain; charset=utf-8")
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="certificate-preview.pdf"'
    response["Cache-Control"] = "no-store"
    # What django-csp's csp_replace decorator sets (its typing does not allow a view with URL arguments).
    setattr(response, "_csp_replace", PREVIEW_CSP)  # noqa: B010
    return response


@require_http_methods(["GET"])
def issuance_list_view(request: HttpRequest) -> HttpResponse:
    """今日の交付履歴 (標準仕様書 §1.3.8), with 無効 for a clerk."""
    today = local_today()
    issuances = CertificateIssuance.objects.filter(issued_at__date=today).prefetch_related("residents")
    return render(
        request,
        "resident_records/issuances.html",
        {"issuances": issuances, "today": today, "is_clerk": _is_clerk(request), "nav": "issuances"},
    )


@require_POST
@clerk_only
def void_issuance_view(request: HttpRequest, pk: int) -> HttpResponse:
    issuance = get_object_or_404(CertificateIssuance, pk=pk)
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
