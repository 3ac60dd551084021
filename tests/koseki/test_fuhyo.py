"""戸籍の附票: the resident register's 転入, 転居 and 転出 reach the 附票 of the 本籍地 — in the same town and
across the two towns on the platform (住基法 第19条), audited in both, never failing the clerk's 異動."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django_tenants.utils import schema_context

from common.models import AuditEvent
from koseki import fuhyo
from koseki.importer import FuhyoInput, MemberInput, RegisterInput, load_registers
from koseki.models import FuhyoEntry, Koseki, Member
from resident_records import services
from resident_records.services import PersonInput, Versioned
from tenants.models import Municipality, Person

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 27)
NAKATOSA_HONSEKI = "高知県高岡郡中土佐町久礼1234番地"
SHIMANTO_HONSEKI = "高知県高岡郡四万十町琴平町5番地"


def make_register(
    schema: str, *, honseki: str = NAKATOSA_HONSEKI, resident_code: str = "", with_line: bool = False
) -> Koseki:
    """山田太郎 (筆頭者) and 花子 in a register of ``schema`` (through the migration loader)."""
    husband = MemberInput(
        position=1, family_name="山田", given_name="太郎", birth_date=date(1980, 5, 1), sex="1", relationship="長男",
        is_head=True, spouse_role="夫", resident_code=resident_code,
    )  # fmt: skip
    wife = MemberInput(
        position=2, family_name="山田", given_name="花子", birth_date=date(1982, 8, 12), sex="2", relationship="長女",
        spouse_role="妻",
    )  # fmt: skip
    if with_line:
        husband.fuhyo.append(FuhyoInput(address="高知県高岡郡中土佐町久礼 1", address_set_on=date(2010, 4, 1)))
    register = RegisterInput(honseki=honseki, family_name="山田", compiled_on=date(2008, 6, 1), members=[husband, wife])
    with schema_context(schema):
        load_registers(actor=None, registers=[register], purpose="テスト用の戸籍")
        return Koseki.objects.get(honseki=honseki, family_name="山田")


def resident(
    given: str = "太郎", birth: date = date(1980, 5, 1), *, honseki: str = NAKATOSA_HONSEKI, code: str = ""
) -> PersonInput:
    return PersonInput(
        family_name="山田", given_name=given, family_name_kana="ヤマダ", given_name_kana="タロウ", birth_date=birth,
        sex="1" if given == "太郎" else "2", relationship="世帯主" if given == "太郎" else "妻", domicile=honseki,
        domicile_head="山田 太郎", resident_code=code,
    )  # fmt: skip


def move_in(schema: str, members: list[PersonInput], *, on: date = date(2026, 10, 1), address: str = "") -> Any:
    clerk = Person.objects.get(username="yamamoto")  # a clerk in both towns
    where = address or ("高知県高岡郡四万十町琴平町 10" if schema == "shimanto" else "高知県高岡郡中土佐町久礼 77")
    with schema_context(schema), time_machine.travel(TODAY, tick=False):
        return services.record_move_in(actor=clerk, event_date=on, notified_on=on, address=where, members=members)


def actions(schema: str, prefix: str = "koseki.fuhyo") -> list[str]:
    with schema_context(schema):
        return list(
            AuditEvent.objects.filter(action__startswith=prefix).order_by("seq").values_list("action", flat=True)
        )


def lines(schema: str) -> list[FuhyoEntry]:
    with schema_context(schema):
        return list(FuhyoEntry.objects.select_related("member").order_by("address_set_on", "id"))


def test_town_for_honseki_matches_the_platform_towns_by_name() -> None:
    assert fuhyo.town_for_honseki(NAKATOSA_HONSEKI).schema_name == "nakatosa"  # type: ignore[union-attr]
    assert fuhyo.town_for_honseki("高知県高岡郡 四万十町 大正1番地").schema_name == "shimanto"  # type: ignore[union-attr]
    assert fuhyo.town_for_honseki("四万十町十川3番地").schema_name == "shimanto"  # type: ignore[union-attr]
    assert fuhyo.town_for_honseki("高知県四万十市中村大橋通1番地") is None  # a city, not the town
    assert fuhyo.town_for_honseki("東京都千代田区霞が関1番地") is None
    assert fuhyo.town_for_honseki("") is None


def test_a_suspended_town_is_not_a_platform_town(towns: dict[str, Municipality]) -> None:
    Municipality.objects.filter(schema_name="shimanto").update(status=Municipality.Status.SUSPENDED)
    assert fuhyo.town_for_honseki(SHIMANTO_HONSEKI) is None


def test_move_in_with_honseki_in_the_same_town_adds_the_line_and_links_the_member() -> None:
    koseki = make_register("nakatosa")
    move_in("nakatosa", [resident(code="12345678901")])

    (line,) = lines("nakatosa")
    assert (line.koseki_id, line.member.given_name) == (koseki.pk, "太郎")
    assert (line.address, line.address_set_on) == ("高知県高岡郡中土佐町久礼 77", date(2026, 10, 1))
    assert (line.source_event, line.source_town_code) == ("転入", "394017")
    with schema_context("nakatosa"):
        assert Member.objects.get(pk=line.member_id).resident_code == "12345678901"  # matched by name, now linked
        row = AuditEvent.objects.get(action="koseki.fuhyo_update")
    assert row.personal_data
    assert row.object_id == str(koseki.pk)
    assert "山田" not in row.object_repr
    assert actions("nakatosa") == ["koseki.fuhyo_update"]  # no notice to another town


def test_move_in_to_shimanto_updates_the_nakatosa_fuhyo_audited_in_both_towns() -> None:
    """The cross-town case of the issue: 本籍 中土佐町, 住所 四万十町."""
    koseki = make_register("nakatosa")
    move_in("shimanto", [resident(), resident("花子", date(1982, 8, 12))])

    found = lines("nakatosa")
    assert [(line.member.given_name, line.source_event, line.source_town_code) for line in found] == [
        ("太郎", "転入", "394122"),
        ("花子", "転入", "394122"),
    ]
    assert {line.koseki_id for line in found} == {koseki.pk}
    assert found[0].address == "高知県高岡郡四万十町琴平町 10"
    assert lines("shimanto") == []  # nothing is written in the 住所地's own schema
    assert actions("nakatosa") == ["koseki.fuhyo_update", "koseki.fuhyo_update"]
    assert actions("shimanto") == ["koseki.fuhyo_notice", "koseki.fuhyo_notice"]
    with schema_context("shimanto"):
        notice = AuditEvent.objects.filter(action="koseki.fuhyo_notice").first()
    assert notice is not None
    assert notice.details["to_town_code"] == "394017"
    assert notice.personal_data


def test_change_of_address_and_move_out_add_lines_and_keep_the_history() -> None:
    make_register("nakatosa", with_line=True)
    clerk = Person.objects.get(username="tanaka")
    event = move_in("nakatosa", [resident(code="12345678901")], on=date(2026, 4, 1))
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        household = event.household
        household.refresh_from_db()
        services.record_change_of_address(
            actor=clerk, household=Versioned(household.pk, household.version), event_date=date(2026, 9, 1),
            notified_on=date(2026, 9, 2), address="高知県高岡郡中土佐町上ノ加江 8",
        )  # fmt: skip
        head = household.head
        head.refresh_from_db()
        household.refresh_from_db()
        services.plan_move_out(
            actor=clerk, household=Versioned(household.pk, household.version), event_date=date(2026, 11, 1),
            notified_on=date(2026, 10, 20), destination="高知県高知市本町一丁目 1-1",
        )  # fmt: skip
        head.refresh_from_db()
        assert len(lines("nakatosa")) == 3  # a planned 転出 is not an address yet
        services.confirm_move_out(
            actor=clerk, residents=[Versioned(head.pk, head.version)], moved_on=date(2026, 11, 2),
            notice_received_on=date(2026, 11, 10),
        )  # fmt: skip

    history = [(line.address, line.address_set_on, line.source_event) for line in lines("nakatosa")]
    assert history == [
        ("高知県高岡郡中土佐町久礼 1", date(2010, 4, 1), "移行"),
        ("高知県高岡郡中土佐町久礼 77", date(2026, 4, 1), "転入"),
        ("高知県高岡郡中土佐町上ノ加江 8", date(2026, 9, 1), "転居"),
        ("高知県高知市本町一丁目 1-1", date(2026, 11, 2), "転出"),
    ]
    with schema_context("nakatosa"):
        koseki = Koseki.objects.get(honseki=NAKATOSA_HONSEKI)
        assert [line.address_set_on for line in fuhyo.fuhyo_lines(koseki=koseki)] == [h[1] for h in history]


def test_a_move_both_towns_report_is_recorded_once() -> None:
    """転入 at 四万十町 first, then 中土佐町 confirms the 転出 of the same day: one line, the 転入's address."""
    make_register("shimanto", honseki=SHIMANTO_HONSEKI)
    clerk = Person.objects.get(username="yamamoto")
    event = move_in("nakatosa", [resident(honseki=SHIMANTO_HONSEKI)], on=date(2026, 4, 1))
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        household = event.household
        household.refresh_from_db()
        services.plan_move_out(
            actor=clerk, household=Versioned(household.pk, household.version), event_date=date(2026, 10, 1),
            notified_on=date(2026, 9, 25), destination="四万十町琴平町10",
        )  # fmt: skip
    move_in("shimanto", [resident(honseki=SHIMANTO_HONSEKI)], on=date(2026, 10, 1))
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        head = household.head
        head.refresh_from_db()
        services.confirm_move_out(
            actor=clerk, residents=[Versioned(head.pk, head.version)], moved_on=date(2026, 10, 1),
            notice_received_on=date(2026, 10, 5),
        )  # fmt: skip
    found = [(line.address, line.source_event) for line in lines("shimanto")]
    assert found == [("高知県高岡郡中土佐町久礼 77", "転入"), ("高知県高岡郡四万十町琴平町 10", "転入")]


