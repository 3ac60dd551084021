"""The set-based CSV import (csv_load/csv_write, the background job's path) applies the one validator of every way
into the register (resident_records.validation) and keeps the search's n-gram keys (docs/domain/resident_register.md
§9, docs/performance.md).

Each case failed before the merge of the two: the import kept full-width addresses and postal codes as typed,
refused over-long furigana only at the database, and wrote no ``search_grams``, so the clerk's search did not
find an imported resident."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django_tenants.utils import schema_context

from resident_records import csv_io, search, selectors
from resident_records.models import Resident, SearchGrams
from tenants.models import Person
from tests.resident_records.test_csv_io import PURPOSE, TODAY, row, to_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture(autouse=True)
def in_nakatosa(db: Any) -> Iterator[None]:
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        yield


def test_imported_residents_are_found_by_the_search(clerk: Person) -> None:
    report = csv_io.import_csv(
        actor=clerk, data=to_csv([row(氏="美濃部", 名="咲", 氏フリガナ="ミノベ", 名フリガナ="サキ")]), purpose=PURPOSE
    )
    assert not report.errors
    imported = Resident.objects.get(family_name="美濃部")
    assert imported.search_address == search.address_key(imported.address)
    grams = Resident.objects.annotate(grams=SearchGrams()).values_list("grams", flat=True).get(pk=imported.pk)
    assert sorted(set(grams)) == search.index_grams(
        search_name=imported.search_name, search_kana=imported.search_kana, address=imported.address
    )
    # A single kanji, two kana from inside the name and part of the address: the n-gram search of docs/performance.md.
    for criteria in ({"query": "咲"}, {"query": "のべ"}, {"address": "久礼 9001"}):
        page = selectors.find_resident_page(actor=clerk, purpose="検索の確認", **criteria)
        assert imported.atena_number in [r.atena_number for r in page.rows], criteria


@pytest.mark.parametrize(
    "address",
    [
        "高知県高岡郡中土佐町久礼 1234-5",  # plain: the key is made in SQL (csv_classify)
        "高知県高岡郡中土佐町久礼 みどり台ABC 12",  # hiragana and capitals: the key function in Python (csv_passes)
        "高知県高岡郡中土佐町久礼　１２３４－５",  # not plain: the per-row reader's normalisation first
    ],
)
def test_the_imported_address_key_is_the_services_key(clerk: Person, address: str) -> None:
    report = csv_io.import_csv(actor=clerk, data=to_csv([row(住所=address)]), purpose=PURPOSE)
    assert not report.errors
    imported = Resident.objects.get(family_name="検証")
    assert imported.search_address == search.address_key(imported.address)


def test_the_import_normalises_addresses_and_postal_codes_like_the_forms(clerk: Person) -> None:
    report = csv_io.import_csv(
        actor=clerk,
        data=to_csv([row(住所="高知県高岡郡中土佐町久礼　１２３４－５", 方書="コーポ久礼 ２０１", 郵便番号="7891301")]),
        purpose=PURPOSE,
    )
    assert not report.errors
    imported = Resident.objects.get(family_name="検証")
    assert imported.address == "高知県高岡郡中土佐町久礼 1234-5"
    assert imported.address_detail == "コーポ久礼 201"
    assert imported.postal_code == "789-1301"


def test_a_plain_row_with_a_katakana_prolonged_mark_stays_as_written(clerk: Person) -> None:
    report = csv_io.import_csv(actor=clerk, data=to_csv([row(方書="ケーブルハイツ 12-3")]), purpose=PURPOSE)
    assert not report.errors
    assert Resident.objects.get(family_name="検証").address_detail == "ケーブルハイツ 12-3"


def test_furigana_longer_than_the_register_keeps_is_the_validators_error(clerk: Person) -> None:
    report = csv_io.import_csv(actor=clerk, data=to_csv([row(名フリガナ="タ" * 101)]), purpose=PURPOSE)
    messages = [e.message for e in report.errors]
    assert any("名(フリガナ)は100文字以内" in m for m in messages), messages
    assert not Resident.objects.filter(family_name="検証").exists()


def test_a_bad_postal_code_gets_the_forms_message(clerk: Person) -> None:
    report = csv_io.import_csv(actor=clerk, data=to_csv([row(郵便番号="789-130")]), purpose=PURPOSE)
    assert [e.message for e in report.errors] == ["郵便番号は7桁の数字で入力してください(例: 789-1301)。"]
