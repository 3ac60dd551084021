"""出生, 婚姻, 離婚, 死亡, 分籍 and 養子縁組 under the Family Register Act: the registers each 届出 writes, the
除籍簿 it may leave, the audit row — and every refusal, which writes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from koseki import selectors, services
from koseki.errors import (
    AdopteeOlder,
    AdopterUnderAge,
    AdoptionSpouseRequired,
    AlreadyMarried,
    BirthFatherNotPresumed,
    BirthParentsUnknown,
    FuriganaNotKatakana,
    FuriganaRequired,
    HonsekiRequired,
    InvalidKosekiDate,
    MarriageCloseRelatives,
    MarriagePartiesInvalid,
    MarriageUnderAge,
    MemberAlreadyRemoved,
    NotMarriedToEachOther,
    SplitHeadOrSpouse,
    SplitMinor,
)
from koseki.models import (
    CompiledReason,
    Entry,
    EntryKind,
    FuhyoEntry,
    FuriganaRecord,
    FuriganaStatus,
    Koseki,
    KosekiStatus,
    Member,
    Notification,
    NotificationKind,
)
from koseki.services import OutsidePerson
from tenants.models import Person
from tests.koseki.factories import (
    TODAY,
    audit_actions,
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


def birth(actor: Person, **kwargs: Any) -> Notification:
    values: dict[str, Any] = {
        "given_name": "陽斗",
        "given_name_kana": "はると",
        "sex": "1",
        "birth_date": date(2026, 11, 1),
        "birth_place": "高知県高岡郡中土佐町",
        "notified_on": date(2026, 11, 10),
        "notifier_name": "山田太郎",
        "notifier_capacity": "父",
        "father": None,
        **kwargs,
    }
    return services.record_birth(actor=actor, **values)


# --- 出生 ----------------------------------------------------------------------------------------


def test_birth_enters_the_parents_koseki_with_relationship_and_furigana(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    taro, hanako, _ichiro, _sakura = members_of(koseki)
    expected_number = services.next_notification_number(TODAY)
    notification = birth(clerk, mother=hanako, father=taro)

    child = Member.objects.get(koseki=koseki, given_name="陽斗")
    # Third child, second son of the same parents (一郎 is 長男): 二男.
    assert child.relationship == "二男"
    assert child.position == 5
    assert child.family_name == "山田"
    assert (child.father_name, child.mother_name) == ("山田太郎", "山田花子")
    assert (child.father_key, child.mother_key) == (taro.person_key, hanako.person_key)
    assert (child.family_name_kana, child.given_name_kana) == ("ヤマダ", "ハルト")
    assert child.furigana_status == FuriganaStatus.FILED
    record = FuriganaRecord.objects.get(member=child)
    assert (record.status, record.notification_id) == (FuriganaStatus.FILED, notification.pk)

    entry = Entry.objects.get(member=child, kind=EntryKind.BIRTH)
    assert entry.fields == [
        ["出生日", "令和8年11月1日"],
        ["出生地", "高知県高岡郡中土佐町"],
        ["届出日", "令和8年11月10日"],
        ["届出人", "父"],
    ]
    assert entry.accepted_by == "中土佐町長"
    assert entry.accepted_on == TODAY
    assert notification.kind == NotificationKind.BIRTH
    assert notification.koseki_numbers == [koseki.number]
    assert notification.number == expected_number
    koseki.refresh_from_db()
    assert koseki.version == 2
    assert "ハルト" in koseki.search_text
    assert "ハルト" in child.search_text
    assert audit_actions()[-1] == "koseki.birth"
    assert koseki in selectors.search_koseki(query="はると")


def test_second_daughter_and_numbers_are_gapless(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    taro, hanako, _, _ = members_of(koseki)
    first = birth(clerk, mother=hanako, father=taro, given_name="結衣", given_name_kana="ユイ", sex="2")
    with pytest.raises(FuriganaNotKatakana):
        birth(clerk, mother=hanako, father=taro, given_name_kana="Yui")
    second = birth(
        clerk,
        mother=hanako,
        father=taro,
        given_name="葵",
        given_name_kana="アオイ",
        sex="2",
        birth_date=date(2026, 11, 2),
    )
    assert Member.objects.get(given_name="結衣").relationship == "二女"
    assert Member.objects.get(given_name="葵").relationship == "三女"
    serials = [int(n.split("-")[1]) for n in (first.number, second.number)]
    assert serials[1] == serials[0] + 1


def test_birth_to_an_unmarried_daughter_compiles_her_new_koseki_article_17(in_nakatosa: None, clerk: Person) -> None:
    parents = make_koseki(
        members=[
            member("太郎", birth_date=date(1970, 1, 1), spouse_role="夫"),
            member("花子", birth_date=date(1972, 1, 1), sex="2", spouse_role="妻"),
            member("美咲", birth_date=date(2000, 3, 3), sex="2", given_name_kana="ミサキ"),
        ]
    )
    misaki = members_of(parents)[2]
    notification = birth(clerk, mother=misaki, notifier_capacity="母", notifier_name="山田美咲")

    misaki.refresh_from_db()
    assert misaki.is_removed
    assert misaki.removed_reason == "子の出生"
    new = Koseki.objects.get(compiled_reason=CompiledReason.BIRTH)
    assert (new.family_name, new.head_given_name, new.honseki) == ("山田", "美咲", parents.honseki)
    head, child = members_of(new)
    assert head.is_head
    assert head.person_key == misaki.person_key
    assert child.mother_key == misaki.person_key
    assert child.father_name == ""
    assert child.relationship == "長男"
    assert Entry.objects.filter(member=head, kind=EntryKind.BIRTH).exists()  # 移記
    assert fields_of(Entry.objects.get(member=head, kind=EntryKind.ENTRY))["従前戸籍"].startswith(parents.honseki)
    assert fields_of(Entry.objects.get(member=misaki, kind=EntryKind.REMOVAL))["新本籍"] == new.honseki
    assert Entry.objects.get(koseki=new, member=None).kind == EntryKind.COMPILED
    assert notification.koseki_numbers == [parents.number, new.number]


def test_birth_refusals_write_nothing(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    taro, hanako, ichiro, sakura = members_of(koseki)
    other = single_head("次郎", birth_date=date(1985, 1, 1))
    stranger = members_of(other)[0]
    assert refused(BirthParentsUnknown, lambda: birth(clerk, mother=None, father=taro)).code == "birth_parents_unknown"
    # 花子 is married: her child is presumed 太郎's (民法第772条), so another man is refused (認知 is the way).
    err = refused(BirthFatherNotPresumed, lambda: birth(clerk, mother=hanako, father=stranger))
    assert "民法第772条" in err.message
    err = refused(BirthParentsUnknown, lambda: birth(clerk, mother=hanako, father=None))
    assert err.code == "birth_father_presumed"
    assert refused(FuriganaRequired, lambda: birth(clerk, mother=hanako, father=taro, given_name_kana="")).code == (
        "furigana_required"
    )
    refused(InvalidKosekiDate, lambda: birth(clerk, mother=hanako, father=taro, birth_date=date(2026, 12, 1)))
    Member.objects.filter(pk=sakura.pk).update(is_removed=True, removed_on=date(2026, 1, 1), removed_reason="死亡")
    assert refused(MemberAlreadyRemoved, lambda: birth(clerk, mother=sakura)).code == "member_already_removed"
    del ichiro


def test_birth_before_the_furigana_law_needs_no_kana(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    taro, hanako, _, _ = members_of(koseki)
    birth(
        clerk,
        mother=hanako,
        father=taro,
        given_name_kana="",
        birth_date=date(2025, 5, 20),
        notified_on=date(2025, 5, 25),
    )
    child = Member.objects.get(given_name="陽斗")
    assert child.furigana_status == FuriganaStatus.NONE
    assert not FuriganaRecord.objects.filter(member=child).exists()


# --- 婚姻 ----------------------------------------------------------------------------------------


def marry(actor: Person, husband: Any, wife: Any, **kwargs: Any) -> Notification:
    values: dict[str, Any] = {
        "surname_of": "husband",
        "married_on": date(2026, 10, 10),
        "notified_on": date(2026, 10, 10),
        **kwargs,
    }
    return services.record_marriage(actor=actor, husband=husband, wife=wife, **values)


def test_marriage_compiles_a_new_koseki_and_removes_both_from_their_parents(in_nakatosa: None, clerk: Person) -> None:
    groom_family = yamada_family()
    ichiro = members_of(groom_family)[2]
    bride_family = make_koseki(
        family_name="鈴木",
        family_name_kana="スズキ",
        members=[
            member("一男", birth_date=date(1975, 1, 1)),
            member("愛", birth_date=date(2004, 2, 2), sex="2", given_name_kana="アイ"),
        ],
    )
    ai = members_of(bride_family)[1]
    notification = marry(clerk, ichiro, ai, new_honseki="高知県高岡郡中土佐町上ノ加江5番地")

    couple = Koseki.objects.get(number=notification.details["koseki_number"])
    assert couple.compiled_reason == CompiledReason.MARRIAGE
    assert (couple.family_name, couple.head_given_name, couple.honseki) == (
        "山田",
        "一郎",
        "高知県高岡郡中土佐町上ノ加江5番地",
    )
    husband, wife = members_of(couple)
    assert husband.is_head
    assert husband.spouse_role == "夫"
    assert wife.spouse_role == "妻"
    assert (wife.family_name, wife.family_name_kana, wife.given_name_kana) == ("山田", "ヤマダ", "アイ")
    assert husband.spouse_key == wife.person_key
    assert wife.spouse_key == husband.person_key
    assert wife.person_key == ai.person_key
    for old in (ichiro, ai):
        old.refresh_from_db()
        assert old.is_removed
        assert old.removed_reason == "婚姻"
        left = fields_of(Entry.objects.get(member=old, kind=EntryKind.MARRIAGE))
        assert left["新本籍"] == couple.honseki
        assert left["称する氏"] == "夫の氏"
    assert fields_of(Entry.objects.get(member=wife, kind=EntryKind.MARRIAGE)) == {
        "婚姻日": "令和8年10月10日",
        "配偶者氏名": "山田一郎",
        "従前戸籍": f"{bride_family.honseki}\u3000鈴木一男",
    }
    assert set(notification.koseki_numbers) == {groom_family.number, bride_family.number, couple.number}
    assert audit_actions()[-1] == "koseki.marriage"
    assert couple in selectors.search_koseki(query="やまだあい")


def test_a_spouse_entering_a_new_koseki_takes_the_current_fuhyo_address_only(in_nakatosa: None, clerk: Person) -> None:
    groom_family = yamada_family()
    ichiro = members_of(groom_family)[2]
    bride = members_of(single_head("花", family_name="高橋", family_name_kana="タカハシ", sex="2"))[0]
    kept = FuhyoEntry.objects.create(
        koseki=groom_family, member=ichiro, address="高知県高岡郡中土佐町久礼10", address_set_on=date(2020, 4, 1),
        source_event="転居", source_reference="nakatosa:7",
    )  # fmt: skip
    FuhyoEntry.objects.create(
        koseki=groom_family, member=ichiro, address="高知県高岡郡中土佐町久礼99", address_set_on=date(2024, 4, 1),
        source_event="転居", source_reference="nakatosa:8", is_struck=True, struck_at=timezone.now(),
        struck_reason="転居の取消し",
    )  # fmt: skip
    notification = marry(clerk, ichiro, bride, new_honseki="高知県高岡郡中土佐町上ノ加江5番地")

    couple = Koseki.objects.get(number=notification.details["koseki_number"])
    husband = members_of(couple)[0]
    line = FuhyoEntry.objects.get(member=husband)  # a cancelled (struck) address is not carried as current
    assert (line.address, line.source_reference, line.is_struck) == (kept.address, "nakatosa:7", False)


def test_marriage_into_the_head_s_koseki_article_16_proviso(in_nakatosa: None, clerk: Person) -> None:
    own = single_head("健", family_name="佐藤", family_name_kana="サトウ")
    ken = members_of(own)[0]
    bride = OutsidePerson(
        family_name="田中", given_name="由美", birth_date=date(1996, 6, 6), sex="2", father_name="田中一",
        mother_name="田中春", relationship="長女", honseki="東京都千代田区千代田1番", head_name="田中一",
        given_name_kana="ユミ",
    )  # fmt: skip
    notification = marry(clerk, ken, bride)
    assert notification.koseki_numbers == [own.number]
    assert Koseki.objects.filter(compiled_reason=CompiledReason.MARRIAGE, family_name="佐藤").count() == 0
    ken_now, yumi = members_of(own)
    assert ken_now.spouse_role == "夫"
    assert yumi.spouse_role == "妻"
    assert yumi.family_name == "佐藤"
    assert (
        fields_of(Entry.objects.get(member=yumi, kind=EntryKind.MARRIAGE))["従前戸籍"]
        == "東京都千代田区千代田1番\u3000田中一"
    )


def test_wife_s_surname_and_the_last_member_leaving_closes_the_koseki(in_nakatosa: None, clerk: Person) -> None:
    own = single_head("健", family_name="佐藤", family_name_kana="サトウ")
    ken = members_of(own)[0]
    ken.is_head = False  # the register model still has him as 筆頭者; he moves to the wife's new koseki
    bride_family = make_koseki(
        family_name="鈴木",
        family_name_kana="スズキ",
        members=[member("一男", birth_date=date(1975, 1, 1)), member("愛", birth_date=date(2000, 2, 2), sex="2")],
    )
    ai = members_of(bride_family)[1]
    notification = marry(clerk, ken, ai, surname_of="wife", new_honseki="高知県高岡郡中土佐町久礼9番地")
    couple = Koseki.objects.get(number=notification.details["koseki_number"])
    assert (couple.family_name, couple.head_given_name) == ("鈴木", "愛")
    head, husband = members_of(couple)
    assert head.given_name == "愛"
    assert head.is_head
    assert head.spouse_role == "妻"
    assert husband.family_name == "鈴木"
    assert husband.spouse_role == "夫"
    assert not husband.is_head
    own.refresh_from_db()
    # 佐藤健 was the only member: the register becomes a 除籍簿.
    assert own.status == KosekiStatus.CLOSED
    assert own.closed_on == date(2026, 10, 10)
    assert own.closed_reason == "婚姻"
    closing = Entry.objects.get(koseki=own, member=None, kind=EntryKind.CLOSED)
    assert closing.fields[0] == ["消除日", "令和8年10月10日"]


def test_marriage_refusals_write_nothing(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    taro, hanako, ichiro, sakura = members_of(koseki)
    other = make_koseki(family_name="鈴木", members=[member("愛", birth_date=date(2000, 2, 2), sex="2")])
    ai = members_of(other)[0]
    err = refused(AlreadyMarried, lambda: marry(clerk, taro, ai))
    assert err.code == "marriage_already_married"
    assert "民法第732条" in err.message
    young = make_koseki(family_name="高橋", members=[member("翔", birth_date=date(2009, 1, 1))])
    sho = members_of(young)[0]
    assert refused(MarriageUnderAge, lambda: marry(clerk, sho, ai)).code == "marriage_under_age"
    refused(MarriagePartiesInvalid, lambda: marry(clerk, ai, ichiro))
    sibling = make_koseki(
        family_name="山田",
        members=[member("美咲", birth_date=date(2003, 3, 3), sex="2", mother_key=hanako.person_key)],
    )
    err = refused(MarriageCloseRelatives, lambda: marry(clerk, ichiro, members_of(sibling)[0]))
    assert "民法第734条" in err.message
    outsider = OutsidePerson(family_name="田中", given_name="一", birth_date=date(1990, 1, 1), sex="1")
    outsider_wife = OutsidePerson(family_name="田中", given_name="春", birth_date=date(1990, 1, 1), sex="2")
    refused(HonsekiRequired, lambda: marry(clerk, outsider, outsider_wife))
    Member.objects.filter(pk=sakura.pk).update(is_removed=True, removed_on=date(2026, 1, 1))
    refused(MemberAlreadyRemoved, lambda: marry(clerk, outsider, sakura, surname_of="wife"))


# --- 離婚 ----------------------------------------------------------------------------------------


def _married_couple(clerk: Person) -> tuple[Koseki, Koseki, Member, Member]:
    bride_family = make_koseki(
        family_name="鈴木",
        family_name_kana="スズキ",
        members=[
            member("一男", birth_date=date(1975, 1, 1)),
            member("愛", birth_date=date(2000, 2, 2), sex="2", given_name_kana="アイ"),
        ],
    )
    own = single_head("健", family_name="佐藤", family_name_kana="サトウ")
    marry(clerk, members_of(own)[0], members_of(bride_family)[1])
    husband, wife = members_of(own)
    return own, bride_family, husband, wife


def test_divorce_returns_the_wife_to_her_former_koseki_article_19(in_nakatosa: None, clerk: Person) -> None:
    own, bride_family, husband, wife = _married_couple(clerk)
    notification = services.record_divorce(
        actor=clerk, husband=husband, wife=wife, divorced_on=date(2026, 11, 20), notified_on=date(2026, 11, 20)
    )
    husband.refresh_from_db()
    wife.refresh_from_db()
    assert husband.spouse_key is None
    assert husband.spouse_role == ""
    assert not husband.is_removed
    assert wife.is_removed
    assert wife.removed_reason == "離婚"
    returned = Member.objects.get(koseki=bride_family, person_key=wife.person_key)
    assert not returned.is_removed
    assert returned.family_name == "鈴木"
    assert returned.family_name_kana == "スズキ"
    assert fields_of(Entry.objects.get(member=wife, kind=EntryKind.DIVORCE))["入籍戸籍"].startswith(
        bride_family.honseki
    )
    assert fields_of(Entry.objects.get(member=returned, kind=EntryKind.DIVORCE))["従前戸籍"].startswith(own.honseki)
    # The earlier 婚姻 removal entry stays in the former koseki's history.
    assert Entry.objects.filter(member=returned, kind=EntryKind.MARRIAGE).exists()
    assert set(notification.koseki_numbers) == {own.number, bride_family.number}
    assert audit_actions()[-1] == "koseki.divorce"
    # Both may marry again: nobody holds a spouse link any more.
    assert not Member.objects.filter(person_key__in=[husband.person_key, wife.person_key], spouse_key__isnull=False)


def test_divorce_into_a_new_koseki_on_request_or_when_closed(in_nakatosa: None, clerk: Person) -> None:
    _own, bride_family, husband, wife = _married_couple(clerk)
    notification = services.record_divorce(
        actor=clerk,
        husband=husband,
        wife=wife,
        divorced_on=date(2026, 11, 20),
        notified_on=date(2026, 11, 20),
        new_koseki=True,
        new_honseki="高知県高岡郡中土佐町大野見1番地",
    )
    new = Koseki.objects.get(compiled_reason=CompiledReason.DIVORCE)
    assert (new.family_name, new.head_given_name, new.honseki) == ("鈴木", "愛", "高知県高岡郡中土佐町大野見1番地")
    head = members_of(new)[0]
    assert head.is_head
    assert head.person_key == wife.person_key
    # The earlier appearance in the parents' koseki stays 除籍: she did not return there.
    assert Member.objects.get(koseki=bride_family, person_key=wife.person_key).is_removed
    assert new.number in notification.koseki_numbers


def test_divorce_refusals(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    taro, hanako, ichiro, sakura = members_of(koseki)
    other = make_koseki(family_name="鈴木", members=[member("愛", birth_date=date(2000, 2, 2), sex="2")])
    err = refused(
        NotMarriedToEachOther,
        lambda: services.record_divorce(
            actor=clerk, husband=taro, wife=members_of(other)[0], divorced_on=TODAY, notified_on=TODAY
        ),
    )
    assert err.code == "divorce_not_married"
    assert "戸籍法第19条" in err.message
    refused(
        NotMarriedToEachOther,
        lambda: services.record_divorce(actor=clerk, husband=ichiro, wife=sakura, divorced_on=TODAY, notified_on=TODAY),
    )
    del hanako


# --- 死亡 ----------------------------------------------------------------------------------------


def test_death_removes_the_member_and_frees_the_survivor(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    taro, hanako, _, _ = members_of(koseki)
    services.record_death(
        actor=clerk,
        member=taro,
        died_on=date(2026, 11, 1),
        death_place="高知県高知市",
        notified_on=date(2026, 11, 2),
        notifier_name="山田花子",
        notifier_capacity="妻",
    )
    taro.refresh_from_db()
    hanako.refresh_from_db()
    assert taro.is_removed
    assert taro.removed_reason == "死亡"
    assert taro.removed_on == date(2026, 11, 1)
    assert fields_of(Entry.objects.get(member=taro, kind=EntryKind.DEATH)) == {
        "死亡日": "令和8年11月1日",
        "死亡地": "高知県高知市",
        "届出日": "令和8年11月2日",
        "届出人": "妻",
    }
    assert hanako.spouse_key is None
    assert hanako.spouse_role == "妻"
    assert fields_of(Entry.objects.get(member=hanako, kind=EntryKind.SPOUSE_DEATH)) == {
        "配偶者の死亡日": "令和8年11月1日"
    }
    koseki.refresh_from_db()
    assert koseki.status == KosekiStatus.CURRENT
    assert koseki.head_name == "山田\u3000太郎"
    assert audit_actions()[-1] == "koseki.death"
    # Death of someone already removed is refused.
    err = refused(
        MemberAlreadyRemoved,
        lambda: services.record_death(
            actor=clerk,
            member=taro,
            died_on=date(2026, 11, 1),
            death_place="",
            notified_on=TODAY,
            notifier_name="x",
            notifier_capacity="妻",
        ),
    )
    assert err.code == "member_already_removed"


def test_death_of_the_last_member_closes_the_register(in_nakatosa: None, clerk: Person) -> None:
    own = single_head()
    services.record_death(
        actor=clerk, member=members_of(own)[0], died_on=date(2026, 11, 1), death_place="高知県高知市",
        notified_on=date(2026, 11, 5), notifier_name="佐藤一", notifier_capacity="親族",
    )  # fmt: skip
    own.refresh_from_db()
    assert own.status == KosekiStatus.CLOSED
    assert own.closed_on == date(2026, 11, 5)
    assert own.closed_reason == "死亡"
    assert own in selectors.search_koseki(query="佐藤健")
    assert own not in selectors.search_koseki(query="佐藤健", include_closed=False)


# --- 分籍 ----------------------------------------------------------------------------------------


def test_split_compiles_a_new_koseki_for_an_adult_child(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    ichiro = members_of(koseki)[2]
    notification = services.record_split(
        actor=clerk, member=ichiro, new_honseki="高知県高岡郡中土佐町久礼100番地", notified_on=TODAY
    )
    new = Koseki.objects.get(compiled_reason=CompiledReason.SPLIT, head_given_name="一郎")
    head = members_of(new)[0]
    assert head.is_head
    assert head.relationship == "長男"
    assert head.father_name == "山田太郎"
    assert fields_of(Entry.objects.get(member=head, kind=EntryKind.SPLIT))["従前戸籍"] == (
        f"{koseki.honseki}\u3000山田太郎"
    )
    ichiro.refresh_from_db()
    assert ichiro.is_removed
    assert ichiro.removed_reason == "分籍"
    assert fields_of(Entry.objects.get(member=ichiro, kind=EntryKind.SPLIT))["新本籍"] == new.honseki
    assert notification.koseki_numbers == [koseki.number, new.number]
    assert audit_actions()[-1] == "koseki.split"


def test_split_refusals_write_nothing(in_nakatosa: None, clerk: Person) -> None:
    koseki = yamada_family()
    taro, hanako, ichiro, sakura = members_of(koseki)

    def split(m: Member, honseki: str = "高知県高岡郡中土佐町久礼100番地") -> Any:
        return lambda: services.record_split(actor=clerk, member=m, new_honseki=honseki, notified_on=TODAY)

    err = refused(SplitMinor, split(sakura))
    assert err.code == "split_minor"
    assert err.message == "分籍は成年(18歳以上)に限られます(戸籍法第21条)。"
    assert refused(SplitHeadOrSpouse, split(taro)).code == "split_head_or_spouse"
    assert refused(SplitHeadOrSpouse, split(hanako)).code == "split_head_or_spouse"
    refused(HonsekiRequired, split(ichiro, " "))


# --- 養子縁組 ------------------------------------------------------------------------------------


def test_adoption_moves_the_adoptee_into_the_adopters_koseki(in_nakatosa: None, clerk: Person) -> None:
    adopters = make_koseki(
        family_name="中村",
        family_name_kana="ナカムラ",
        members=[
            member("誠", birth_date=date(1970, 1, 1), spouse_role="夫"),
            member("恵", birth_date=date(1972, 1, 1), sex="2", spouse_role="妻"),
        ],
    )
    makoto, megumi = members_of(adopters)
    origin = yamada_family()
    sakura = members_of(origin)[3]
    # 桜 is 14: the family court's permission (民法第798条) and her parents' consent as 代諾者 (第797条).
    notification = services.record_adoption(
        actor=clerk, adoptee=sakura, adoptive_father=makoto, adoptive_mother=megumi, adopted_on=date(2026, 9, 1),
        notified_on=date(2026, 9, 1), notifier_name="中村誠", notifier_capacity="養父",
        court_permission_on=date(2026, 8, 20), consenting_proxy="親権者父母",
    )  # fmt: skip
    adopted = Member.objects.get(koseki=adopters, person_key=sakura.person_key)
    assert adopted.family_name == "中村"
    assert adopted.family_name_kana == "ナカムラ"
    assert (adopted.adoptive_father_name, adopted.adoptive_mother_name) == ("中村誠", "中村恵")
    assert (adopted.adoptive_father_key, adopted.adoptive_relationship) == (makoto.person_key, "養女")
    assert adopted.father_name == "山田太郎"  # 実父母 stay on the register
    assert fields_of(Entry.objects.get(member=adopted, kind=EntryKind.ADOPTION))["養父氏名"] == "中村誠"
    assert Entry.objects.filter(member=makoto, kind=EntryKind.ADOPTION).exists()
    sakura.refresh_from_db()
    assert sakura.is_removed
    assert sakura.removed_reason == "養子縁組"
    assert set(notification.koseki_numbers) == {adopters.number, origin.number}
    assert audit_actions()[-1] == "koseki.adoption"


def test_adoption_refusals(in_nakatosa: None, clerk: Person) -> None:
    adopters = make_koseki(
        family_name="中村",
        members=[
            member("誠", birth_date=date(1970, 1, 1), spouse_role="夫"),
            member("恵", birth_date=date(1972, 1, 1), sex="2", spouse_role="妻"),
        ],
    )
    makoto, megumi = members_of(adopters)
    origin = yamada_family()
    taro, _, _, sakura = members_of(origin)
    young = make_koseki(family_name="高橋", members=[member("翔", birth_date=date(2008, 1, 1))])
    sho = members_of(young)[0]

    def adopt(child: Member, father: Member | None, mother: Member | None = None) -> Any:
        return lambda: services.record_adoption(
            actor=clerk, adoptee=child, adoptive_father=father, adoptive_mother=mother, adopted_on=TODAY,
            notified_on=TODAY, notifier_name="x", notifier_capacity="養父",
        )  # fmt: skip

    assert refused(AdoptionSpouseRequired, adopt(sakura, makoto)).code == "adoption_spouse_required"
    assert refused(AdopterUnderAge, adopt(sakura, sho)).code == "adoption_adopter_under_age"
    assert refused(AdopteeOlder, adopt(makoto, taro)).code == "adoption_adoptee_older"
    del megumi


def test_adopter_who_is_neither_head_nor_spouse_gets_a_new_koseki_article_17(in_nakatosa: None, clerk: Person) -> None:
    family = yamada_family()
    ichiro = members_of(family)[2]  # 20, single, in his parents' koseki
    other = make_koseki(
        family_name="高橋", family_name_kana="タカハシ", members=[member("翔", birth_date=date(2008, 1, 1))]
    )
    sho = members_of(other)[0]
    notification = services.record_adoption(
        actor=clerk, adoptee=sho, adoptive_father=ichiro, adoptive_mother=None, adopted_on=TODAY,
        notified_on=TODAY, notifier_name="山田一郎", notifier_capacity="養親",
    )  # fmt: skip
    new = Koseki.objects.get(compiled_reason=CompiledReason.ADOPTION)
    head, adopted = members_of(new)
    assert head.person_key == ichiro.person_key
    assert head.is_head
    assert new.head_given_name == "一郎"
    assert adopted.person_key == sho.person_key
    assert adopted.family_name == "山田"
    assert adopted.adoptive_relationship == "養子"
    assert adopted.adoptive_father_key == ichiro.person_key
    ichiro.refresh_from_db()
    assert ichiro.is_removed
    assert ichiro.removed_reason == "養子縁組"
    other.refresh_from_db()
    assert other.status == KosekiStatus.CLOSED  # 翔 was its only member
    assert set(notification.koseki_numbers) == {family.number, other.number, new.number}


def test_married_adoptee_keeps_the_marital_koseki(in_nakatosa: None, clerk: Person) -> None:
    family = yamada_family()
    hanako = members_of(family)[1]
    elders = make_koseki(
        family_name="中村",
        members=[
            member("誠", birth_date=date(1950, 1, 1), spouse_role="夫"),
            member("恵", birth_date=date(1952, 1, 1), sex="2", spouse_role="妻"),
        ],
    )
    makoto, megumi = members_of(elders)
    services.record_adoption(
        actor=clerk, adoptee=hanako, adoptive_father=makoto, adoptive_mother=megumi, adopted_on=TODAY,
        notified_on=TODAY, notifier_name="中村誠", notifier_capacity="養父",
    )  # fmt: skip
    hanako.refresh_from_db()
    # 民法第810条ただし書: she keeps the surname taken at marriage, and stays where she is.
    assert not hanako.is_removed
    assert hanako.family_name == "山田"
    assert (hanako.adoptive_father_name, hanako.adoptive_relationship) == ("中村誠", "養女")
    assert Entry.objects.filter(member=hanako, kind=EntryKind.ADOPTION).count() == 1


def test_divorce_when_the_former_koseki_is_closed_compiles_a_new_one(in_nakatosa: None, clerk: Person) -> None:
    her_own = single_head("愛", family_name="鈴木", family_name_kana="スズキ", sex="2", given_name_kana="アイ")
    ai = members_of(her_own)[0]
    his = single_head("健", family_name="佐藤", family_name_kana="サトウ")
    marry(clerk, members_of(his)[0], ai)
    her_own.refresh_from_db()
    assert her_own.status == KosekiStatus.CLOSED
    husband, wife = members_of(his)
    services.record_divorce(actor=clerk, husband=husband, wife=wife, divorced_on=TODAY, notified_on=TODAY)
    new = Koseki.objects.get(compiled_reason=CompiledReason.DIVORCE)
    # 第19条第1項ただし書: the former koseki is a 除籍簿, so a new one, by default at the former 本籍.
    assert (new.family_name, new.honseki, new.family_name_kana) == ("鈴木", her_own.honseki, "スズキ")
    assert members_of(new)[0].given_name_kana == "アイ"


def test_a_widow_may_marry_again(in_nakatosa: None, clerk: Person) -> None:
    family = yamada_family()
    taro, hanako, _, _ = members_of(family)
    services.record_death(
        actor=clerk, member=taro, died_on=date(2026, 1, 1), death_place="高知県高知市", notified_on=date(2026, 1, 2),
        notifier_name="山田花子", notifier_capacity="妻",
    )  # fmt: skip
    groom = OutsidePerson(
        family_name="森", given_name="大輔", birth_date=date(1979, 9, 9), sex="1", honseki="東京都港区"
    )
    notification = marry(clerk, groom, Member.objects.get(pk=hanako.pk), surname_of="wife")
    couple = Koseki.objects.get(number=notification.details["koseki_number"])
    head, husband = members_of(couple)
    assert head.person_key == hanako.person_key
    assert couple.honseki == family.honseki
    assert husband.family_name == "山田"
    assert husband.spouse_key == hanako.person_key


def test_search_reads_in_one_query(in_nakatosa: None, clerk: Person) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        yamada_family()
    with CaptureQueriesContext(connection) as queries:
        found = selectors.search_koseki(query="やまだ")
    assert len(found) >= 3
    assert len([q for q in queries.captured_queries if not q["sql"].startswith("SET ")]) == 1


def test_child_born_after_the_father_s_death_and_to_a_single_head(in_nakatosa: None, clerk: Person) -> None:
    family = yamada_family()
    taro, hanako, _, _ = members_of(family)
    services.record_death(
        actor=clerk, member=taro, died_on=date(2026, 6, 1), death_place="高知県高知市", notified_on=date(2026, 6, 2),
        notifier_name="山田花子", notifier_capacity="妻",
    )  # fmt: skip
    # 民法第772条: born within 300 days of the marriage's end, the child is the late husband's.
    birth(clerk, mother=Member.objects.get(pk=hanako.pk), father=Member.objects.get(pk=taro.pk), notifier_capacity="母")
    child = Member.objects.get(koseki=family, given_name="陽斗")
    assert child.father_name == "山田太郎"
    assert child.relationship == "二男"

    single = single_head("美穂", family_name="森", family_name_kana="モリ", sex="2", given_name_kana="ミホ")
    birth(clerk, mother=members_of(single)[0], given_name="蓮", given_name_kana="レン", notifier_capacity="母")
    son = Member.objects.get(koseki=single, given_name="蓮")
    assert son.family_name == "森"
    assert son.family_name_kana == "モリ"
    assert son.father_name == ""
    assert son.relationship == "長男"
    assert Koseki.objects.filter(compiled_reason=CompiledReason.BIRTH).count() == 0
