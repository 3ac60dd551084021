"""届出 (出生, 婚姻, 離婚, 死亡, 分籍, 転籍, 養子縁組, 振り仮名) and 職権訂正.

Every 届出 page has the same life: a form (with a party picker where the other party is searched in this town's
registers), one service call filed by the clerk with the 届出日・届出人・資格, and on success the register the
届出 ended in. ``notification_page`` runs that life; a 届出 about one member is declared with ``member_notification``
(its decorated function only says what the 届出 records, as a ``MemberFiling``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from common.dates import local_today
from common.errors import ApplicationError
from common.tenancy import current_schema
from common.wareki import to_wareki
from koseki import selectors, services
from koseki.forms import (
    AdoptionForm,
    BirthForm,
    CorrectionForm,
    DeathForm,
    DivorceForm,
    FuriganaForm,
    MarriageForm,
    SplitForm,
    TransferForm,
)
from koseki.models import Entry, Member, Notification
from koseki.views.common import (
    clerk_only,
    entry_rows,
    koseki_or_404,
    member_or_404,
    other_towns,
    personal_data_page,
    request_actor,
)
from koseki.views.filing import (
    MemberFiling,
    NotificationPage,
    bound_or_shown,
    chosen_member,
    initial_values,
    member_notification,
    named_member,
    notification_page,
    party_candidates,
)
from tenants.models import Municipality


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="出生届の受付")
def birth_view(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
    """出生届 (戸籍法 第49条): the parents are chosen among this register's members."""
    koseki = koseki_or_404(public_id)
    # Who may be named (a father who died before the birth, a former husband presumed the father) is the service's rule.
    parents = services.birth_parent_candidates(koseki=koseki)
    form = bound_or_shown(request, BirthForm, parents=parents, initial=initial_values(notifier_capacity="父"))

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        return services.record_birth(
            mother=named_member(data["mother"]),
            father=named_member(data["father"]),
            conception_certificate=data["conception_certificate"],
            born_abroad=data["born_abroad"],
            given_name=data["given_name"],
            given_name_kana=data["given_name_kana"],
            family_name_kana=data["family_name_kana"],
            sex=data["sex"],
            birth_date=data["birth_date"],
            birth_place=data["birth_place"],
            **filing,
        )

    page = NotificationPage(
        title="出生届",
        lead="子は父母の氏を称して父母の戸籍に入ります(戸籍法 第18条)。筆頭者・配偶者以外の方に子が生まれたときは、"
        "その方について新しい戸籍を編製します(第17条)。令和7年5月26日以後の出生は振り仮名が必要です。",
        submit="出生届を受理する",
        sections=[
            (
                "子",
                [
                    "given_name",
                    "given_name_kana",
                    "family_name_kana",
                    "sex",
                    "birth_date",
                    "birth_place",
                    "born_abroad",
                ],
            ),
            ("父母(この戸籍に記録されている方・前夫)", ["father", "mother", "conception_certificate"]),
        ],
    )
    return notification_page(request, form, page, koseki=koseki, member=None, call=call, purpose=purpose)


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="婚姻届の受付")
def marriage_view(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
    """婚姻届 (戸籍法 第74条): the other party is found in this town's registers or typed in (本町に戸籍がない方)."""
    member = member_or_404(public_id)
    candidates = [
        m
        for m in party_candidates(
            request, request.POST.get("spouse_query", ""), label="婚姻届", purpose=purpose, exclude=member
        )
        if m.sex != member.sex  # 民法 第739条 as the 婚姻届 is drawn: 夫 and 妻
    ]
    husband_side = member.sex == "1"
    form = bound_or_shown(
        request,
        MarriageForm,
        candidates=candidates,
        initial=initial_values(
            notifier_capacity="夫妻", surname_of="husband", spouse_source="member", married_on=to_wareki(local_today())
        ),
    )

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        other: Member | services.OutsidePerson | None
        if data["spouse_source"] == "member":
            other = chosen_member(data["spouse"])
            if other is None:
                raise ApplicationError("選んだ相手方は既に除籍されています。もう一度検索してください。")
        else:
            other = services.OutsidePerson(sex="2" if husband_side else "1", **_outside(form))
        husband, wife = (member, other) if husband_side else (other, member)
        return services.record_marriage(
            husband=husband,
            wife=wife,
            surname_of=data["surname_of"],
            married_on=data["married_on"],
            new_honseki=data["new_honseki"],
            appeared_in_person=data["appeared_in_person"],
            **filing,
        )

    page = NotificationPage(
        title="婚姻届",
        lead=f"{member.full_name}さん({'夫' if husband_side else '妻'})の婚姻を記載します。"
        "夫婦について新しい戸籍を編製します。ただし、氏を称する方が既に筆頭者であるときは、"
        "その戸籍に相手方が入籍します(戸籍法 第16条)。",
        submit="婚姻届を受理する",
        sections=[
            ("婚姻の内容", ["married_on", "surname_of", "new_honseki"]),
            ("相手方", ["spouse_source", "spouse_query", "spouse", "appeared_in_person"]),
            (
                "相手方(本町の戸籍にない方の場合に入力)",
                [n for n in MarriageForm.base_fields if n.startswith("outside_")],
            ),
        ],
        find_fields=["spouse"],
    )
    return notification_page(request, form, page, koseki=member.koseki, member=member, call=call, purpose=purpose)


def _outside(form: forms.Form) -> dict[str, Any]:
    assert isinstance(form, MarriageForm)
    return form.outside_values()


@member_notification(intrinsic="離婚届の受付", form=DivorceForm)
def divorce_view(request: HttpRequest, member: Member, purpose: str) -> MemberFiling:
    """協議離婚届 (戸籍法 第76条): the spouse is the one recorded with this member in the register."""
    spouse = _spouse_of(member)

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        if spouse is None and member.spouse_key is not None:
            # A foreign spouse has no register row (戸籍法 第6条): the service finds them in the 婚姻 entry.
            return services.record_foreign_divorce(
                member=member,
                divorced_on=data["divorced_on"],
                appeared_in_person=data["appeared_in_person"],
                **filing,
            )
        if spouse is None:
            raise ApplicationError(
                "この方の配偶者が本町の戸籍に見つかりません。離婚届は配偶者と同じ戸籍に記載されている夫婦について処理します。"
            )
        husband, wife = (member, spouse) if member.spouse_role == "夫" else (spouse, member)
        return services.record_divorce(
            husband=husband,
            wife=wife,
            divorced_on=data["divorced_on"],
            new_koseki=data["new_koseki"],
            new_honseki=data["new_honseki"],
            appeared_in_person=data["appeared_in_person"],
            **filing,
        )

    partner = f"(配偶者: {spouse.full_name})" if spouse is not None else "(配偶者が見つかりません)"
    page = NotificationPage(
        title="離婚届",
        lead=f"{member.full_name}さん{partner}の協議離婚を記載します。婚姻の際に氏を改めた方は婚姻前の戸籍に戻ります。"
        "その戸籍が除籍されているとき、または申出があるときは新しい戸籍を編製します(戸籍法 第19条)。",
        submit="離婚届を受理する",
        sections=[("離婚の内容", ["divorced_on", "new_koseki", "new_honseki", "appeared_in_person"])],
    )
    return MemberFiling(
        page, call, initial=initial_values(notifier_capacity="夫妻", divorced_on=to_wareki(local_today()))
    )


def _spouse_of(member: Member) -> Member | None:
    if member.spouse_key is None:
        return None
    appearances = selectors.members_by_person_key(member.spouse_key)
    same_register = [m for m in appearances if m.koseki_id == member.koseki_id and not m.is_removed]
    current = same_register or [m for m in appearances if not m.is_removed]
    return current[0] if current else None


@member_notification(intrinsic="死亡届の受付", form=DeathForm)
def death_view(request: HttpRequest, member: Member, purpose: str) -> MemberFiling:
    """死亡届 (戸籍法 第86条): the person is marked 除籍."""

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        return services.record_death(
            member=member,
            died_on=data["died_on"],
            death_place=data["death_place"],
            learned_on=data["learned_on"],
            died_abroad=data["died_abroad"],
            **filing,
        )

    page = NotificationPage(
        title="死亡届",
        lead=f"{member.full_name}さんの死亡を記載し、除籍します。最後の一人が除籍されると戸籍は除籍簿になります。",
        submit="死亡届を受理する",
        sections=[("死亡の内容", ["died_on", "death_place", "died_abroad", "learned_on"])],
    )
    return MemberFiling(page, call, initial=initial_values())


@member_notification(intrinsic="分籍届の受付", form=SplitForm)
def split_view(request: HttpRequest, member: Member, purpose: str) -> MemberFiling:
    """分籍届 (戸籍法 第21条): an adult who is neither 筆頭者 nor spouse gets a new koseki."""

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        return services.record_split(member=member, new_honseki=data["new_honseki"], **filing)

    page = NotificationPage(
        title="分籍届",
        lead=f"{member.full_name}さんについて新しい戸籍を編製します。分籍できるのは成年(18歳以上)で、筆頭者・配偶者でない方です"
        "(戸籍法 第21条)。",
        submit="分籍届を受理する",
        sections=[("分籍の内容", ["new_honseki"])],
    )
    return MemberFiling(page, call)


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="転籍届の受付")
def transfer_view(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
    """転籍届 (戸籍法 第108条): within this town, or to the other town of the platform (the register moves)."""
    koseki = koseki_or_404(public_id)
    here = Municipality.objects.filter(schema_name=current_schema()).first()
    towns = [("", f"{here.name if here else 'この町'}(管内転籍)")] + [
        (t.schema_name, f"{t.name}(管外転籍)") for t in other_towns()
    ]
    form = bound_or_shown(request, TransferForm, towns=towns, initial=initial_values(notifier_capacity="筆頭者"))

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        return services.record_transfer(
            koseki=koseki,
            new_honseki=data["new_honseki"],
            target_schema=data["target_schema"] or None,
            **filing,
        )

    page = NotificationPage(
        title="転籍届",
        lead="本籍を移します。共同システムの他の町への転籍では、戸籍がその町に移り、この町の戸籍は除籍されます"
        "(戸籍法 第108条)。",
        submit="転籍届を受理する",
        sections=[("転籍の内容", ["new_honseki", "target_schema"])],
    )
    return notification_page(request, form, page, koseki=koseki, member=None, call=call, purpose=purpose)


@member_notification(intrinsic="養子縁組届の受付", form=AdoptionForm)
def adoption_view(request: HttpRequest, member: Member, purpose: str) -> MemberFiling:
    """養子縁組届 (戸籍法 第66条): this member is the adoptee; the adoptive parents are found in the registers."""
    candidates = party_candidates(
        request, request.POST.get("adoptive_father_query", ""), label="養子縁組届", purpose=purpose, exclude=member
    )

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        return services.record_adoption(
            adoptee=member,
            adoptive_father=chosen_member(data["adoptive_father"]),
            adoptive_mother=chosen_member(data["adoptive_mother"]),
            adopted_on=data["adopted_on"],
            court_permission_on=data["court_permission_on"],
            consenting_proxy=data["consenting_proxy"],
            appeared_in_person=data["appeared_in_person"],
            **filing,
        )

    page = NotificationPage(
        title="養子縁組届",
        lead=f"{member.full_name}さんを養子とする縁組を記載します。養親は本町の戸籍から検索して選んでください"
        "(民法 第792条〜第795条、戸籍法 第18条第3項)。",
        submit="養子縁組届を受理する",
        sections=[
            ("縁組の内容", ["adopted_on", "court_permission_on", "consenting_proxy", "appeared_in_person"]),
            ("養親", ["adoptive_father_query", "adoptive_father", "adoptive_mother"]),
        ],
        find_fields=["adoptive_father"],
    )
    return MemberFiling(
        page,
        call,
        initial=initial_values(notifier_capacity="養親及び養子", adopted_on=to_wareki(local_today())),
        form_kwargs={"candidates": candidates},
    )


@member_notification(intrinsic="振り仮名の届の受付", form=FuriganaForm)
def furigana_view(request: HttpRequest, member: Member, purpose: str) -> MemberFiling:
    """氏の振り仮名の届 / 名の振り仮名の届 (令和5年法律第48号)."""
    # Only what is typed is filed: a 氏 and a 名 の振り仮名の届 have different filers, so nothing is prefilled.

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        return services.record_furigana(
            member=member,
            family_name_kana=data["family_name_kana"],
            given_name_kana=data["given_name_kana"],
            **filing,
        )

    status = member.get_furigana_status_display() if member.furigana_status else "未記載"
    current = f"{member.family_name_kana or '—'} {member.given_name_kana or '—'}({status})"
    page = NotificationPage(
        title="氏名の振り仮名の届",
        lead=f"{member.full_name}さんの氏名の振り仮名を記載します。氏の振り仮名の届は筆頭者(除籍されているときは配偶者、"
        f"その次は子)が、名の振り仮名の届は本人(15歳未満は法定代理人)が届け出ます。現在の振り仮名: {current}。"
        "届け出る振り仮名だけを入力してください。",
        submit="振り仮名の届を受理する",
        sections=[("振り仮名(カタカナ)", ["family_name_kana", "given_name_kana"])],
    )
    return MemberFiling(page, call)


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="職権訂正の処理")
def correction_view(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
    """職権訂正 (戸籍法 第24条第2項): nothing is overwritten; the entry stays, struck (消除) with its reason."""
    entry = get_object_or_404(Entry.objects.select_related("koseki", "member"), public_id=public_id)
    initial = {
        "mode": "replace",
        "fields_text": "\n".join(f"{label}:{value}" for label, value in entry_rows([entry])[0].fields),
    }
    form = CorrectionForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.correct_entry(
                    actor=request_actor(request),
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
                return redirect("koseki:register", public_id=entry.koseki.public_id)
    selectors.view_register_form(
        actor=request_actor(request), koseki=entry.koseki, purpose=purpose, page="職権訂正", member=entry.member
    )
    context = {"form": form, "entry": entry, "row": entry_rows([entry])[0], "koseki": entry.koseki}
    return render(request, "koseki/correction.html", context, status=status)