def test_no_matching_person_or_honseki_elsewhere_writes_nothing_and_never_fails_the_move() -> None:
    make_register("nakatosa")
    event = move_in(
        "shimanto",
        [
            replace(resident("次郎", date(1990, 1, 1)), relationship="同居人"),  # 本籍 中土佐町, not in that register
            PersonInput(
                family_name="鈴木", given_name="一", family_name_kana="スズキ", given_name_kana="ハジメ",
                birth_date=date(1970, 1, 1), sex="1", relationship="世帯主", domicile="東京都千代田区霞が関1番地",
                domicile_head="鈴木 一",
            ),
        ],
        address="高知県高岡郡四万十町大正 3",
    )  # fmt: skip
    assert event.pk is not None
    assert lines("nakatosa") == []
    assert actions("nakatosa") == []
    assert actions("shimanto") == []


def test_a_rolled_back_move_leaves_no_line_in_either_town() -> None:
    make_register("nakatosa")
    with pytest.raises(RuntimeError), transaction.atomic():
        move_in("shimanto", [resident()])
        assert len(lines("nakatosa")) == 1
        raise RuntimeError("the 異動 fails after the notice")
    assert lines("nakatosa") == []
    assert actions("nakatosa") == []
    assert actions("shimanto") == []


def test_the_resident_code_finds_the_member_even_when_the_name_differs() -> None:
    """住民票コード is the link once recorded: a 異体字 or a changed name on the 住民票 still finds the person."""
    make_register("nakatosa", resident_code="99999999999")
    person = resident(code="99999999999")
    move_in("nakatosa", [replace(person, family_name="山﨑")])
    (line,) = lines("nakatosa")
    assert line.member.given_name == "太郎"


def test_a_removed_member_or_closed_register_is_not_updated() -> None:
    koseki = make_register("nakatosa")
    with schema_context("nakatosa"):
        Member.objects.filter(koseki=koseki, given_name="太郎").update(
            is_removed=True, removed_on=date(2020, 1, 1), removed_reason="死亡"
        )
    move_in("nakatosa", [resident()])
    assert lines("nakatosa") == []
