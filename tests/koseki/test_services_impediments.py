"""民法 第734条〜第736条 in the 婚姻届, and 民法 第797条・第798条 in the 養子縁組届 of a minor."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from koseki import services
from koseki.errors import (
    AdoptionCourtPermissionRequired,
    AdoptionProxyNotAllowed,
    AdoptionProxyRequired,
    MarriageAdoptiveRelatives,
    MarriageCloseRelatives,
    MarriageInLaws,
)
from koseki.models import Entry, EntryKind, Member, Notification
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
)

pytestmark = pytest.mark.django_db
__all__ = ["clerk", "in_nakatosa"]  # fixtures


def marry(actor: Person, husband: Member, wife: Member, on: date = date(2026, 10, 10)) -> Notification:
    return services.record_marriage(
        actor=actor, husband=Member.objects.get(pk=husband.pk), wife=Member.objects.get(pk=wife.pk),
        surname_of="husband", married_on=on, notified_on=on, new_honseki="高知県高岡郡中土佐町久礼9番地",
    )  # fmt: skip


def divorce(actor: Person, notification: Notification, on: date = date(2026, 11, 1)) -> None:
    couple = list(Member.objects.filter(koseki__number=notification.details["koseki_number"], is_removed=False))
    husband = next(m for m in couple if m.spouse_role == "夫")
    wife = next(m for m in couple if m.spouse_role == "妻")
    services.record_divorce(actor=actor, husband=husband, wife=wife, divorced_on=on, notified_on=on)


def three_generations() -> dict[str, Member]:
    """一男 (widower, 筆頭者) with his unmarried children 次郎 and 花子; his son 太郎 heads his own register with
    his daughter 美紀; 花子's son 翔 (no father recorded) heads a register of his own."""
    elders = make_koseki(
        family_name="山本",
        members=[
            member("一男", birth_date=date(1945, 1, 1)),
            member("次郎", birth_date=date(1976, 1, 1)),
            member("花子", birth_date=date(1978, 1, 1), sex="2"),
        ],
    )
    kazuo, jiro, hanako = members_of(elders)
    taro_reg = make_koseki(
        family_name="山本",
        members=[
            member("太郎", birth_date=date(1970, 1, 1), father_key=kazuo.person_key, father_name="山本一男"),
            member("美紀", birth_date=date(2000, 1, 1), sex="2"),
        ],
    )
    taro, miki = members_of(taro_reg)
    sho_reg = make_koseki(
        family_name="山本",
        members=[member("翔", birth_date=date(2001, 1, 1), mother_key=hanako.person_key, mother_name="山本花子")],
    )
    return {"kazuo": kazuo, "jiro": jiro, "hanako": hanako, "taro": taro, "miki": miki,
            "sho": members_of(sho_reg)[0]}  # fmt: skip


# --- 民法 第734条 ----------------------------------------------------------------------------------


def test_grandparent_and_grandchild_may_not_marry(in_nakatosa: None, clerk: Person) -> None:
    family = three_generations()
    err = refused(MarriageCloseRelatives, lambda: marry(clerk, family["kazuo"], family["miki"]))
    assert "民法第734条" in err.message


def test_uncle_and_niece_may_not_marry_cousins_may(in_nakatosa: None, clerk: Person) -> None:
    family = three_generations()
    refused(MarriageCloseRelatives, lambda: marry(clerk, family["jiro"], family["miki"]))  # third degree
    notification = marry(clerk, family["sho"], family["miki"])  # cousins: fourth degree
    assert notification.details["koseki_number"]


# --- 民法 第735条 ----------------------------------------------------------------------------------


def _mother_and_daughter() -> tuple[Member, Member]:
    register = make_koseki(
        family_name="鈴木",
        members=[
            member("幸子", birth_date=date(1975, 5, 5), sex="2"),
            member("愛", birth_date=date(1998, 2, 2), sex="2"),
        ],
    )
    mother, daughter = members_of(register)
    assert daughter.mother_key == mother.person_key
    return mother, daughter


def test_a_former_mother_in_law_stays_barred_after_the_divorce(in_nakatosa: None, clerk: Person) -> None:
    mother, daughter = _mother_and_daughter()
    ken = members_of(single_head("健", family_name="佐藤", birth_date=date(1970, 1, 1)))[0]
    divorce(clerk, marry(clerk, ken, daughter))
    ken = Member.objects.filter(person_key=ken.person_key, is_removed=False).get()
    err = refused(MarriageInLaws, lambda: marry(clerk, ken, mother))
    assert "民法第735条" in err.message


def test_a_former_stepdaughter_stays_barred_after_the_divorce(in_nakatosa: None, clerk: Person) -> None:
    mother, daughter = _mother_and_daughter()
    ken = members_of(single_head("健", family_name="佐藤", birth_date=date(1970, 1, 1)))[0]
    divorce(clerk, marry(clerk, ken, mother))
    ken = Member.objects.filter(person_key=ken.person_key, is_removed=False).get()
    daughter = Member.objects.get(pk=daughter.pk)
    refused(MarriageInLaws, lambda: marry(clerk, ken, daughter))


