"""Issue 10 §9–§11: the dates of a 異動, one validator for the clerk's forms and the bulk import (both updating the
附票), and input as a clerk types it. Each case failed on the code before (see the comments)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django_tenants.utils import schema_context

from common.errors import ValidationFailed
from common.models import AuditEvent
from koseki.models import FuhyoEntry
from resident_records import selectors, services, validation
from resident_records.bulk import HouseholdInput, load_households
from resident_records.errors import InvalidNotificationDate
from resident_records.models import ChangeEvent, EventKind, Resident
from resident_records.services import PersonInput
from tenants.models import Person
from tests.koseki.test_fuhyo import NAKATOSA_HONSEKI, make_register
from tests.resident_records.factories import move_in_family, person, versioned

TODAY = date(2026, 11, 27)
ADDRESS = "高知県高岡郡中土佐町久礼 1234番地"


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def in_nakatosa(db: Any) -> Iterator[None]:
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        yield


# --- 10.9 dates of 異動 ---------------------------------------------------------------------------------


def test_an_empty_notification_date_is_an_error_not_a_silent_ex_officio(in_nakatosa: None, clerk: Person) -> None:
    before = ChangeEvent.objects.count()
    with pytest.raises(InvalidNotificationDate) as error:  # before: recorded 職権 without a word
        services.record_move_in(actor=clerk, event_date=TODAY, notified_on=None, address=ADDRESS, members=[person()])
    assert error.value.code == "notification_date_required"
    assert ChangeEvent.objects.count() == before


def test_late_change_of_address_stays_a_notice_marked_overdue(in_nakatosa: None, clerk: Person) -> None:
    household, _ = move_in_family(clerk, on=date(2026, 4, 1))
    event = services.record_change_of_address(
        actor=clerk, household=versioned(household), event_date=TODAY - timedelta(days=30), notified_on=TODAY,
        address="高知県高岡郡中土佐町矢井賀 2",
    )  # fmt: skip
    assert (event.ex_officio, event.overdue) == (False, True)  # before: 職権


def test_late_move_out_notice_is_entered_ex_officio(in_nakatosa: None, clerk: Person) -> None:
    household, _ = move_in_family(clerk, on=date(2026, 4, 1))
    event = services.plan_move_out(
        actor=clerk, household=versioned(household), event_date=TODAY - timedelta(days=15), notified_on=TODAY,
        destination="東京都千代田区霞が関1丁目1番1号",
    )  # fmt: skip
    assert (event.ex_officio, event.overdue) == (True, False)  # 標準仕様書 §4.1.3.0.1


def test_death_notice_period_is_seven_days(in_nakatosa: None, clerk: Person) -> None:
    _, (_, wife, son) = move_in_family(clerk, on=date(2026, 4, 1))
    late = services.record_death(
        actor=clerk, resident=versioned(son), died_on=TODAY - timedelta(days=8), notified_on=TODAY
    )
    assert late.overdue  # 戸籍法 第86条: 7 days (before: 14)
    on_time = services.record_death(
        actor=clerk, resident=versioned(wife), died_on=TODAY - timedelta(days=7), notified_on=TODAY
    )
    assert not on_time.overdue


def test_overdue_notice_list_names_the_late_resident_notices_and_is_audited(in_nakatosa: None, clerk: Person) -> None:
    late_in = services.record_move_in(
        actor=clerk, event_date=TODAY - timedelta(days=40), notified_on=TODAY, address=ADDRESS,
        members=[person("遅延", "一郎", "チエン", "イチロウ")],
    )  # fmt: skip
    services.record_move_in(
        actor=clerk, event_date=TODAY - timedelta(days=3), notified_on=TODAY, address=ADDRESS,
        members=[person("期限内", "花子", "キゲンナイ", "ハナコ", sex="2")],
    )  # fmt: skip
    rows = selectors.overdue_notices(
        actor=clerk, purpose="住基法第52条の通知の作成", since=TODAY - timedelta(days=90), until=TODAY
    )
    assert [row.event.pk for row in rows] == [late_in.pk]
    assert rows[0].names == ["遅延 一郎"]
    assert rows[0].days_late == 40 - 14
    audit_row = AuditEvent.objects.filter(action="resident.overdue_notices").latest("seq")
    assert audit_row.personal_data
    assert audit_row.details["events"] == [late_in.pk]


def test_overdue_notice_page_is_printable(clerk: Person, client_for: Any) -> None:
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        services.record_move_in(
            actor=clerk, event_date=TODAY - timedelta(days=40), notified_on=TODAY, address=ADDRESS,
            members=[person("遅延", "一郎", "チエン", "イチロウ")],
        )  # fmt: skip
        url = reverse("resident_records:overdue_notices")
    client = client_for("tanaka", "nakatosa")
    with time_machine.travel(TODAY, tick=False):
        assert client.get(url, {"purpose": "第52条通知"}).status_code == 302  # the purpose gate remembers it
        body = client.get(url, {"since": "令和8年1月1日", "until": "令和8年11月27日"}).content.decode()
    assert "遅延 一郎" in body
    assert "window.print()" in body
    assert "令和8年10月18日" in body  # the 異動日 in 和暦


# --- 10.10 one validator for the forms (services) and the bulk import -----------------------------------

INVALID_PEOPLE = [
    pytest.param({"birth_date": TODAY + timedelta(days=1)}, "生年月日が未来", id="birth-in-future"),
    pytest.param({"family_name": "長" * 51}, "氏は50文字以内", id="family-name-too-long"),
    pytest.param({"given_name_kana": "たろう1"}, "カタカナ", id="kana-not-katakana"),
    pytest.param({"family_name": " "}, "氏を入力", id="family-name-empty"),
    pytest.param({"sex": "9"}, "性別", id="bad-sex"),
]


@pytest.mark.parametrize(("change", "message"), INVALID_PEOPLE)
def test_the_service_refuses_what_the_import_refuses(
    in_nakatosa: None, clerk: Person, change: dict[str, Any], message: str
) -> None:
    bad = replace(person(), **change)
    # The service (what the clerk's form calls); before, a future birth date and a 51-character name got in.
    with pytest.raises(ValidationFailed, match=message):
        services.record_move_in(actor=clerk, event_date=TODAY, notified_on=TODAY, address=ADDRESS, members=[bad])
    # The bulk loader: the same rule, the same message, naming the row.
    with pytest.raises(ValidationFailed, match=message) as error:
        load_households(
            actor=clerk,
            purpose="データ移行",
            households=[HouseholdInput(members=[bad], address=ADDRESS, moved_in_on=TODAY)],
        )
    assert error.value.details["member"] == 1


def test_the_move_in_form_shows_the_future_birth_date_error(clerk: Person, client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    with schema_context("nakatosa"):
        url = reverse("resident_records:move_in")
        before = Resident.objects.count()
    data = {
        "entry_kind": "move_in", "event_date": "令和8年11月27日", "notified_on": "令和8年11月27日",
        "address": ADDRESS, "previous_address": "高知県高知市本町1丁目", "members-TOTAL_FORMS": "4",
        "members-INITIAL_FORMS": "0", "members-0-family_name": "山田", "members-0-given_name": "太郎",
        "members-0-family_name_kana": "ヤマダ", "members-0-given_name_kana": "タロウ",
        "members-0-birth_date": "令和9年1月1日", "members-0-sex": "1", "members-0-relationship": "世帯主",
    }  # fmt: skip
    with time_machine.travel(TODAY, tick=False):
        response = client.post(url, data)
    assert "生年月日が未来の日付です" in response.content.decode()
    with schema_context("nakatosa"):
        assert Resident.objects.count() == before


def test_the_bulk_import_updates_the_fuhyo_like_the_move_in_service(clerk: Person) -> None:
    koseki = make_register("nakatosa")
    taro = PersonInput(
        family_name="山田", given_name="太郎", family_name_kana="ヤマダ", given_name_kana="タロウ",
        birth_date=date(1980, 5, 1), sex="1", relationship="世帯主", domicile=NAKATOSA_HONSEKI,
        domicile_head="山田 太郎",
    )  # fmt: skip
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        load_households(
            actor=clerk, purpose="データ移行",
            households=[
                HouseholdInput(members=[taro], address="高知県高岡郡中土佐町矢井賀 3", moved_in_on=date(2020, 4, 1))
            ],
        )  # fmt: skip
        lines = list(FuhyoEntry.objects.filter(koseki=koseki).select_related("member"))
    # Before: the import wrote no 附票 line at all.
    assert [(line.member.given_name, line.address, line.address_set_on) for line in lines] == [
        ("太郎", "高知県高岡郡中土佐町矢井賀 3", date(2020, 4, 1))
    ]
    assert lines[0].source_event == EventKind.EX_OFFICIO_ENTRY.label


# --- 10.11 input as typed --------------------------------------------------------------------------------


def test_full_width_digits_and_hyphens_in_addresses_and_postal_codes_are_normalised(
    in_nakatosa: None, clerk: Person
) -> None:
    event = services.record_move_in(
        actor=clerk, event_date=TODAY, notified_on=TODAY, address="高知県高岡郡中土佐町久礼　１２３４－５",
        address_detail="コーポ久礼　２０１", postal_code="７８９ー１３０１", members=[person()],
    )  # fmt: skip
    resident = Resident.objects.get(household=event.household)
    assert resident.address == "高知県高岡郡中土佐町久礼 1234-5"
    assert resident.address_detail == "コーポ久礼 201"
    assert resident.postal_code == "789-1301"


def test_postal_code_forms() -> None:
    assert validation.normalize_postal_code("〒7891301") == "789-1301"
    assert validation.normalize_postal_code("") == ""
    with pytest.raises(ValidationFailed, match="7桁"):
        validation.normalize_postal_code("789-130")


def test_a_katakana_place_keeps_its_prolonged_sound_mark() -> None:
    assert validation.normalize_address("中土佐町久礼 ケーブルハイツ１２ー３") == "中土佐町久礼 ケーブルハイツ12-3"


def test_an_overlong_reason_is_an_error_not_a_silent_cut(in_nakatosa: None, clerk: Person) -> None:
    with pytest.raises(ValidationFailed, match="200文字以内"):
        services.record_ex_officio_entry(
            actor=clerk, event_date=TODAY, address=ADDRESS, members=[person()], reason="理" * 201
        )
