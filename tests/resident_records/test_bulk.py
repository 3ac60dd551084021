"""The bulk loader keeps the services' invariants, is all-or-nothing, and audits once per batch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from common.errors import ValidationFailed
from common.models import AuditEvent
from resident_records import mynumber, numbering, selectors, services
from resident_records.bulk import BULK_REASON, HouseholdInput, load_households
from resident_records.models import ChangeEvent, EventKind, Household, HouseholdRecord, Resident, ResidentRecord
from resident_records.services import Versioned
from tenants.models import Domain, Municipality, Person
from tests.resident_records.factories import family, person

TODAY = date(2026, 11, 27)
PURPOSE = "旧システムからのデータ移行"


@pytest.fixture
def in_nakatosa(db: Any) -> Iterator[None]:
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


def _households() -> list[HouseholdInput]:
    yamada = family()
    yamada[0] = replace(yamada[0], my_number="123456789018", resident_code="12345678901")
    # The child was born after the family settled here: 住民となった年月日 is the birthday.
    yamada[2] = replace(yamada[2], extra={"became_resident_on": yamada[2].birth_date})
    return [
        HouseholdInput(
            members=yamada, address="高知県高岡郡中土佐町久礼 1234番地", postal_code="789-1301",
            moved_in_on=date(2010, 4, 1),
        ),
        HouseholdInput(
            members=[person("浜田", "幸子", "はまだ", "ｻﾁｺ", birth=date(1940, 2, 3), sex="2")],
            address="高知県高岡郡中土佐町上ノ加江 55番地", moved_in_on=date(1975, 6, 1),
        ),
        HouseholdInput(
            members=[person("NGUYEN", "VAN HUNG", "グエン", "ヴァン フン", birth=date(2001, 7, 7),
                            resident_type="foreign", nationality="ベトナム", residence_status="技能実習",
                            residence_period_end=date(2027, 9, 30))],
            address="高知県高岡郡中土佐町久礼 77番地", moved_in_on=TODAY - timedelta(days=20),
            kind=EventKind.MOVE_IN, notified_on=TODAY - timedelta(days=3), previous_address="ベトナム",
        ),
    ]  # fmt: skip


def test_load_keeps_the_invariants_of_the_services(in_nakatosa: None, clerk: Person) -> None:
    audit_before = AuditEvent.objects.count()

    result = load_households(actor=clerk, households=_households(), purpose=PURPOSE)

    assert (result.households, result.residents, result.batches) == (3, 5, 1)
    residents = list(Resident.objects.order_by("atena_number"))
    assert len(residents) == 5
    assert residents[0].atena_number == result.first_atena_number
    for resident in residents:
        # 宛名番号 and 世帯番号 with their modulus-11 check digits (標準仕様書 §1.1.13).
        assert numbering.is_valid_number(resident.atena_number)
        assert numbering.is_valid_number(resident.household.number)
        assert resident.version == 1
        assert resident.status == "resident"
        # One record per resident, of its household's one event.
        [record] = resident.records.all()
        assert record.event.household_id == resident.household_id
        assert record.effective_on == resident.became_resident_on
        assert record.family_name == resident.family_name
        assert record.address == resident.address
        # Search keys exactly as the services build them.
        expected = Resident(**{f: getattr(resident, f) for f in ("family_name", "given_name", "former_surname",
                                                                 "alias", "family_name_kana", "given_name_kana",
                                                                 "former_surname_kana", "alias_kana")})  # fmt: skip
        services.search_keys(expected)
        assert (resident.search_name, resident.search_kana) == (expected.search_name, expected.search_kana)
    taro, hanako, ichiro, sachiko, nguyen = residents
    assert taro.household.head_id == taro.pk
    assert nguyen.household.head_id == nguyen.pk
    assert taro.address == "高知県高岡郡中土佐町久礼 1234番地"
    assert taro.postal_code == "789-1301"
    assert taro.became_resident_on == taro.address_set_on == date(2010, 4, 1)
    assert ichiro.became_resident_on == ichiro.birth_date
    assert (sachiko.family_name_kana, sachiko.given_name_kana) == ("ハマダ", "サチコ")  # normalised furigana
    assert mynumber.decrypt(taro.my_number_encrypted) == "123456789018"
    assert taro.my_number_index == mynumber.blind_index("123456789018")
    assert "123456789018" not in taro.my_number_encrypted
    assert not hanako.my_number_encrypted
    assert nguyen.resident_type == "foreign"
    assert nguyen.residence_status == "技能実習"

    events = list(ChangeEvent.objects.order_by("id"))
    assert [e.kind for e in events] == [EventKind.EX_OFFICIO_ENTRY, EventKind.EX_OFFICIO_ENTRY, EventKind.MOVE_IN]
    assert all(e.reason == BULK_REASON and e.actor_id == clerk.pk for e in events)
    # 職権記載 is 職権; a 転入 notified 17 days after the move is late (> 14 days): still a 届出, 期間経過
    # (住基法 第22条, 第52条), as on the clerk's screen.
    assert [(e.ex_officio, e.overdue) for e in events] == [(True, False), (True, False), (False, True)]
    assert HouseholdRecord.objects.count() == 3
    assert ResidentRecord.objects.count() == 5
    assert {hr.head_id for hr in HouseholdRecord.objects.all()} == {taro.pk, sachiko.pk, nguyen.pk}

    [row] = AuditEvent.objects.order_by("-seq")[: AuditEvent.objects.count() - audit_before]
    assert row.action == "resident.bulk_load"
    assert row.personal_data
    assert row.purpose == PURPOSE
    assert row.details["residents"] == 5
    assert row.details["households"] == 3
    assert row.details["first_atena_number"] == result.first_atena_number
    assert "山田" not in json.dumps(row.details, ensure_ascii=False) + row.object_repr  # no names in the trail


def test_loaded_households_work_with_the_services_and_history(in_nakatosa: None, clerk: Person) -> None:
    load_households(actor=clerk, households=_households()[:1], purpose=PURPOSE)
    household = Household.objects.get()
    services.record_change_of_address(
        actor=clerk, household=Versioned(household.pk, household.version), event_date=TODAY, notified_on=TODAY,
        address="高知県高岡郡中土佐町久礼 2000番地",
    )  # fmt: skip
    taro = Resident.objects.get(given_name="太郎")
    assert taro.address.endswith("2000番地")
    assert taro.version == 2
    before = selectors.resident_as_of(taro, TODAY - timedelta(days=1))
    assert before is not None
    assert before.address.endswith("1234番地")
    assert selectors.resident_as_of(taro, date(2010, 3, 31)) is None  # not yet a resident then
    members = selectors.household_members_as_of(household.pk, date(2011, 1, 1))
    assert {m.given_name for m in members} == {"太郎", "花子"}  # 一郎 was born in 2012


def test_one_audit_row_per_batch(in_nakatosa: None, clerk: Person) -> None:
    before = AuditEvent.objects.count()
    result = load_households(actor=clerk, households=_households(), purpose=PURPOSE, batch_size=2)
    # Batches close once they hold at least 2 residents: [山田 ×3], [浜田, NGUYEN].
    assert result.batches == 2
    assert len(result.audit_event_ids) == 2
    rows = list(AuditEvent.objects.filter(pk__in=result.audit_event_ids).order_by("seq"))
    assert [r.details["residents"] for r in rows] == [3, 2]
    assert AuditEvent.objects.count() == before + 2


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda hh: replace(hh, members=[replace(hh.members[0], relationship="妻")]), "世帯主"),
        (lambda hh: replace(hh, members=[replace(hh.members[0], my_number="123456789019")]), "個人番号"),
        (lambda hh: replace(hh, members=[replace(hh.members[0], birth_date=TODAY + timedelta(days=1))]), "生年月日"),
        (lambda hh: replace(hh, members=[replace(hh.members[0], family_name_kana="浜田")]), "カタカナ"),
        (lambda hh: replace(hh, members=[replace(hh.members[0], sex="3")]), "性別"),
        (lambda hh: replace(hh, moved_in_on=TODAY + timedelta(days=1)), "未来"),
        (lambda hh: replace(hh, address="  "), "住所"),
        (lambda hh: replace(hh, kind=EventKind.MOVE_IN, notified_on=date(1975, 5, 1)), "届出日"),
        (lambda hh: replace(hh, members=[]), "世帯員"),
        (lambda hh: replace(hh, kind=EventKind.DEATH), "異動事由"),
    ],
)
def test_a_bad_row_writes_nothing(in_nakatosa: None, clerk: Person, spoil: Any, message: str) -> None:
    households = _households()
    households[1] = spoil(households[1])
    counts = [m.objects.count() for m in (Resident, Household, ChangeEvent, ResidentRecord, AuditEvent)]

    with pytest.raises(ValidationFailed) as error:
        # batch_size=1: the first household is already COPYed when the second fails.
        load_households(actor=clerk, households=households, purpose=PURPOSE, batch_size=1)

    assert error.value.code == "invalid_bulk_row"
    assert error.value.message.startswith("2件目の世帯")
    assert message in error.value.message
    assert isinstance(error.value.details, dict)
    assert error.value.details["household"] == 2
    assert [m.objects.count() for m in (Resident, Household, ChangeEvent, ResidentRecord, AuditEvent)] == counts


def test_purpose_is_required(in_nakatosa: None, clerk: Person) -> None:
    with pytest.raises(ValidationFailed) as error:
        load_households(actor=clerk, households=_households(), purpose="  ")
    assert error.value.code == "purpose_required"
    assert not Resident.objects.exists()


# --- the benchmark scenario, at a tiny size (its shape, never its speed) ---------------------------------


@pytest.fixture
def committed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    # The scenario provisions scratch towns, which commits (so no rolled-back `db` transaction here); it
    # must do so in the test database only, which exists when another test of the run uses `db`.
    if not str(connection.settings_dict["NAME"]).startswith("test_"):
        pytest.fail("not the test database; run this test together with a test that uses the db fixture")
    with django_db_blocker.unblock():
        yield
        with connection.cursor() as cursor:
            cursor.execute(r"SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'bench\_%'")
            assert cursor.fetchone()[0] == 0
        assert not Municipality.objects.filter(schema_name__startswith="bench_").exists()
        assert not Domain.objects.filter(domain__endswith=".bench.invalid").exists()


def test_resident_import_bench_prints_one_json_line(committed: None) -> None:
    out = StringIO()
    call_command("bench", "resident_import", "--residents", "200", "--repeat", "1", stdout=out)
    [line] = [json.loads(text) for text in out.getvalue().splitlines()]
    assert line["scenario"] == "resident_import"
    assert line["unit"] == "rows/s"
    assert line["residents"] == 200
    assert line["households"] > 50
    assert line["runs"] == line["baseline_runs"] == 1
    assert 0 < line["min"] <= line["median"] <= line["max"]
    assert line["baseline_median"] > 0
    assert line["rows_per_second"] == round(line["median"])
    assert line["baseline_rows_per_second"] == round(line["baseline_median"])
    assert line["ratio_to_baseline"] == pytest.approx(line["median"] / line["baseline_median"], rel=1e-3)
    assert line["target_met"] is (line["ratio_to_baseline"] >= line["target_ratio"] == 0.3)
    assert 0 < line["peak_rss_mb_before"] <= line["peak_rss_mb"]
    assert line["memory_limit_mb"] == 500
    assert "COPY" in line["baseline"]
    assert line["host"]["cpus"] >= 1
