"""The 届出 pages added for 認知, 養子離縁, 婚氏続称, 入籍, 氏・名の変更, 外国人との婚姻による氏の変更, 帰化・国籍取得
and the 不受理申出. Each is the same life as the others in ``koseki.views.filing``: a form, one service
call, the register the 届出 ended in (docs/domain/koseki.md names the rule each service applies)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from common.dates import local_today
from common.wareki import to_wareki
from koseki import selectors, services
from koseki.errors import KosekiValidationError
from koseki.forms import (
    AcknowledgmentForm,
    ChildSurnameForm,
    DissolutionForm,
    ForeignSurnameForm,
    GivenNameChangeForm,
    MaritalSurnameForm,
    NaturalizationForm,
    NonAcceptanceForm,
    NonAcceptanceWithdrawalForm,
    SurnameChangeForm,
)
from koseki.models import Member, Notification
from koseki.views.common import clerk_only, koseki_or_404, personal_data_page
from koseki.views.filing import (
    MemberFiling,
    NotificationPage,
    bound_or_shown,
    chosen_member,
    initial_values,
    member_notification,
    notification_page,
    party_candidates,
)

_APPEARED = "appeared_in_person"


@member_notification(intrinsic="認知届の受付", form=AcknowledgmentForm)
def acknowledgment_view(request: HttpRequest, child: Member, purpose: str) -> MemberFiling:
    """認知届 (戸籍法 第60条): this member is the child; the father is found in this town's registers."""
    candidates = party_candidates(
        request, request.POST.get("father_query", ""), label="認知届", purpose=purpose, exclude=child
    )

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        father = chosen_member(data["father"])
        if father is None:
            raise KosekiValidationError("認知をする父を検索して選んでください。")
        return services.record_acknowledgment(
            child=child,
            father=father,
            judgment_on=data["judgment_on"],
            child_consent=data["child_consent"],
            appeared_in_person=data[_APPEARED],
            **filing,
        )

    page = NotificationPage(
        title="認知届",
        lead=f"{child.full_name}さんを子とする認知を記載します。父の記載のない子に限ります。子の氏と戸籍は変わりません"
        "(父の氏を称するには入籍届、民法 第791条)。",
        submit="認知届を受理する",
        sections=[
            ("認知をする父", ["father_query", "father"]),
            ("認知の内容", ["judgment_on", "child_consent", _APPEARED]),
        ],
        find_fields=["father"],
    )
    return MemberFiling(
        page, call, initial=initial_values(notifier_capacity="父"), form_kwargs={"candidates": candidates}
    )


@member_notification(intrinsic="養子離縁届の受付", form=DissolutionForm)
def dissolution_view(request: HttpRequest, adoptee: Member, purpose: str) -> MemberFiling:
    """養子離縁届 (戸籍法 第70条): this member is the adoptee."""

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        return services.record_dissolution(
            adoptee=adoptee,
            dissolved_on=data["dissolved_on"],
            judgment_on=data["judgment_on"],
            new_koseki=data["new_koseki"],
            new_honseki=data["new_honseki"],
            appeared_in_person=data[_APPEARED],
            **filing,
        )

    page = NotificationPage(
        title="養子離縁届",
        lead=f"{adoptee.full_name}さんの養子縁組を解消します。養親の氏を称していた養子は縁組前の氏に復し、縁組前の戸籍に戻ります"
        "(民法 第816条、戸籍法 第19条)。",
        submit="養子離縁届を受理する",
        sections=[("離縁の内容", ["dissolved_on", "judgment_on", "new_koseki", "new_honseki", _APPEARED])],
    )
    return MemberFiling(
        page, call, initial=initial_values(notifier_capacity="養親及び養子", dissolved_on=to_wareki(local_today()))
    )


