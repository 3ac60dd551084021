"""The clerk's 戸籍 pages (検索, 戸籍の表示, 届出, 証明書, 交付履歴, 広域交付): parse -> one service/selector -> render.

The access middleware lets only clerks and auditors into this module (tenants.access). Auditors may read
registers and the 交付履歴; every 届出 and every 交付 is for clerks only (``clerk_only``). Every display of a
register is audited with the clerk's 利用目的 (issue 4 §9); as in resident_records, the purpose is kept in the
session so the clerk does not retype it for each register of the same counter task.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from common import audit
from common.dates import local_today
from common.errors import ApplicationError
from common.tenancy import current_schema
from common.text import normalize_search_text
from common.wareki import to_wareki
from koseki import certificates, fuhyo, selectors, services, wide_area
from koseki.forms import (
    AdoptionForm,
    BirthForm,
    CertificateForm,
    CorrectionForm,
    DeathForm,
    DivorceForm,
    FuriganaForm,
    MarriageForm,
    NotificationForm,
    PurposeForm,
    SearchForm,
    SplitForm,
    TransferForm,
    WideAreaIssueForm,
    WideAreaSearchForm,
)
from koseki.models import CertificateIssuance, CertificateKind, Entry, Koseki, Member, Notification, RequesterRelation
from tenants.access import request_roles
from tenants.models import Municipality, Role

AUDIT_LABELS = {
    "koseki.view": "戸籍: 戸籍の表示",
    "koseki.search": "戸籍: 戸籍の検索",
}

PURPOSE_SESSION_KEY = "koseki.purpose"
PREVIEW_SESSION_KEY = "koseki.certificate_preview"
# The 見本 is framed by this site's confirmation page (see resident_records.views.certificate_preview_view).
PREVIEW_CSP = {"frame-ancestors": ["'self'"], "object-src": ["'self'"]}
SEARCH_LIMIT = 50
PICKER_LIMIT = 20


def clerk_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """届出 and 交付 are for clerks: an auditor (who may read this module) gets the 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if Role.CLERK not in request_roles(request):
            return render(request, "koseki/clerk_only.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _is_clerk(request: HttpRequest) -> bool:
    return Role.CLERK in request_roles(request)


def _purpose(request: HttpRequest) -> str:
    return str(request.session.get(PURPOSE_SESSION_KEY, ""))


def _remember_purpose(request: HttpRequest, purpose: str) -> None:
    request.session[PURPOSE_SESSION_KEY] = " ".join(purpose.split())


def _actor(request: HttpRequest) -> Any:
    return request.user


# --- 検索 ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def search_view(request: HttpRequest) -> HttpResponse:
    """Search by POST: names stay out of URLs (and so out of access logs and browser history)."""
    results: list[Koseki] | None = None
    if request.method == "POST":
        form = SearchForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                results = selectors.search_koseki(
                    query=data["query"], honseki=data["honseki"], include_closed=data["include_closed"],
                    limit=SEARCH_LIMIT,
                )  # fmt: skip
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                _remember_purpose(request, data["purpose"])
                # Which criteria were used and how many registers were listed; not the names themselves.
                audit.record(
                    actor=_actor(request),
                    action="koseki.search",
                    purpose=data["purpose"],
                    personal_data=True,
                    details={
                        "criteria": [k for k in ("honseki", "query") if data[k]],
                        "include_closed": data["include_closed"],
                        "results": len(results),
                    },
                )
    else:
        form = SearchForm(initial={"purpose": _purpose(request), "include_closed": True})
    return render(
        request, "koseki/search.html", {"form": form, "results": results, "limit": SEARCH_LIMIT, "nav": "search"}
    )


# --- 戸籍の表示 ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryRow:
    """An Entry with its 【項目】 pairs ready to print (labels without the brackets the template adds)."""

    entry: Entry
    fields: list[tuple[str, str]]


@dataclass(frozen=True)
class MemberRow:
    member: Member
    entries: list[EntryRow]
    furigana_history: list[Any]


def _entry_rows(entries: Iterable[Entry]) -> list[EntryRow]:
    rows = []
    for entry in entries:
        pairs = [
            (str(item[0]).strip("【】"), str(item[1]))
            for item in (entry.fields or [])
            if isinstance(item, list | tuple) and len(item) == 2
        ]
        rows.append(EntryRow(entry=entry, fields=pairs))
    return rows


@require_http_methods(["GET"])
def register_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The register as the 全部事項証明書 prints it, with its history (消除 entries, 振り仮名, 附票)."""
    koseki = get_object_or_404(Koseki, pk=pk)
    if "purpose" in request.GET:
        purpose_form = PurposeForm(request.GET)
        if purpose_form.is_valid():
            _remember_purpose(request, purpose_form.cleaned_data["purpose"])
            return redirect("koseki:register", pk=pk)
        return render(request, "koseki/purpose.html", {"form": purpose_form, "koseki_id": pk})
    purpose = _purpose(request)
    if not purpose:
        return render(request, "koseki/purpose.html", {"form": PurposeForm(), "koseki_id": pk})
    register = selectors.get_register(koseki_id=koseki.pk)
    audit.record(
        actor=_actor(request),
        action="koseki.view",
        obj=register.koseki,
        purpose=purpose,
        personal_data=True,
        details={"number": register.koseki.number, "members": len(register.members)},
    )
    members = [
        MemberRow(member=view.member, entries=_entry_rows(view.entries), furigana_history=list(view.furigana_history))
        for view in register.members
    ]
    return render(
        request,
        "koseki/register.html",
        {
            "koseki": register.koseki,
            "koseki_entries": _entry_rows(register.koseki_entries),
            "members": members,
            "fuhyo": fuhyo.fuhyo_lines(koseki=register.koseki),
            # The 受付帳 lines that changed this register (JSON containment on the list of numbers).
            "notifications": Notification.objects.filter(koseki_numbers__contains=[register.koseki.number])[:100],
            "fuhyo_available": True,
            "purpose": purpose,
            "is_clerk": _is_clerk(request),
        },
    )


# --- 届出 ------------------------------------------------------------------------------------------

NOTIFIER_FIELDS = ["notified_on", "notifier_name", "notifier_capacity"]


@dataclass(frozen=True)
class NotificationPage:
    title: str
    lead: str
    submit: str
    sections: Sequence[tuple[str, Sequence[str]]]  # (legend, field names)
    find_fields: Sequence[str] = ()


def _initial(**extra: Any) -> dict[str, Any]:
    return {"notified_on": to_wareki(local_today()), **extra}


def _finding(request: HttpRequest) -> bool:
    """The clerk pressed 「検索」 of a party picker: show the candidates, do not file yet."""
    return request.method == "POST" and request.POST.get("step") == "find"


def _bound_or_shown(request: HttpRequest, form_class: type[NotificationForm], **kwargs: Any) -> NotificationForm:
    """Bound to the POST when filing; while searching a party, an unbound form showing what was typed."""
    if _finding(request):
        return form_class(initial={**kwargs.pop("initial", {}), **request.POST.dict()}, **kwargs)
    return form_class(request.POST if request.method == "POST" else None, **kwargs)


def _candidates(request: HttpRequest, query: str, *, label: str, exclude: Member | None = None) -> list[Member]:
    """Members of this town's current registers matching the typed name or furigana (a read, audited)."""
    query = " ".join(query.split())
    if not query:
        return []
    registers = selectors.search_koseki(query=query, include_closed=False, limit=PICKER_LIMIT)
    members = list(
        Member.objects.filter(koseki__in=registers, is_removed=False)
        .select_related("koseki")
        .order_by("koseki_id", "position")
    )
    if exclude is not None:
        members = [m for m in members if m.person_key != exclude.person_key]
    needle = normalize_search_text(query)
    matching = [m for m in members if needle in m.search_text] or members
    if matching:
        audit.record(
            actor=_actor(request),
            action="koseki.search",
            purpose=_purpose(request) or f"{label}の受付",
            personal_data=True,
            details={"picker": label, "results": len(matching)},
        )
    return matching


def _chosen_member(value: Any) -> Member | None:
    if not value:
        return None
    return Member.objects.select_related("koseki").filter(pk=int(value), is_removed=False).first()


def _after_notification(request: HttpRequest, notification: Notification, *, fallback: Koseki) -> HttpResponse:
    """Back to the register the 届出 ended in: the newest current one it touched, else the one it started from."""
    label = notification.get_kind_display()
    messages.success(request, f"{label}を受理しました(受付番号 {notification.number})。")
    if not _purpose(request):
        _remember_purpose(request, f"{label}の処理")
    numbers = [str(n) for n in notification.koseki_numbers or []]
    touched = {k.number: k for k in Koseki.objects.filter(number__in=numbers)}
    for number in reversed(numbers):
        target = touched.get(number)
        if target is not None and not target.is_closed:
            return redirect("koseki:register", pk=target.pk)
    return redirect("koseki:register", pk=fallback.pk)


def _notification_page(
    request: HttpRequest,
    form: NotificationForm,
    page: NotificationPage,
    *,
    koseki: Koseki,
    member: Member | None,
    call: Callable[[dict[str, Any]], Notification],
) -> HttpResponse:
    """Validate, call the one service; a refusal (KosekiRuleError …) is shown as a form error, nothing written."""
    status = 200
    if request.method == "POST" and not _finding(request) and form.is_valid():
        try:
            notification = call(form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code if 400 <= exc.status_code < 500 else 400
        else:
            return _after_notification(request, notification, fallback=koseki)
    elif request.method == "POST" and not _finding(request):
        status = 400
    sections = [(legend, [form[name] for name in names if name in form.fields]) for legend, names in page.sections]
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


def _member_or_404(pk: int) -> Member:
    return get_object_or_404(Member.objects.select_related("koseki"), pk=pk)


@require_http_methods(["GET", "POST"])
@clerk_only
def birth_view(request: HttpRequest, pk: int) -> HttpResponse:
    """出生届 (戸籍法 第49条): the parents are chosen among this register's members."""
    koseki = get_object_or_404(Koseki, pk=pk)
    parents = list(Member.objects.filter(koseki=koseki, is_removed=False).select_related("koseki").order_by("position"))
    form = _bound_or_shown(request, BirthForm, parents=parents, initial=_initial(notifier_capacity="父"))

    def call(data: dict[str, Any]) -> Notification:
        return services.record_birth(
            actor=_actor(request),
            mother=_chosen_member(data["mother"]),
            father=_chosen_member(data["father"]),
            given_name=data["given_name"],
            given_name_kana=data["given_name_kana"],
            family_name_kana=data["family_name_kana"],
            sex=data["sex"],
            birth_date=data["birth_date"],
            birth_place=data["birth_place"],
            **_notifier(data),
        )

    page = NotificationPage(
        title="出生届",
        lead="子は父母の氏を称して父母の戸籍に入ります(戸籍法 第18条)。筆頭者・配偶者以外の方に子が生まれたときは、"
        "その方について新しい戸籍を編製します(第17条)。令和7年5月26日以後の出生は振り仮名が必要です。",
        submit="出生届を受理する",
        sections=[
            ("子", ["given_name", "given_name_kana", "family_name_kana", "sex", "birth_date", "birth_place"]),
            ("父母(この戸籍に記録されている方)", ["father", "mother"]),
            ("届出", NOTIFIER_FIELDS),
        ],
    )
    return _notification_page(request, form, page, koseki=koseki, member=None, call=call)


def _notifier(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "notified_on": data["notified_on"],
        "notifier_name": data["notifier_name"],
        "notifier_capacity": data["notifier_capacity"],
    }


@require_http_methods(["GET", "POST"])
@clerk_only
def marriage_view(request: HttpRequest, pk: int) -> HttpResponse:
    """婚姻届 (戸籍法 第74条): the other party is found in this town's registers or typed in (本町に戸籍がない方)."""
    member = _member_or_404(pk)
    candidates = [
        m
        for m in _candidates(request, request.POST.get("spouse_query", ""), label="婚姻届", exclude=member)
        if m.sex != member.sex  # 民法 第739条 as the 婚姻届 is drawn: 夫 and 妻
    ]
    husband_side = member.sex == "1"
    form = _bound_or_shown(
        request,
        MarriageForm,
        candidates=candidates,
        initial=_initial(
            notifier_capacity="夫妻", surname_of="husband", spouse_source="member", married_on=to_wareki(local_today())
        ),
    )

    def call(data: dict[str, Any]) -> Notification:
        other: Member | services.OutsidePerson | None
        if data["spouse_source"] == "member":
            other = _chosen_member(data["spouse"])
            if other is None:
                raise ApplicationError("選んだ相手方は既に除籍されています。もう一度検索してください。")
        else:
            other = services.OutsidePerson(sex="2" if husband_side else "1", **_outside(form))
        husband, wife = (member, other) if husband_side else (other, member)
        return services.record_marriage(
            actor=_actor(request),
            husband=husband,
            wife=wife,
            surname_of=data["surname_of"],
            married_on=data["married_on"],
            new_honseki=data["new_honseki"],
            **_notifier(data),
        )

    page = NotificationPage(
        title="婚姻届",
        lead=f"{member.full_name}さん({'夫' if husband_side else '妻'})の婚姻を記載します。"
        "夫婦について新しい戸籍を編製します。ただし、氏を称する方が既に筆頭者であるときは、"
        "その戸籍に相手方が入籍します(戸籍法 第16条)。",
        submit="婚姻届を受理する",
        sections=[
            ("婚姻の内容", ["married_on", "surname_of", "new_honseki"]),
            ("相手方", ["spouse_source", "spouse_query", "spouse"]),
            (
                "相手方(本町の戸籍にない方の場合に入力)",
                [n for n in MarriageForm.base_fields if n.startswith("outside_")],
            ),
            ("届出", NOTIFIER_FIELDS),
        ],
        find_fields=["spouse"],
    )
    return _notification_page(request, form, page, koseki=member.koseki, member=member, call=call)


def _outside(form: forms.Form) -> dict[str, Any]:
    assert isinstance(form, MarriageForm)
    return form.outside_values()


@require_http_methods(["GET", "POST"])
@clerk_only
def divorce_view(request: HttpRequest, pk: int) -> HttpResponse:
    """協議離婚届 (戸籍法 第76条): the spouse is the one recorded with this member in the register."""
    member = _member_or_404(pk)
    spouse = _spouse_of(member)
    form = _bound_or_shown(
        request, DivorceForm, initial=_initial(notifier_capacity="夫妻", divorced_on=to_wareki(local_today()))
    )

    def call(data: dict[str, Any]) -> Notification:
        if spouse is None:
            raise ApplicationError(
                "この方の配偶者が本町の戸籍に見つかりません。離婚届は配偶者と同じ戸籍に記載されている夫婦について処理します。"
            )
        husband, wife = (member, spouse) if member.spouse_role == "夫" else (spouse, member)
        return services.record_divorce(
            actor=_actor(request),
            husband=husband,
            wife=wife,
            divorced_on=data["divorced_on"],
            new_koseki=data["new_koseki"],
            new_honseki=data["new_honseki"],
            **_notifier(data),
        )

    partner = f"(配偶者: {spouse.full_name})" if spouse is not None else "(配偶者が見つかりません)"
    page = NotificationPage(
        title="離婚届",
        lead=f"{member.full_name}さん{partner}の協議離婚を記載します。婚姻の際に氏を改めた方は婚姻前の戸籍に戻ります。"
        "その戸籍が除籍されているとき、または申出があるときは新しい戸籍を編製します(戸籍法 第19条)。",
        submit="離婚届を受理する",
        sections=[("離婚の内容", ["divorced_on", "new_koseki", "new_honseki"]), ("届出", NOTIFIER_FIELDS)],
    )
    return _notification_page(request, form, page, koseki=member.koseki, member=member, call=call)


def _spouse_of(member: Member) -> Member | None:
    if member.spouse_key is None:
        return None
    appearances = selectors.members_by_person_key(member.spouse_key)
    same_register = [m for m in appearances if m.koseki_id == member.koseki_id and not m.is_removed]
    current = same_register or [m for m in appearances if not m.is_removed]
    return current[0] if current else None


@require_http_methods(["GET", "POST"])
@clerk_only
def death_view(request: HttpRequest, pk: int) -> HttpResponse:
    """死亡届 (戸籍法 第86条): the person is marked 除籍."""
    member = _member_or_404(pk)
    form = _bound_or_shown(request, DeathForm, initial=_initial())

    def call(data: dict[str, Any]) -> Notification:
        return services.record_death(
            actor=_actor(request),
            member=member,
            died_on=data["died_on"],
            death_place=data["death_place"],
            **_notifier(data),
        )

    page = NotificationPage(
        title="死亡届",
        lead=f"{member.full_name}さんの死亡を記載し、除籍します。最後の一人が除籍されると戸籍は除籍簿になります。",
        submit="死亡届を受理する",
        sections=[("死亡の内容", ["died_on", "death_place"]), ("届出", NOTIFIER_FIELDS)],
    )
    return _notification_page(request, form, page, koseki=member.koseki, member=member, call=call)


@require_http_methods(["GET", "POST"])
@clerk_only
def split_view(request: HttpRequest, pk: int) -> HttpResponse:
    """分籍届 (戸籍法 第21条): an adult who is neither 筆頭者 nor spouse gets a new koseki."""
    member = _member_or_404(pk)
    form = _bound_or_shown(request, SplitForm, initial=_initial(notifier_name=member.full_name))

    def call(data: dict[str, Any]) -> Notification:
        return services.record_split(
            actor=_actor(request), member=member, new_honseki=data["new_honseki"], **_notifier(data)
        )

    page = NotificationPage(
        title="分籍届",
        lead=f"{member.full_name}さんについて新しい戸籍を編製します。分籍できるのは成年(18歳以上)で、筆頭者・配偶者でない方です"
        "(戸籍法 第21条)。",
        submit="分籍届を受理する",
        sections=[("分籍の内容", ["new_honseki"]), ("届出", NOTIFIER_FIELDS)],
    )
    return _notification_page(request, form, page, koseki=member.koseki, member=member, call=call)


def _other_towns() -> list[Municipality]:
    here = current_schema()
    return [t for t in fuhyo.active_towns() if t.schema_name != here]


@require_http_methods(["GET", "POST"])
@clerk_only
def transfer_view(request: HttpRequest, pk: int) -> HttpResponse:
    """転籍届 (戸籍法 第108条): within this town, or to the other town of the platform (the register moves)."""
    koseki = get_object_or_404(Koseki, pk=pk)
    here = Municipality.objects.filter(schema_name=current_schema()).first()
    towns = [("", f"{here.name if here else 'この町'}(管内転籍)")] + [
        (t.schema_name, f"{t.name}(管外転籍)") for t in _other_towns()
    ]
    form = _bound_or_shown(request, TransferForm, towns=towns, initial=_initial(notifier_capacity="筆頭者"))

    def call(data: dict[str, Any]) -> Notification:
        return services.record_transfer(
            actor=_actor(request),
            koseki=koseki,
            new_honseki=data["new_honseki"],
            target_schema=data["target_schema"] or None,
            **_notifier(data),
        )

    page = NotificationPage(
        title="転籍届",
        lead="本籍を移します。共同システムの他の町への転籍では、戸籍がその町に移り、この町の戸籍は除籍されます"
        "(戸籍法 第108条)。",
        submit="転籍届を受理する",
        sections=[("転籍の内容", ["new_honseki", "target_schema"]), ("届出", NOTIFIER_FIELDS)],
    )
    return _notification_page(request, form, page, koseki=koseki, member=None, call=call)


@require_http_methods(["GET", "POST"])
@clerk_only
def adoption_view(request: HttpRequest, pk: int) -> HttpResponse:
    """養子縁組届 (戸籍法 第66条): this member is the adoptee; the adoptive parents are found in the registers."""
    member = _member_or_404(pk)
    candidates = _candidates(request, request.POST.get("adoptive_father_query", ""), label="養子縁組届", exclude=member)
    form = _bound_or_shown(
        request,
        AdoptionForm,
        candidates=candidates,
        initial=_initial(notifier_capacity="養親及び養子", adopted_on=to_wareki(local_today())),
    )

    def call(data: dict[str, Any]) -> Notification:
        return services.record_adoption(
            actor=_actor(request),
            adoptee=member,
            adoptive_father=_chosen_member(data["adoptive_father"]),
            adoptive_mother=_chosen_member(data["adoptive_mother"]),
            adopted_on=data["adopted_on"],
            **_notifier(data),
        )

    page = NotificationPage(
        title="養子縁組届",
        lead=f"{member.full_name}さんを養子とする縁組を記載します。養親は本町の戸籍から検索して選んでください"
        "(民法 第792条〜第795条、戸籍法 第18条第3項)。",
        submit="養子縁組届を受理する",
        sections=[
            ("縁組の内容", ["adopted_on"]),
            ("養親", ["adoptive_father_query", "adoptive_father", "adoptive_mother"]),
            ("届出", NOTIFIER_FIELDS),
        ],
        find_fields=["adoptive_father"],
    )
    return _notification_page(request, form, page, koseki=member.koseki, member=member, call=call)


@require_http_methods(["GET", "POST"])
@clerk_only
def furigana_view(request: HttpRequest, pk: int) -> HttpResponse:
    """氏の振り仮名の届 / 名の振り仮名の届 (令和5年法律第48号)."""
    member = _member_or_404(pk)
    # Only what is typed is filed: a 氏 and a 名 の振り仮名の届 have different filers, so nothing is prefilled.
    form = _bound_or_shown(request, FuriganaForm, initial=_initial(notifier_name=member.full_name))

    def call(data: dict[str, Any]) -> Notification:
        return services.record_furigana(
            actor=_actor(request),
            member=member,
            family_name_kana=data["family_name_kana"],
            given_name_kana=data["given_name_kana"],
            **_notifier(data),
        )

    status = member.get_furigana_status_display() if member.furigana_status else "未記載"
    current = f"{member.family_name_kana or '—'} {member.given_name_kana or '—'}({status})"
    page = NotificationPage(
        title="氏名の振り仮名の届",
        lead=f"{member.full_name}さんの氏名の振り仮名を記載します。氏の振り仮名の届は筆頭者(除籍されているときは配偶者、"
        f"その次は子)が、名の振り仮名の届は本人(15歳未満は法定代理人)が届け出ます。現在の振り仮名: {current}。"
        "届け出る振り仮名だけを入力してください。",
        submit="振り仮名の届を受理する",
        sections=[("振り仮名(カタカナ)", ["family_name_kana", "given_name_kana"]), ("届出", NOTIFIER_FIELDS)],
    )
    return _notification_page(request, form, page, koseki=member.koseki, member=member, call=call)


@require_http_methods(["GET", "POST"])
@clerk_only
def correction_view(request: HttpRequest, pk: int) -> HttpResponse:
    """職権訂正 (戸籍法 第24条第2項): nothing is overwritten; the entry stays, struck (消除) with its reason."""
    entry = get_object_or_404(Entry.objects.select_related("koseki", "member"), pk=pk)
    initial = {
        "mode": "replace",
        "fields_text": "\n".join(f"{label}:{value}" for label, value in _entry_rows([entry])[0].fields),
    }
    form = CorrectionForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.correct_entry(
                    actor=_actor(request),
                    entry=entry,
                    reason=form.cleaned_data["reason"],
                    fields=form.cleaned_data["pairs"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    f"{entry.get_kind_display()}の記録事項を職権で訂正しました(元の記録事項は消除して残しています)。",
                )
                return redirect("koseki:register", pk=entry.koseki_id)
    context = {"form": form, "entry": entry, "row": _entry_rows([entry])[0], "koseki": entry.koseki}
    return render(request, "koseki/correction.html", context, status=status)


# --- 証明書 ------------------------------------------------------------------------------------------


def _certificate_form(request: HttpRequest, koseki: Koseki, members: Sequence[Member]) -> CertificateForm:
    data = request.POST if request.method == "POST" else None
    return CertificateForm(data, members=members, closed=koseki.is_closed, initial={"purpose": _purpose(request)})


def _chosen(members: Sequence[Member], ids: Iterable[Any]) -> list[Member]:
    wanted = {str(i) for i in ids}
    return [m for m in members if str(m.pk) in wanted]


@require_http_methods(["GET", "POST"])
@clerk_only
def certificate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Two steps: 確認 with the 見本 (PDF marked 見本, nothing recorded), then 発行, which returns the PDF."""
    koseki = get_object_or_404(Koseki, pk=pk)
    members = list(Member.objects.filter(koseki=koseki).order_by("position"))
    form = _certificate_form(request, koseki, members)
    context: dict[str, Any] = {"form": form, "koseki": koseki}
    if request.method != "POST" or request.POST.get("step") == "edit":
        return render(request, "koseki/certificate.html", context)
    if not form.is_valid():
        return render(request, "koseki/certificate.html", context, status=400)
    data = form.cleaned_data
    kind = data["kind"]
    # 全部事項 covers everyone; a 個人事項証明書 (and optionally a 附票の写し) only the chosen persons.
    chosen = _chosen(members, data["members"]) if kind in (CertificateKind.INDIVIDUAL, CertificateKind.FUHYO) else []
    if request.POST.get("step") != "issue":
        # The 見本 is fetched by the <iframe> with GET: what to print stays in the session, not in the URL.
        request.session[PREVIEW_SESSION_KEY] = {
            **request.session.get(PREVIEW_SESSION_KEY, {}),
            str(koseki.pk): {"kind": kind, "members": [m.pk for m in chosen], "purpose": data["purpose"]},
        }
        context.update(
            confirm=True,
            chosen=chosen,
            kind_label=CertificateKind(kind).label,
            relation_label=RequesterRelation(data["requester_relation"]).label,
            preview_url=reverse("koseki:certificate_preview", args=[koseki.pk]),
        )
        return render(request, "koseki/certificate.html", context)
    try:
        issued = certificates.issue_certificate(
            actor=_actor(request),
            koseki=koseki,
            kind=kind,
            members=chosen or None,
            requester_name=data["requester_name"],
            requester_relation=data["requester_relation"],
            id_document=data["id_document"],
            purpose=data["purpose"],
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return render(request, "koseki/certificate.html", context, status=exc.status_code)
    _forget_preview(request, koseki.pk)
    return _pdf_download(issued.pdf, issued.issuance)


def _pdf_download(document: bytes, issuance: CertificateIssuance) -> HttpResponse:
    response = HttpResponse(document, content_type="application/pdf")
    # An ASCII file name: the 発行番号 is Japanese, which not every browser saves well.
    response["Content-Disposition"] = f'attachment; filename="koseki-{issuance.year}-{issuance.serial:06d}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def _forget_preview(request: HttpRequest, koseki_id: int) -> None:
    stored = dict(request.session.get(PREVIEW_SESSION_KEY, {}))
    if stored.pop(str(koseki_id), None) is not None:
        request.session[PREVIEW_SESSION_KEY] = stored


@require_http_methods(["GET"])
@clerk_only
@xframe_options_sameorigin
def certificate_preview_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The 見本 PDF of the certificate being confirmed (no 発行番号, no code, no 交付履歴 row)."""
    koseki = get_object_or_404(Koseki, pk=pk)
    stored = request.session.get(PREVIEW_SESSION_KEY, {}).get(str(koseki.pk))
    if not isinstance(stored, dict):
        raise Http404("確認中の証明書がありません。")
    chosen = list(Member.objects.filter(koseki=koseki, pk__in=stored.get("members", [])).order_by("position"))
    try:
        document = certificates.preview_certificate(
            actor=_actor(request),
            koseki=koseki,
            kind=str(stored.get("kind", "")),
            members=chosen or None,
            purpose=str(stored.get("purpose", "")),
        )
    except ApplicationError as exc:
        _forget_preview(request, koseki.pk)
        return HttpResponse(exc.message, status=exc.status_code, content_type="text/plain; charset=utf-8")
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="koseki-preview.pdf"'
    response["Cache-Control"] = "no-store"
    # What django-csp's csp_replace decorator sets (its typing does not allow a view with URL arguments).
    setattr(response, "_csp_replace", PREVIEW_CSP)  # noqa: B010
    return response


@require_http_methods(["GET"])
def issuance_list_view(request: HttpRequest) -> HttpResponse:
    """今日の交付履歴 with the fees per kind: the counter's daily cash report (窓口の現金日計)."""
    today = local_today()
    summary = certificates.daily_issuances(day=today)
    return render(
        request,
        "koseki/issuances.html",
        {
            "today": today,
            "issuances": CertificateIssuance.objects.filter(issued_at__date=today),
            "summary": summary,
            "nav": "issuances",
        },
    )


# --- 広域交付 ----------------------------------------------------------------------------------------


WIDE_AREA_SESSION_KEY = "koseki.wide_area_registers"


@require_http_methods(["GET", "POST"])
@clerk_only
def wide_area_view(request: HttpRequest) -> HttpResponse:
    """広域交付 (戸籍法 第120条の2): find the register in the other town, then issue to an entitled requester.

    「戸籍を検索」 runs the audited cross-town search; what it found is kept in the session (not in the form, so
    the clerk cannot post a register number that was never found), and 「交付する」 issues one of them.
    """
    towns = [(t.schema_name, t.name) for t in _other_towns()]
    issuing = request.method == "POST" and request.POST.get("step") == "issue"
    registers = _found_registers(request) if issuing else None
    if request.method == "POST" and registers is None:
        search = WideAreaSearchForm(request.POST, towns=towns)
        if search.is_valid():
            try:
                registers = wide_area.find_wide_area_registers(
                    actor=_actor(request),
                    holding_schema=search.cleaned_data["holding_schema"],
                    honseki=search.cleaned_data["honseki"],
                    head_name=search.cleaned_data["head_name"],
                    purpose=search.cleaned_data["purpose"],
                )
            except ApplicationError as exc:
                search.add_error(None, exc.message)
            else:
                request.session[WIDE_AREA_SESSION_KEY] = [asdict(r) for r in registers]
                issuing = False
        if registers is None:
            return _wide_area_page(request, search, None)
    if registers is None:
        request.session.pop(WIDE_AREA_SESSION_KEY, None)
        return _wide_area_page(request, WideAreaSearchForm(towns=towns), None)
    found = {r.koseki_number: r for r in registers}
    choices = [(number, _register_label(r)) for number, r in found.items()]
    if not issuing:
        return _wide_area_page(
            request, WideAreaIssueForm(initial=request.POST.dict(), towns=towns, registers=choices), registers
        )
    form = WideAreaIssueForm(request.POST, towns=towns, registers=choices)
    if form.is_valid():
        data = form.cleaned_data
        register = found[data["koseki_number"]]
        try:
            issued = wide_area.issue_wide_area_certificate(
                actor=_actor(request),
                holding_schema=register.holding_schema,
                koseki_number=register.koseki_number,
                requester=wide_area.RequesterIdentity(
                    family_name=data["requester_family_name"],
                    given_name=data["requester_given_name"],
                    birth_date=data["requester_birth_date"],
                ),
                requester_relation=data["requester_relation"],
                id_document=data["id_document"],
                purpose=data["purpose"],
                # The kind follows the register: 除籍全部事項証明書 for a closed one (fee 750 yen).
                kind=CertificateKind.CLOSED_FULL if register.closed else CertificateKind.FULL,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return _wide_area_page(request, form, registers, status=exc.status_code)
        request.session.pop(WIDE_AREA_SESSION_KEY, None)
        return _pdf_download(issued.pdf, issued.issuance)
    return _wide_area_page(request, form, registers)


def _found_registers(request: HttpRequest) -> list[wide_area.WideAreaRegister] | None:
    stored = request.session.get(WIDE_AREA_SESSION_KEY)
    if not isinstance(stored, list):
        return None
    try:
        return [wide_area.WideAreaRegister(**item) for item in stored]
    except TypeError:
        return None


def _wide_area_page(
    request: HttpRequest,
    form: forms.Form,
    registers: list[wide_area.WideAreaRegister] | None,
    *,
    status: int | None = None,
) -> HttpResponse:
    if status is None:
        status = 400 if request.method == "POST" and form.is_bound and form.errors else 200
    context = {"form": form, "registers": registers, "nav": "wide_area"}
    return render(request, "koseki/wide_area.html", context, status=status)


def _register_label(register: wide_area.WideAreaRegister) -> str:
    kind = CertificateKind.CLOSED_FULL if register.closed else CertificateKind.FULL
    return f"{register.town_name} {register.honseki} 筆頭者 {register.head_name}({CertificateKind(kind).label})"
