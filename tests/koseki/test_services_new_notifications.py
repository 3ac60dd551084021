"""The 届出 added for a counter that goes live: 外国人との婚姻, 認知, 養子離縁, 婚氏続称, 入籍, 帰化・国籍取得,
不受理申出, 氏・名の変更 — what each writes, and the refusals, which write nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from koseki import certificates, services
from koseki.errors import (
    AcknowledgmentInvalid,
    AlreadyMarried,
    MarriageAdoptiveRelatives,
    NameChangeInvalid,
    NonAcceptanceRefused,
    SurnameFilingInvalid,
)
from koseki.models import CertificateKind, CompiledReason, Entry, EntryKind, Koseki, KosekiStatus, Member
from koseki.selectors import get_register
from koseki.services import OutsidePerson
from tenants.models import Person
from tests.koseki.factories import (
    TODAY,
    clerk,
    fields_of,
    in_nakatosa,
    make_koseki,
    member,
    members_of,
    refused,
    single_head,
    yamada_family,
)

pytestmark = pytest.mark.django_db
__all__ = ["clerk", "in_nakatosa"]  # fixtures


MILLER = OutsidePerson(
    family_name="ミラー", given_name="ジョン", birth_date=date(1990, 3, 3), sex="1", nationality="アメリカ合衆国"
)


def entry_text(member: Member, kind: str) -> dict[str, str]:
    return fields_of(Entry.objects.filter(member=member, kind=kind).latest("id"))


# --- 外国人との婚姻 (戸籍法 第16条第3項, 第6条) -------------------------------------------------------------


def test_marrying_a_foreign_national_compiles_a_register_for_the_japanese_spouse(
    in_nakatosa: None, clerk: Person
) -> None:
    family = yamada_family()
    sakura_parents = members_of(family)
    daughter = make_koseki(
        family_name="山田",
        members=[member("太郎", birth_date=date(1960, 1, 1)), member("恵", birth_date=date(1996, 6, 6), sex="2")],
    )
    megumi = members_of(daughter)[1]
    before = Member.objects.count()
    notification = services.record_marriage(
        actor=clerk,
        husband=MILLER,
        wife=megumi,
        surname_of="husband",
        married_on=date(2026, 10, 1),
        notified_on=date(2026, 10, 1),
        new_honseki="高知県高岡郡中土佐町久礼5番地",
    )
    # One row more: her own in the new register. The foreign husband is never a member of any register.
    assert Member.objects.count() == before + 1
    assert not Member.objects.filter(given_name="ジョン").exists()
    register = Koseki.objects.get(number=notification.details["koseki_number"])
    head = members_of(register)[0]
    assert (register.family_name, register.head_given_name) == ("山田", "恵")  # her surname does not change
    assert head.is_head
    assert head.spouse_role == "妻"
    assert entry_text(head, EntryKind.MARRIAGE) == {
        "婚姻日": "令和8年10月1日",
        "配偶者氏名": "ミラー、ジョン",
        "配偶者の国籍": "アメリカ合衆国",
        "配偶者の生年月日": "平成2年3月3日",
        "従前戸籍": f"{daughter.honseki}\u3000山田太郎",
    }
    # A second marriage is refused while this one stands (民法第732条).
    refused(
        AlreadyMarried,
        lambda: services.record_marriage(
            actor=clerk,
            husband=sakura_parents[2],
            wife=head,
            surname_of="husband",
            married_on=TODAY,
            notified_on=TODAY,
        ),
    )


def test_a_head_marrying_a_foreign_national_stays_in_the_register(in_nakatosa: None, clerk: Person) -> None:
    register = single_head("愛", family_name="鈴木", sex="2", given_name_kana="アイ")
    ai = members_of(register)[0]
    notification = services.record_marriage(
        actor=clerk,
        husband=MILLER,
        wife=ai,
        surname_of="husband",
        married_on=date(2026, 10, 1),
        notified_on=date(2026, 10, 1),
    )
    assert notification.details["koseki_number"] == register.number
    assert entry_text(ai, EntryKind.MARRIAGE)["配偶者の国籍"] == "アメリカ合衆国"
    # Her child is presumed her husband's (民法第772条), named as the 婚姻 entry names him.
    birth = services.record_birth(
        actor=clerk,
        mother=Member.objects.get(pk=ai.pk),
        father=None,
        given_name="花",
        given_name_kana="ハナ",
        sex="2",
        birth_date=date(2026, 11, 20),
        birth_place="高知県高知市",
        notified_on=date(2026, 11, 25),
        notifier_name="鈴木愛",
        notifier_capacity="母",
    )
    child = Member.objects.get(pk=birth.details["child_member_id"])
    assert child.father_name == "ミラー、ジョン"
    assert child.koseki_id == register.pk


def test_the_foreign_spouse_s_surname_within_six_months(in_nakatosa: None, clerk: Person) -> None:
    register = single_head("愛", family_name="鈴木", sex="2", given_name_kana="アイ")
    ai = members_of(register)[0]
    services.record_marriage(
        actor=clerk,
        husband=MILLER,
        wife=ai,
        surname_of="husband",
        married_on=date(2026, 6, 1),
        notified_on=date(2026, 6, 1),
    )
    wrong = lambda: services.record_foreign_spouse_surname(  # noqa: E731
        actor=clerk,
        member=Member.objects.get(pk=ai.pk),
        family_name="スミス",
        family_name_kana="スミス",
        notified_on=TODAY,
    )
    assert refused(NameChangeInvalid, wrong).code == "foreign_surname_mismatch"
    services.record_foreign_spouse_surname(
        actor=clerk,
        member=Member.objects.get(pk=ai.pk),
        family_name="ミラー",
        family_name_kana="ミラー",
        notified_on=TODAY,
    )
    register.refresh_from_db()
    assert register.family_name == "ミラー"
    assert Member.objects.get(pk=ai.pk).family_name == "ミラー"
    assert (
        fields_of(Entry.objects.get(koseki=register, member=None, kind=EntryKind.SURNAME_CHANGE))["氏変更の事由"]
        == "戸籍法107条2項の届出"
    )


def test_the_foreign_spouse_s_surname_after_six_months_needs_the_court(in_nakatosa: None, clerk: Person) -> None:
    ai = members_of(single_head("愛", family_name="鈴木", sex="2"))[0]
    services.record_marriage(
        actor=clerk,
        husband=MILLER,
        wife=ai,
        surname_of="husband",
        married_on=date(2026, 5, 1),
        notified_on=date(2026, 5, 1),
    )
    err = refused(
        NameChangeInvalid,
        lambda: services.record_foreign_spouse_surname(
            actor=clerk,
            member=Member.objects.get(pk=ai.pk),
            family_name="ミラー",
            family_name_kana="ミラー",
            notified_on=TODAY,
        ),
    )
    assert err.code == "foreign_surname_too_late"


# --- 認知 -----------------------------------------------------------------------------------------


def _mother_and_child() -> tuple[Member, Member]:
    register = make_koseki(
        family_name="森",
        members=[member("美穂", birth_date=date(1990, 1, 1), sex="2"), member("蓮", birth_date=date(2020, 5, 5))],
    )
    return members_of(register)[0], members_of(register)[1]


def test_acknowledgment_records_the_father_on_both_sides(in_nakatosa: None, clerk: Person) -> None:
    _mother, ren = _mother_and_child()
    ken = members_of(single_head("健", family_name="佐藤", birth_date=date(1988, 1, 1)))[0]
    notification = services.record_acknowledgment(
        actor=clerk, child=ren, father=ken, notified_on=TODAY, notifier_name="佐藤健"
    )
    ren.refresh_from_db()
    assert ren.father_name == "佐藤健"
    assert ren.father_key == ken.person_key
    assert ren.family_name == "森"  # the surname changes only by 入籍 (民法第791条)
    assert entry_text(ren, EntryKind.ACKNOWLEDGMENT)["認知者氏名"] == "佐藤健"
    assert entry_text(ken, EntryKind.ACKNOWLEDGMENT)["認知した子の氏名"] == "森蓮"
    assert notification.is_late is False
    again = refused(
        AcknowledgmentInvalid,
        lambda: services.record_acknowledgment(
            actor=clerk, child=Member.objects.get(pk=ren.pk), father=ken, notified_on=TODAY, notifier_name="佐藤健"
        ),
    )
    assert again.code == "acknowledgment_father_recorded"


def test_an_adult_child_must_consent_and_a_court_acknowledgment_has_ten_days(in_nakatosa: None, clerk: Person) -> None:
    register = make_koseki(
        family_name="森",
        members=[member("美穂", birth_date=date(1970, 1, 1), sex="2"), member("翼", birth_date=date(2000, 5, 5))],
    )
    tsubasa = members_of(register)[1]
    ken = members_of(single_head("健", family_name="佐藤", birth_date=date(1965, 1, 1)))[0]
    err = refused(
        AcknowledgmentInvalid,
        lambda: services.record_acknowledgment(
            actor=clerk, child=tsubasa, father=ken, notified_on=TODAY, notifier_name="佐藤健"
        ),
    )
    assert err.code == "acknowledgment_consent_required"
    notification = services.record_acknowledgment(
        actor=clerk,
        child=tsubasa,
        father=ken,
        notified_on=TODAY,
        notifier_name="森翼",
        notifier_capacity="訴えを提起した者",
        judgment_on=date(2026, 11, 2),
        child_consent=True,
    )
    assert notification.due_on == date(2026, 11, 11)
    assert notification.is_late is True
    assert "認知の裁判確定日" in entry_text(Member.objects.get(pk=tsubasa.pk), EntryKind.ACKNOWLEDGMENT)


# --- 不受理申出 ------------------------------------------------------------------------------------


def test_a_non_acceptance_request_refuses_a_matching_notification(in_nakatosa: None, clerk: Person) -> None:
    _mother, ren = _mother_and_child()
    ken = members_of(single_head("健", family_name="佐藤", birth_date=date(1988, 1, 1)))[0]
    request = services.record_non_acceptance(
        actor=clerk, member=ken, kinds=["acknowledgment", "marriage"], notified_on=date(2026, 11, 1)
    )
    acknowledge = lambda: services.record_acknowledgment(  # noqa: E731
        actor=clerk, child=Member.objects.get(pk=ren.pk), father=ken, notified_on=TODAY, notifier_name="佐藤健"
    )
    refused(NonAcceptanceRefused, acknowledge)
    bride = members_of(single_head("愛", family_name="鈴木", sex="2"))[0]
    refused(
        NonAcceptanceRefused,
        lambda: services.record_marriage(
            actor=clerk, husband=ken, wife=bride, surname_of="husband", married_on=TODAY, notified_on=TODAY
        ),
    )
    # The person came to the counter and filed it in person: accepted (第27条の2第3項).
    services.record_acknowledgment(
        actor=clerk,
        child=Member.objects.get(pk=ren.pk),
        father=ken,
        notified_on=TODAY,
        notifier_name="佐藤健",
        appeared_in_person=True,
    )
    services.withdraw_non_acceptance(actor=clerk, request=request, withdrawn_on=TODAY)
    services.record_marriage(
        actor=clerk, husband=ken, wife=bride, surname_of="husband", married_on=TODAY, notified_on=TODAY
    )


# --- 養子離縁 --------------------------------------------------------------------------------------


def test_dissolution_returns_the_adoptee_to_the_former_register_and_name(in_nakatosa: None, clerk: Person) -> None:
    adopters = make_koseki(
        family_name="中村",
        family_name_kana="ナカムラ",
        members=[
            member("誠", birth_date=date(1960, 1, 1), spouse_role="夫"),
            member("恵", birth_date=date(1962, 1, 1), sex="2", spouse_role="妻"),
        ],
    )
    makoto, megumi = members_of(adopters)
    origin = yamada_family()
    ichiro = members_of(origin)[2]  # adult
    services.record_adoption(
        actor=clerk,
        adoptee=ichiro,
        adoptive_father=makoto,
        adoptive_mother=megumi,
        adopted_on=date(2026, 5, 1),
        notified_on=date(2026, 5, 1),
        notifier_name="中村誠",
        notifier_capacity="養親及び養子",
    )
    adopted = Member.objects.get(koseki=adopters, person_key=ichiro.person_key)
    assert adopted.family_name == "中村"
    services.record_dissolution(
        actor=clerk, adoptee=adopted, dissolved_on=TODAY, notified_on=TODAY, notifier_name="中村誠"
    )
    back = Member.objects.get(koseki=origin, person_key=ichiro.person_key)
    assert not back.is_removed
    assert back.family_name == "山田"
    assert back.adoptive_father_name == ""
    assert Member.objects.get(pk=adopted.pk).is_removed
    assert entry_text(adopted, EntryKind.DISSOLUTION)["養父氏名"] == "中村誠"
    assert entry_text(makoto, EntryKind.DISSOLUTION)["養子氏名"] == "中村一郎"
    # 民法第736条: the adoptive relation bars a marriage even after the 離縁.
    aunt = make_koseki(family_name="中村", members=[member("誠", birth_date=date(1960, 1, 1))])
    del aunt
    refused(
        MarriageAdoptiveRelatives,
        lambda: services.record_marriage(
            actor=clerk,
            husband=back,
            wife=Member.objects.get(pk=megumi.pk),
            surname_of="husband",
            married_on=TODAY,
            notified_on=TODAY,
            appeared_in_person=True,
        ),
    )


# --- 婚氏続称・入籍 ----------------------------------------------------------------------------------


def test_the_marital_surname_within_three_months_in_a_new_register(in_nakatosa: None, clerk: Person) -> None:
    bride_parents = make_koseki(
        family_name="鈴木",
        family_name_kana="スズキ",
        members=[member("一男", birth_date=date(1970, 1, 1)), member("愛", birth_date=date(1998, 2, 2), sex="2")],
    )
    his = single_head("健", family_name="佐藤", family_name_kana="サトウ")
    services.record_marriage(
        actor=clerk,
        husband=members_of(his)[0],
        wife=members_of(bride_parents)[1],
        surname_of="husband",
        married_on=date(2025, 1, 1),
        notified_on=date(2025, 1, 1),
    )
    husband, wife = members_of(his)
    services.record_divorce(
        actor=clerk, husband=husband, wife=wife, divorced_on=date(2026, 10, 1), notified_on=date(2026, 10, 1)
    )
    ai = Member.objects.get(koseki=bride_parents, person_key=wife.person_key)
    assert ai.family_name == "鈴木"
    services.record_marital_surname(actor=clerk, member=ai, notified_on=TODAY)
    new = Koseki.objects.get(compiled_reason=CompiledReason.SURNAME_CHANGE)
    head = members_of(new)[0]
    assert (new.family_name, head.family_name, head.person_key) == ("佐藤", "佐藤", ai.person_key)
    assert entry_text(head, EntryKind.SURNAME_CHANGE)["氏変更の事由"] == "戸籍法77条の2の届出"
    refused(SurnameFilingInvalid, lambda: services.record_marital_surname(actor=clerk, member=head, notified_on=TODAY))


def test_a_child_takes_the_father_s_surname_with_the_court_s_permission(in_nakatosa: None, clerk: Person) -> None:
    _mother, ren = _mother_and_child()
    ken = members_of(single_head("健", family_name="佐藤", birth_date=date(1988, 1, 1)))[0]
    services.record_acknowledgment(
        actor=clerk, child=ren, father=ken, notified_on=date(2026, 11, 1), notifier_name="佐藤健"
    )
    ren = Member.objects.get(pk=ren.pk)
    file = lambda permission: services.record_child_surname(  # noqa: E731
        actor=clerk,
        child=Member.objects.get(pk=ren.pk),
        parent=ken,
        notified_on=TODAY,
        notifier_name="森美穂",
        notifier_capacity="法定代理人",
        court_permission_on=permission,
    )
    assert refused(SurnameFilingInvalid, lambda: file(None)).code == "child_surname_permission_required"
    file(date(2026, 11, 20))
    placed = Member.objects.get(koseki_id=ken.koseki_id, person_key=ren.person_key)
    assert placed.family_name == "佐藤"
    assert entry_text(placed, EntryKind.ENTRY)["入籍事由"] == "父の氏を称する入籍"
    assert Member.objects.get(pk=ren.pk).is_removed


# --- 帰化・氏名の変更 --------------------------------------------------------------------------------


def test_naturalization_compiles_a_register_and_prints_on_the_certificate(in_nakatosa: None, clerk: Person) -> None:
    notification = services.record_naturalization(
        actor=clerk,
        naturalized_on=date(2026, 11, 10),
        family_name="李",
        given_name="明",
        family_name_kana="リ",
        given_name_kana="メイ",
        birth_date=date(1985, 4, 4),
        birth_place="中華人民共和国北京市",
        sex="1",
        former_nationality="中国",
        former_name="李明",
        new_honseki="高知県高岡郡中土佐町久礼7番地",
        notified_on=date(2026, 11, 20),
    )
    register = Koseki.objects.get(number=notification.details["koseki_number"])
    assert register.compiled_reason == CompiledReason.NATURALIZATION
    assert notification.due_on == date(2026, 12, 9)
    person = members_of(register)[0]
    assert entry_text(person, EntryKind.NATURALIZATION)["帰化の際の国籍"] == "中国"
    layout = certificates.certificate_layout(
        register=get_register(koseki_id=register.pk),
        kind=CertificateKind.FULL,
        members=[person],
        town=_town(),
        today=TODAY,
        number="x",
        code="",
    )
    printed = [line for p in layout.persons for s in p.sections for line in s.lines]
    assert "【帰化の際の国籍】中国" in printed


def _town() -> Any:
    from tenants.models import Municipality

    return Municipality.objects.get(schema_name="nakatosa")


def test_surname_and_given_name_changes_need_the_court(in_nakatosa: None, clerk: Person) -> None:
    family = yamada_family()
    taro = members_of(family)[0]
    refused(
        NameChangeInvalid,
        lambda: services.record_surname_change(
            actor=clerk,
            koseki=family,
            family_name="山川",
            family_name_kana="ヤマカワ",
            court_permission_on=None,
            notified_on=TODAY,
            notifier_name="山田太郎",
        ),
    )
    services.record_surname_change(
        actor=clerk,
        koseki=family,
        family_name="山川",
        family_name_kana="ヤマカワ",
        court_permission_on=date(2026, 11, 1),
        notified_on=TODAY,
        notifier_name="山田太郎",
    )
    family.refresh_from_db()
    assert family.family_name == "山川"
    assert set(Member.objects.filter(koseki=family, is_removed=False).values_list("family_name", flat=True)) == {"山川"}
    services.record_given_name_change(
        actor=clerk,
        member=Member.objects.get(pk=taro.pk),
        given_name="大郎",
        given_name_kana="ダイロウ",
        court_permission_on=date(2026, 11, 1),
        notified_on=TODAY,
        notifier_name="山川太郎",
    )
    family.refresh_from_db()
    assert family.head_given_name == "大郎"
    assert entry_text(taro, EntryKind.GIVEN_NAME_CHANGE)["従前の記録 名"] == "太郎"
    assert family.status == KosekiStatus.CURRENT


def test_divorce_from_a_foreign_spouse_and_the_child_born_after_it(in_nakatosa: None, clerk: Person) -> None:
    register = single_head("愛", family_name="鈴木", sex="2", given_name_kana="アイ")
    ai = members_of(register)[0]
    services.record_marriage(
        actor=clerk,
        husband=MILLER,
        wife=ai,
        surname_of="husband",
        married_on=date(2025, 6, 1),
        notified_on=date(2025, 6, 1),
    )
    services.record_foreign_divorce(
        actor=clerk, member=Member.objects.get(pk=ai.pk), divorced_on=date(2026, 5, 1), notified_on=date(2026, 5, 1)
    )
    ai = Member.objects.get(pk=ai.pk)
    assert ai.spouse_key is None
    assert entry_text(ai, EntryKind.DIVORCE)["配偶者の国籍"] == "アメリカ合衆国"
    # Born 153 days after the divorce: presumed the former husband's, who is in no register (民法第772条第2項).
    birth = services.record_birth(
        actor=clerk,
        mother=ai,
        father=None,
        given_name="花",
        given_name_kana="ハナ",
        sex="2",
        birth_date=date(2026, 10, 1),
        birth_place="高知県高知市",
        notified_on=date(2026, 10, 5),
        notifier_name="鈴木愛",
        notifier_capacity="母",
    )
    assert Member.objects.get(pk=birth.details["child_member_id"]).father_name == "ミラー、ジョン"