@member_notification(intrinsic="離婚の際に称していた氏を称する届の受付", form=MaritalSurnameForm)
def marital_surname_view(request: HttpRequest, person: Member, purpose: str) -> MemberFiling:
    """離婚の際に称していた氏を称する届 (戸籍法 第77条の2)."""

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        return services.record_marital_surname(member=person, **filing)

    page = NotificationPage(
        title="離婚の際に称していた氏を称する届",
        lead=f"{person.full_name}さんが離婚の際に称していた氏を称します。"
        "離婚の日から3か月以内に限ります(民法 第767条第2項)。"
        "ほかに在籍者がいる戸籍では、新しい戸籍を編製します(戸籍法 第19条第3項)。",
        submit="届を受理する",
        sections=[],
    )
    return MemberFiling(page, call)


@member_notification(intrinsic="入籍届の受付", form=ChildSurnameForm)
def child_surname_view(request: HttpRequest, child: Member, purpose: str) -> MemberFiling:
    """入籍届 (民法 第791条): the parent is the child's recorded father or mother."""
    parents = selectors.current_parents(child)

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        parent = next(m for m in parents if str(m.pk) == data["parent"])
        return services.record_child_surname(
            child=child, parent=parent, court_permission_on=data["court_permission_on"], **filing
        )

    page = NotificationPage(
        title="入籍届(父又は母の氏を称する入籍)",
        lead=f"{child.full_name}さんが父又は母の氏を称し、その戸籍に入ります。15歳未満の子は法定代理人が届け出ます"
        "(民法 第791条)。",
        submit="入籍届を受理する",
        sections=[("入籍の内容", ["parent", "court_permission_on"])],
    )
    return MemberFiling(
        page, call, initial=initial_values(notifier_capacity="法定代理人"), form_kwargs={"parents": parents}
    )


@member_notification(intrinsic="不受理申出の受付", form=NonAcceptanceForm)
def non_acceptance_view(request: HttpRequest, person: Member, purpose: str) -> MemberFiling:
    """不受理申出 (戸籍法 第27条の2第3項): the person, in person."""

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        request_row = services.record_non_acceptance(member=person, kinds=data["kinds"], **filing)
        return Notification.objects.get(pk=request_row.notification_id)

    page = NotificationPage(
        title="不受理申出",
        lead=f"{person.full_name}さんの申出により、選んだ届出は、本人が窓口に出頭して届け出た場合を除き受理しません"
        "(戸籍法 第27条の2第3項)。申出人本人が出頭し、本人確認書類で確認してください。",
        submit="不受理申出を受け付ける",
        sections=[("申出の内容", ["kinds"])],
    )
    return MemberFiling(page, call)


@member_notification(intrinsic="不受理申出の取下げの受付", form=NonAcceptanceWithdrawalForm)
def non_acceptance_withdrawal_view(request: HttpRequest, person: Member, purpose: str) -> MemberFiling:
    """不受理申出の取下げ: the 申出 stays on record, no longer in force."""
    in_force = [r for r in services.non_acceptance.requests_of(person) if r.withdrawn_on is None]

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        chosen = next(r for r in in_force if str(r.pk) == data["request"])
        services.withdraw_non_acceptance(actor=filing["actor"], request=chosen, withdrawn_on=filing["notified_on"])
        return Notification.objects.get(pk=chosen.notification_id)

    page = NotificationPage(
        title="不受理申出の取下げ",
        lead=f"{person.full_name}さんの不受理申出を取り下げます。申出人本人が出頭し、本人確認書類で確認してください。"
        f"現在有効な申出: {len(in_force)}件。",
        submit="取下げを受け付ける",
        sections=[("取下げの内容", ["request"])],
    )
    return MemberFiling(page, call, form_kwargs={"requests": in_force})


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="氏の変更届の受付")
def surname_change_view(request: HttpRequest, public_id: UUID, *, purpose: str) -> HttpResponse:
    """氏の変更届 (戸籍法 第107条第1項)."""
    koseki = koseki_or_404(public_id)
    form = bound_or_shown(request, SurnameChangeForm, initial=initial_values(notifier_capacity="筆頭者及び配偶者"))

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        return services.record_surname_change(
            koseki=koseki,
            family_name=data["family_name"],
            family_name_kana=data["family_name_kana"],
            court_permission_on=data["court_permission_on"],
            **filing,
        )

    page = NotificationPage(
        title="氏の変更届",
        lead="家庭裁判所の許可を得て、この戸籍の氏を変更します。戸籍に在る全員の氏が変わります(戸籍法 第107条第1項)。",
        submit="氏の変更届を受理する",
        sections=[("変更の内容", ["family_name", "family_name_kana", "court_permission_on"])],
    )
    return notification_page(request, form, page, koseki=koseki, member=None, call=call, purpose=purpose)