# --- 民法 第736条 ----------------------------------------------------------------------------------


def test_adoptive_father_and_adopted_daughter_may_not_marry(in_nakatosa: None, clerk: Person) -> None:
    makoto = members_of(single_head("誠", family_name="中村", birth_date=date(1960, 1, 1)))[0]
    aoi = members_of(single_head("葵", family_name="森", sex="2", birth_date=date(1995, 1, 1)))[0]
    services.record_adoption(
        actor=clerk, adoptee=aoi, adoptive_father=makoto, adoptive_mother=None, adopted_on=date(2026, 1, 10),
        notified_on=date(2026, 1, 10), notifier_name="中村誠", notifier_capacity="養親及び養子",
    )  # fmt: skip
    adopted = Member.objects.filter(person_key=aoi.person_key, is_removed=False).get()
    err = refused(MarriageAdoptiveRelatives, lambda: marry(clerk, makoto, adopted))
    assert "民法第736条" in err.message


# --- 民法 第797条・第798条 -------------------------------------------------------------------------


def _adopters_and_child(child_birth: date) -> tuple[Member, Member, Member]:
    adopters = make_koseki(
        family_name="中村",
        members=[
            member("誠", birth_date=date(1970, 1, 1), spouse_role="夫"),
            member("恵", birth_date=date(1972, 1, 1), sex="2", spouse_role="妻"),
        ],
    )
    other = make_koseki(
        family_name="高橋",
        members=[member("一", birth_date=date(1975, 1, 1)), member("翔", birth_date=child_birth)],
    )
    makoto, megumi = members_of(adopters)
    return makoto, megumi, members_of(other)[1]


def adopt(actor: Person, child: Member, father: Member, mother: Member, **kwargs: Any) -> Notification:
    return services.record_adoption(
        actor=actor, adoptee=child, adoptive_father=father, adoptive_mother=mother, adopted_on=TODAY,
        notified_on=TODAY, notifier_name="中村誠", notifier_capacity="養親及び養子の法定代理人(代諾者)", **kwargs,
    )  # fmt: skip


def test_a_minor_needs_the_family_court_and_under_15_a_proxy(in_nakatosa: None, clerk: Person) -> None:
    makoto, megumi, sho = _adopters_and_child(date(2016, 4, 1))  # 10 years old
    refused(AdoptionCourtPermissionRequired, lambda: adopt(clerk, sho, makoto, megumi, consenting_proxy="親権者父"))
    refused(AdoptionProxyRequired, lambda: adopt(clerk, sho, makoto, megumi, court_permission_on=date(2026, 11, 1)))
    adopt(clerk, sho, makoto, megumi, court_permission_on=date(2026, 11, 1), consenting_proxy="親権者父")
    placed = Member.objects.get(person_key=sho.person_key, koseki_id=makoto.koseki_id)
    for entry in Entry.objects.filter(member__person_key=sho.person_key, kind=EntryKind.ADOPTION):
        assert fields_of(entry)["代諾者"] == "親権者父"
    assert placed.adoptive_relationship == "養子"


def test_a_minor_of_15_files_without_a_proxy(in_nakatosa: None, clerk: Person) -> None:
    makoto, megumi, sho = _adopters_and_child(date(2010, 4, 1))  # 16 years old
    refused(
        AdoptionProxyNotAllowed,
        lambda: adopt(clerk, sho, makoto, megumi, court_permission_on=date(2026, 11, 1), consenting_proxy="親権者父"),
    )
    notification = adopt(clerk, sho, makoto, megumi, court_permission_on=date(2026, 11, 1))
    assert notification.details["court_permission_on"] == "2026-11-01"


def test_a_spouse_s_child_needs_no_court_permission(in_nakatosa: None, clerk: Person) -> None:
    family = make_koseki(
        family_name="中村",
        members=[
            member("誠", birth_date=date(1970, 1, 1), spouse_role="夫"),
            member("恵", birth_date=date(1972, 1, 1), sex="2", spouse_role="妻"),
        ],
    )
    makoto, megumi = members_of(family)
    child_reg = make_koseki(
        family_name="中村",
        members=[member("陸", birth_date=date(2016, 1, 1), mother_key=megumi.person_key, mother_name="中村恵")],
    )
    riku = members_of(child_reg)[0]
    # 恵's own son, adopted by her husband (and by her, jointly, 民法第795条): no permission (第798条ただし書).
    adopt(clerk, riku, makoto, megumi, consenting_proxy="親権者母")
    assert Member.objects.filter(person_key=riku.person_key, adoptive_father_key=makoto.person_key).exists()
