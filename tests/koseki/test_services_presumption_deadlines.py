"""民法 第772条 (as in force from 2024-04-01) in the 出生届, and the 届出期間 with the 失期通知 (戸籍法 第137条)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from koseki import deadlines, selectors, services
from koseki.errors import (
    BirthFatherNotPresumed,
    BirthFatherPresumed,
    ConceptionCertificateNotApplicable,
)
from koseki.models import Koseki, Member, Notification, NotificationKind
from koseki.services import OutsidePerson
from tenants.models import Person
from tests.koseki.factories import (
    audit_actions,
    clerk,
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


def birth(actor: Person, mother: Member, **kwargs: Any) -> Notification:
    values: dict[str, Any] = {
        "father": None,
        "given_name": "陽斗",
        "given_name_kana": "ハルト",
        "sex": "1",
        "birth_date": date(2026, 10, 1),
        "birth_place": "高知県高岡郡中土佐町",
        "notified_on": date(2026, 10, 5),
        "notifier_name": "鈴木愛",
        "notifier_capacity": "母",
        **kwargs,
    }
    return services.record_birth(actor=actor, mother=mother, **values)


def divorced_couple(actor: Person, *, divorced_on: date) -> tuple[Member, Member]:
    """佐藤健 (筆頭者) and 鈴木愛, married 2024-04-01 in his register and divorced on ``divorced_on``: she returns to
    her parents' register. Returns (his row in the marriage's register, her current row)."""
    parents = make_koseki(
        family_name="鈴木",
        family_name_kana="スズキ",
        members=[
            member("一男", birth_date=date(1970, 1, 1)),
            member("愛", birth_date=date(1998, 2, 2), sex="2", given_name_kana="アイ"),
        ],
    )
    his = single_head("健", family_name="佐藤", family_name_kana="サトウ")
    services.record_marriage(
        actor=actor,
        husband=members_of(his)[0],
        wife=members_of(parents)[1],
        surname_of="husband",
        married_on=date(2024, 4, 1),
        notified_on=date(2024, 4, 1),
    )
    husband, wife = members_of(his)
    services.record_divorce(actor=actor, husband=husband, wife=wife, divorced_on=divorced_on, notified_on=divorced_on)
    return Member.objects.get(pk=husband.pk), Member.objects.get(koseki=parents, person_key=wife.person_key)


# --- 嫡出推定 ----------------------------------------------------------------------------------------


def test_within_300_days_of_a_divorce_the_former_husband_is_the_father(in_nakatosa: None, clerk: Person) -> None:
    ken, ai = divorced_couple(clerk, divorced_on=date(2026, 3, 1))
    # 214 days after the divorce: presumed 健's child, so a fatherless 出生届 is refused (第772条第2項).
    err = refused(BirthFatherPresumed, lambda: birth(clerk, ai))
    assert "佐藤健" in err.message
    notification = birth(clerk, ai, father=ken)
    child = Member.objects.get(pk=notification.details["child_member_id"])
    # The child takes the surname the parents had at the divorce and enters that marriage's register
    # (民法 第790条第1項ただし書, 戸籍法 第18条第1項).
    assert child.koseki_id == ken.koseki_id
    assert child.family_name == "佐藤"
    assert child.father_key == ken.person_key
    assert child.mother_key == ai.person_key
    assert child.mother_name == "鈴木愛"
    assert notification.details["presumption"] == "婚姻の解消後300日以内の出生"


def test_a_former_husband_removed_from_her_register_by_the_divorce_may_be_named(
    in_nakatosa: None, clerk: Person
) -> None:
    """She kept her register (婚姻 with her surname); the divorce removed him from it. He is still the presumed
    father (第772条第2項): the page offers his removed row and the service accepts it (only a father removed for
    another reason, e.g. 分籍, is refused as already removed)."""
    hers = single_head("愛", family_name="鈴木", family_name_kana="スズキ", sex="2", birth_date=date(1998, 2, 2))
    his = single_head("健", family_name="佐藤", family_name_kana="サトウ", birth_date=date(1995, 5, 5))
    services.record_marriage(
        actor=clerk,
        husband=members_of(his)[0],
        wife=members_of(hers)[0],
        surname_of="wife",
        married_on=date(2024, 4, 1),
        notified_on=date(2024, 4, 1),
    )
    ai = Member.objects.get(koseki=hers, given_name="愛")
    ken = Member.objects.get(koseki=hers, given_name="健")
    services.record_divorce(
        actor=clerk, husband=ken, wife=ai, divorced_on=date(2026, 3, 1), notified_on=date(2026, 3, 1)
    )
    ken.refresh_from_db()
    ai.refresh_from_db()
    assert ken.is_removed
    assert ken.pk in [m.pk for m in services.birth_parent_candidates(koseki=hers)]
    notification = birth(clerk, ai, father=ken)
    child = Member.objects.get(pk=notification.details["child_member_id"])
    assert child.father_key == ken.person_key
    assert child.koseki_id == hers.pk


def test_a_conception_certificate_lets_the_child_be_recorded_without_the_former_husband(
    in_nakatosa: None, clerk: Person
) -> None:
    ken, ai = divorced_couple(clerk, divorced_on=date(2026, 3, 1))
    notification = birth(clerk, ai, conception_certificate=True)
    child = Member.objects.get(pk=notification.details["child_member_id"])
    assert child.father_name == ""
    assert child.family_name == "鈴木"
    assert notification.details["conception_certificate"] is True
    # Back in her parents' register she is neither 筆頭者 nor spouse: a register of her own (戸籍法 第17条).
    assert Koseki.objects.get(pk=child.koseki_id).head_given_name == "愛"
    assert child.koseki_id != ken.koseki_id


def test_after_300_days_nobody_is_presumed(in_nakatosa: None, clerk: Person) -> None:
    ken, ai = divorced_couple(clerk, divorced_on=date(2025, 11, 1))
    # 2026-10-01 is 334 days after the divorce: the former husband is not presumed; his paternity is a 認知.
    refused(BirthFatherNotPresumed, lambda: birth(clerk, ai, father=ken))
    refused(ConceptionCertificateNotApplicable, lambda: birth(clerk, ai, conception_certificate=True))
    notification = birth(clerk, ai)
    assert Member.objects.get(pk=notification.details["child_member_id"]).father_name == ""


def test_remarriage_before_the_birth_makes_the_later_husband_the_father(in_nakatosa: None, clerk: Person) -> None:
    ken, ai = divorced_couple(clerk, divorced_on=date(2026, 3, 1))
    # No 再婚禁止期間 any more: she marries again the day after the divorce.
    second = single_head("誠", family_name="中村", family_name_kana="ナカムラ", birth_date=date(1990, 6, 6))
    services.record_marriage(
        actor=clerk,
        husband=members_of(second)[0],
        wife=ai,
        surname_of="husband",
        married_on=date(2026, 3, 2),
        notified_on=date(2026, 3, 2),
    )
    makoto, wife = members_of(second)
    # Born 214 days after the divorce, but after the remarriage: the later husband's (第772条第3項).
    refused(BirthFatherNotPresumed, lambda: birth(clerk, wife, father=ken))
    refused(BirthFatherPresumed, lambda: birth(clerk, wife))
    notification = birth(clerk, wife, father=makoto)
    child = Member.objects.get(pk=notification.details["child_member_id"])
    assert child.koseki_id == second.pk
    assert child.father_key == makoto.person_key


def test_a_child_born_more_than_300_days_after_the_husband_s_death(in_nakatosa: None, clerk: Person) -> None:
    family = yamada_family()
    taro, hanako, _, _ = members_of(family)
    services.record_death(
        actor=clerk,
        member=taro,
        died_on=date(2025, 11, 1),
        death_place="高知県高知市",
        notified_on=date(2025, 11, 2),
        notifier_name="山田花子",
        notifier_capacity="妻",
    )
    widow = Member.objects.get(pk=hanako.pk)
    refused(BirthFatherNotPresumed, lambda: birth(clerk, widow, father=Member.objects.get(pk=taro.pk)))
    notification = birth(clerk, widow)
    child = Member.objects.get(pk=notification.details["child_member_id"])
    assert child.father_name == ""
    assert child.koseki_id == family.pk  # she is still 妻 of this register: the child enters it


# --- 届出期間 --------------------------------------------------------------------------------------


def test_periods_count_the_first_day_and_skip_closed_days() -> None:
    assert deadlines.due_date(NotificationKind.BIRTH, date(2026, 10, 1)) == date(2026, 10, 14)
    # 11月14日 is a Saturday: the period ends on Monday (民法 第142条).
    assert deadlines.due_date(NotificationKind.BIRTH, date(2026, 11, 1)) == date(2026, 11, 16)
    # 7 days from 12月28日 end in the office's New Year closing: 1月4日.
    assert deadlines.due_date(NotificationKind.DEATH, date(2026, 12, 28)) == date(2027, 1, 4)
    assert deadlines.due_date(NotificationKind.NATURALIZATION, date(2026, 3, 10)) == date(2026, 4, 9)
    assert deadlines.due_date(NotificationKind.MARRIAGE, date(2026, 3, 10)) is None  # 創設的届出


def test_a_late_birth_is_accepted_marked_and_listed_for_the_summary_court(in_nakatosa: None, clerk: Person) -> None:
    family = yamada_family()
    taro, hanako, _, _ = members_of(family)
    on_time = birth(clerk, hanako, father=taro, birth_date=date(2026, 10, 1), notified_on=date(2026, 10, 14))
    late = birth(
        clerk,
        hanako,
        father=taro,
        given_name="結",
        given_name_kana="ユイ",
        sex="2",
        birth_date=date(2026, 10, 2),
        notified_on=date(2026, 10, 20),
    )
    assert on_time.is_late is False
    assert on_time.due_on == date(2026, 10, 14)
    assert late.is_late is True
    assert late.due_on == date(2026, 10, 15)
    listed = selectors.late_notifications(
        actor=clerk, since=date(2026, 11, 1), until=date(2026, 11, 30), purpose="失期通知の作成"
    )
    assert listed == [late]
    assert audit_actions()[-1] == "koseki.late_notice_list"


def test_death_period_runs_from_the_day_the_death_became_known(in_nakatosa: None, clerk: Person) -> None:
    family = yamada_family()
    taro = members_of(family)[0]
    notification = services.record_death(
        actor=clerk,
        member=taro,
        died_on=date(2026, 10, 1),
        death_place="山中",
        notified_on=date(2026, 10, 20),
        notifier_name="山田花子",
        notifier_capacity="同居の親族",
        learned_on=date(2026, 10, 18),
    )
    assert notification.is_late is False
    assert notification.due_on == date(2026, 10, 26)


def test_the_late_notice_page_prints_the_list(in_nakatosa: None, clerk: Person, client_for: Any) -> None:
    family = yamada_family()
    taro, hanako, _, _ = members_of(family)
    late = birth(clerk, hanako, father=taro, birth_date=date(2026, 10, 2), notified_on=date(2026, 10, 20))
    response = client_for("tanaka", "nakatosa").get("/koseki/late-notices/?since=2026-11-01&until=2026-11-30")
    page = response.content.decode()
    assert response.status_code == 200
    assert late.number in page
    assert "届出期間経過通知書" in page
    assert "戸籍法第49条第1項" in page


__all__ += ["OutsidePerson"]


def test_a_migrated_divorce_names_the_former_husband_by_name(in_nakatosa: None, clerk: Person) -> None:
    from koseki.models import Entry, EntryKind

    his = single_head("健", family_name="佐藤", family_name_kana="サトウ")
    ken = members_of(his)[0]
    hers = make_koseki(family_name="鈴木", members=[member("愛", birth_date=date(1995, 2, 2), sex="2")])
    ai = members_of(hers)[0]
    # Migrated lines, without the 届出 behind them: married in 2020, divorced on 2026-03-01.
    for kind, on, fields in (
        (EntryKind.MARRIAGE, date(2020, 1, 1), [["婚姻日", "令和2年1月1日"], ["配偶者氏名", "佐藤健"]]),
        (EntryKind.DIVORCE, date(2026, 3, 1), [["離婚日", "令和8年3月1日"], ["配偶者氏名", "佐藤健"]]),
    ):
        Entry.objects.create(koseki=hers, member=ai, kind=kind, event_date=on, fields=fields)
    refused(BirthFatherPresumed, lambda: birth(clerk, ai))
    notification = birth(clerk, ai, father=ken)
    child = Member.objects.get(pk=notification.details["child_member_id"])
    assert child.father_key == ken.person_key
    assert child.koseki_id == his.pk


def test_a_birth_abroad_has_three_months(in_nakatosa: None, clerk: Person) -> None:
    assert deadlines.due_date(NotificationKind.BIRTH, date(2026, 8, 20), abroad=True) == date(2026, 11, 19)
    family = yamada_family()
    taro, hanako, _, _ = members_of(family)
    notification = birth(
        clerk,
        hanako,
        father=taro,
        birth_place="アメリカ合衆国ハワイ州",
        born_abroad=True,
        birth_date=date(2026, 8, 20),
        notified_on=date(2026, 11, 10),
    )
    assert notification.is_late is False
    assert notification.due_on == date(2026, 11, 19)


def test_the_notification_log_api_shows_the_late_mark(in_nakatosa: None, clerk: Person, client_for: Any) -> None:
    family = yamada_family()
    taro, hanako, _, _ = members_of(family)
    late = birth(clerk, hanako, father=taro, birth_date=date(2026, 10, 2), notified_on=date(2026, 10, 20))
    body = client_for("auditor", "nakatosa").get("/api/v1/koseki/notifications/", {"kind": "birth"}).json()
    row = next(r for r in body["results"] if r["number"] == late.number)
    assert row["is_late"] is True
    assert row["due_on"] == "2026-10-15"