@member_notification(intrinsic="名の変更届の受付", form=GivenNameChangeForm)
def given_name_change_view(request: HttpRequest, person: Member, purpose: str) -> MemberFiling:
    """名の変更届 (戸籍法 第107条の2)."""

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        return services.record_given_name_change(
            member=person,
            given_name=data["given_name"],
            given_name_kana=data["given_name_kana"],
            court_permission_on=data["court_permission_on"],
            **filing,
        )

    page = NotificationPage(
        title="名の変更届",
        lead=f"家庭裁判所の許可を得て、{person.full_name}さんの名を変更します(戸籍法 第107条の2)。",
        submit="名の変更届を受理する",
        sections=[("変更の内容", ["given_name", "given_name_kana", "court_permission_on"])],
    )
    return MemberFiling(page, call)


@member_notification(intrinsic="外国人との婚姻による氏の変更届の受付", form=ForeignSurnameForm)
def foreign_surname_view(request: HttpRequest, person: Member, purpose: str) -> MemberFiling:
    """外国人との婚姻による氏の変更届 (戸籍法 第107条第2項)."""

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        return services.record_foreign_spouse_surname(
            member=person, family_name=data["family_name"], family_name_kana=data["family_name_kana"], **filing
        )

    page = NotificationPage(
        title="外国人との婚姻による氏の変更届",
        lead=f"{person.full_name}さんの氏を外国人配偶者の称している氏に変更します。婚姻の日から6か月以内は家庭裁判所の許可が"
        "不要です(戸籍法 第107条第2項)。",
        submit="氏の変更届を受理する",
        sections=[("変更の内容", ["family_name", "family_name_kana"])],
    )
    return MemberFiling(page, call)


@require_http_methods(["GET", "POST"])
@clerk_only
def naturalization_view(request: HttpRequest) -> HttpResponse:
    """帰化届 (戸籍法 第102条の2) / 国籍取得届 (第102条): no register yet; the new one is compiled. The form shows
    nobody's details (the person is in no register), so it is not behind the purpose gate; the service audits."""
    form = bound_or_shown(request, NaturalizationForm, initial=initial_values(kind="naturalization"))

    def call(data: dict[str, Any], filing: dict[str, Any]) -> Notification:
        values = {
            name: data[name]
            for name in (
                "family_name",
                "given_name",
                "family_name_kana",
                "given_name_kana",
                "birth_date",
                "birth_place",
                "sex",
                "father_name",
                "mother_name",
                "relationship",
                "former_nationality",
                "former_name",
                "new_honseki",
            )
        }
        if data["kind"] == "nationality":
            return services.record_nationality_acquisition(acquired_on=data["became_on"], **values, **filing)
        return services.record_naturalization(naturalized_on=data["became_on"], **values, **filing)

    page = NotificationPage(
        title="帰化届・国籍取得届",
        lead="日本の国籍を取得した方について、新しい本籍に戸籍を編製します(戸籍法 第102条・第102条の2)。"
        "氏名の振り仮名も記載します。",
        submit="届を受理する",
        sections=[
            ("届出の種類", ["kind", "became_on"]),
            (
                "本人",
                [
                    "family_name",
                    "given_name",
                    "family_name_kana",
                    "given_name_kana",
                    "birth_date",
                    "birth_place",
                    "sex",
                    "father_name",
                    "mother_name",
                    "relationship",
                ],
            ),
            ("従前の国籍・氏名と新本籍", ["former_nationality", "former_name", "new_honseki"]),
        ],
    )
    return notification_page(
        request, form, page, koseki=None, member=None, call=call, purpose="帰化届・国籍取得届の受付"
    )
