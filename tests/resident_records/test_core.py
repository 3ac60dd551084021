"""The register's core: numbers, My Number protection, 転入, 転居, history as of a date, concurrency."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from common.models import AuditEvent
from resident_records import mynumber, numbering, selectors, services
from resident_records.errors import InvalidEventDate, InvalidMyNumber, InvalidNotificationDate, ResidentConflict
from resident_records.models import ChangeEvent, Household, Resident, ResidentRecord
from resident_records.services import Versioned
from tenants.models import Person
from tests.resident_records.factories import family, person

TODAY = date(2026, 11, 27)


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture
def in_nakatosa(db: Any) -> Any:
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        yield


@pytest.mark.parametrize(
    ("body", "digit"),
    [
        ("0000000001", 9),  # 1x2 = 2; 11 - 2 = 9
        ("0000000002", 7),  # 2x2 = 4; 11 - 4 = 7
        ("0000000005", 1),  # 5x2 = 10; 11 - 10 = 1
        ("0000000006", 0),  # 6x2 = 12 -> remainder 1: not specified by the standard, Kyodo uses 0
        ("0000000011", 6),  # 1x2 + 1x3 = 5; 11 - 5 = 6
        ("1234567890", 3),  # weights 2..7,2..5 from the right: 195 -> remainder 8 -> 3
    ],
)
def test_check_digit_is_modulus_11_weights_2_to_7(body: str, digit: int) -> None:
    assert numbering.check_digit(body) == digit
    assert numbering.is_valid_number(body + str(digit))
    assert not numbering.is_valid_number(body + str((digit + 1) % 10))


def test_check_digit_known_values() -> None:
    # 12345: weights from the right 2,3,4,5,6 -> 5*2+4*3+3*4+2*5+1*6 = 50; 50 % 11 = 6; 11 - 6 = 5
    assert numbering.check_digit("12345") == 5
    # remainder 0 -> 0: 11 -> 1*2 + 1*3 ... choose "0000000000" (sum 0)
    assert numbering.check_digit("0000000000") == 0


@pytest.mark.parametrize("raw", ["123456789018", "１２３４ ５６７８ ９０１８", "1234-5678-9018"])
def test_my_number_is_validated_encrypted_and_indexed(raw: str) -> None:
    number = mynumber.validate(raw)
    assert number == "123456789018"
    token = mynumber.encrypt(number)
    assert number not in token
    assert mynumber.decrypt(token) == number
    assert mynumber.encrypt(number) != token  # a fresh nonce every time
    assert mynumber.blind_index(number) == mynumber.blind_index("123456789018")
    assert mynumber.mask(number) == "●●●●●●●●9018"


@pytest.mark.parametrize("raw", ["123456789019", "12345678901", "abcdefghijkl", ""])
def test_invalid_my_number_is_refused(raw: str) -> None:
    with pytest.raises(InvalidMyNumber):
        mynumber.validate(raw)


def test_move_in_of_a_family_creates_household_residents_records_and_audit(in_nakatosa: None, clerk: Person) -> None:
    before = AuditEvent.objects.count()
    members = family()
    members[0] = person(my_number="123456789018", resident_code="12345678901")
    members[1:] = family()[1:]
    event = services.record_move_in(
        actor=clerk, event_date=TODAY - timedelta(days=3), notified_on=TODAY, address="高知県高岡郡中土佐町久礼 1234",
        postal_code="789-1301", previous_address="高知県高知市本町一丁目1番1号", members=members,
    )  # fmt: skip
    household = event.household
    assert household is not None
    assert numbering.is_valid_number(household.number)
    residents = list(Resident.objects.filter(household=household).order_by("pk"))
    assert len(residents) == 3
    assert household.head_id == residents[0].pk
    for resident in residents:
        assert numbering.is_valid_number(resident.atena_number)
        assert resident.became_resident_on == resident.address_set_on == TODAY - timedelta(days=3)
        assert resident.records.count() == 1
    head = residents[0]
    assert head.my_number_encrypted
    assert "123456789018" not in head.my_number_encrypted
    assert mynumber.decrypt(head.my_number_encrypted) == "123456789018"
    assert not event.ex_officio
    rows = AuditEvent.objects.filter(pk__gt=0).order_by("-seq")[: AuditEvent.objects.count() - before]
    assert {r.action for r in rows} == {"resident.move_in"}
    assert all(r.purpose and r.personal_data for r in rows)
    assert all("山田" not in r.object_repr for r in rows)  # audit rows carry the 宛名番号, not the name


def test_kana_and_names_are_normalised(in_nakatosa: None, clerk: Person) -> None:
    event = services.record_move_in(
        actor=clerk, event_date=TODAY, notified_on=TODAY, address="中土佐町久礼　１",
        members=[person("佐藤", "　花子 ", "さとう", "ﾊﾅｺ", sex="2")],
    )  # fmt: skip
    resident = Resident.objects.get(household=event.household)
    assert (resident.given_name, resident.family_name_kana, resident.given_name_kana) == ("花子", "サトウ", "ハナコ")
    assert resident.search_kana == "サトウハナコ"


def test_late_notice_stays_a_notice_marked_overdue_and_future_dates_are_refused(
    in_nakatosa: None, clerk: Person
) -> None:
    late = services.record_move_in(
        actor=clerk, event_date=TODAY - timedelta(days=15), notified_on=TODAY, address="中土佐町上ノ加江 5",
        members=[person()],
    )  # fmt: skip
    # 住基法 第22条: a late 転入届 is still a 届出 (not 職権), marked 期間経過 for the 第52条 notice.
    assert (late.ex_officio, late.overdue) == (False, True)
    on_time = services.record_move_in(
        actor=clerk, event_date=TODAY - timedelta(days=14), notified_on=TODAY, address="中土佐町上ノ加江 6",
        members=[person()],
    )  # fmt: skip
    assert (on_time.ex_officio, on_time.overdue) == (False, False)
    events = ChangeEvent.objects.count()
    with pytest.raises(InvalidEventDate):
        services.record_move_in(
            actor=clerk, event_date=TODAY + timedelta(days=1), notified_on=TODAY, address="x", members=[person()]
        )
    with pytest.raises(InvalidNotificationDate):
        services.record_move_in(
            actor=clerk, event_date=TODAY - timedelta(days=2), notified_on=TODAY - timedelta(days=3), address="x",
            members=[person()],
        )  # fmt: skip
    assert ChangeEvent.objects.count() == events  # nothing half-written


def test_change_of_address_keeps_the_past_visible(in_nakatosa: None, clerk: Person) -> None:
    moved_in = services.record_move_in(
        actor=clerk, event_date=date(2026, 4, 1), notified_on=date(2026, 4, 1), address="中土佐町久礼 1",
        members=family(),
    )  # fmt: skip
    household = Household.objects.get(pk=moved_in.household_id)
    services.record_change_of_address(
        actor=clerk, household=Versioned(household.pk, household.version), event_date=date(2026, 10, 1),
        notified_on=date(2026, 10, 5), address="中土佐町矢井賀 2",
    )  # fmt: skip
    head = Resident.objects.get(pk=household.head_id)
    assert head.address == "中土佐町矢井賀 2"
    assert head.previous_address == "中土佐町久礼 1"
    assert head.address_set_on == date(2026, 10, 1)
    assert head.became_resident_on == date(2026, 4, 1)
    assert selectors.resident_as_of(head, date(2026, 9, 30)).address == "中土佐町久礼 1"  # type: ignore[union-attr]
    assert selectors.resident_as_of(head, date(2026, 10, 1)).address == "中土佐町矢井賀 2"  # type: ignore[union-attr]
    assert selectors.resident_as_of(head, date(2026, 3, 31)) is None
    assert len(selectors.household_members_as_of(household.pk, date(2026, 6, 1))) == 3


def test_second_clerk_with_a_stale_screen_gets_a_conflict_and_nothing_changes(in_nakatosa: None, clerk: Person) -> None:
    moved_in = services.record_move_in(
        actor=clerk, event_date=TODAY, notified_on=TODAY, address="中土佐町久礼 1", members=[person()]
    )
    household = Household.objects.get(pk=moved_in.household_id)
    seen = Versioned(household.pk, household.version)  # both clerks opened the same screen
    services.record_change_of_address(actor=clerk, household=seen, event_date=TODAY, notified_on=TODAY, address="A")
    records = ResidentRecord.objects.count()
    with pytest.raises(ResidentConflict) as refused:
        services.record_change_of_address(actor=clerk, household=seen, event_date=TODAY, notified_on=TODAY, address="B")
    assert "他の職員が先に更新しました" in refused.value.message
    assert Resident.objects.get(household=household).address == "A"
    assert ResidentRecord.objects.count() == records


@pytest.mark.parametrize("table", ["changeevent", "residentrecord", "householdrecord"])
def test_history_tables_refuse_update_and_delete(in_nakatosa: None, clerk: Person, table: str) -> None:
    services.record_move_in(actor=clerk, event_date=TODAY, notified_on=TODAY, address="x", members=[person()])
    for statement in (f"UPDATE resident_records_{table} SET id = id", f"DELETE FROM resident_records_{table}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
