"""The set-based import (resident_records.csv_load): its SQL only recognises rows that the shared per-row rules
would accept unchanged, its SQL versions of shared rules equal the Python ones, and the single-record service and
the import refuse the same cases."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test import override_settings
from django_tenants.utils import schema_context

from common.csv_import import RowError
from common.errors import ApplicationError
from common.text import normalize_search_text, to_katakana
from resident_records import (
    csv_classify,
    csv_io,
    csv_passes,
    csv_stage,
    csv_write,
    mynumber,
    numbering,
    services,
)
from resident_records.models import Resident
from tenants.models import Person
from tests.resident_records.factories import person
from tests.resident_records.test_csv_io import HEADER, PURPOSE, TODAY, row, to_csv, valid_rows


@pytest.fixture(autouse=True)
def today() -> Iterator[None]:
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


# --- SQL versions of shared rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("remainder_one", [0, 1])
def test_check_digits_in_sql_equal_numberings(db: Any, remainder_one: int) -> None:
    serials = [*range(0, 3000), *random.Random(5).sample(range(10**9), 2000), 10**10 - 1]
    with override_settings(KYODO_CHECK_DIGIT_REMAINDER_ONE=remainder_one), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s, {numbering.check_digit_sql('s')} FROM unnest(%(serials)s::bigint[]) AS s",
            {"serials": serials, "remainder_one": numbering.remainder_one()},
        )
        computed = dict(cursor.fetchall())
        assert {s: numbering.with_check_digit(s) for s in serials} == computed


def test_the_plain_my_number_check_is_validates_answer() -> None:
    rng = random.Random(8)
    numbers = ["".join(rng.choice("0123456789") for _ in range(12)) for _ in range(3000)]
    numbers += ["123456789018", "123456789010"]

    def validates(number: str) -> bool:
        try:
            return mynumber.validate(number) == number
        except ApplicationError:
            return False

    assert [mynumber.valid_plain(n) for n in numbers] == [validates(n) for n in numbers]
    assert any(validates(n) for n in numbers)


def test_batched_sealing_is_the_single_number_format() -> None:
    sealer = mynumber.BatchSealer()
    sealed = sealer.encrypt_many(["123456789018", "123456789018"])
    assert [mynumber.decrypt(token) for token in sealed] == ["123456789018", "123456789018"]
    assert sealed[0] != sealed[1]  # a nonce each
    assert sealer.blind_index_many(["123456789018"]) == [mynumber.blind_index("123456789018")]


def _class_chars(pattern: str) -> list[str]:
    return [chr(c) for c in range(0x110000) if re.fullmatch(f"[{pattern}]", chr(c))]


def test_the_sql_character_classes_hold_only_characters_the_python_rules_leave_alone() -> None:
    for ch in _class_chars(csv_classify.KANA_CLASS):
        assert to_katakana(ch) == ch, hex(ord(ch))
        assert re.fullmatch(r"[\u30a0-\u30ff ]*", ch), hex(ord(ch))
    for ch in _class_chars(csv_classify.SEARCH_STABLE_CLASS):
        assert normalize_search_text(ch) == ch, hex(ord(ch))
    for ch in _class_chars(csv_classify.ADDRESS_STABLE_CLASS):
        assert normalize_search_text(ch) == ch, hex(ord(ch))
    spaces = {chr(c) for c in range(0x110000) if chr(c).isspace()} - {" "}
    assert {chr(int(code, 16)) for code in re.findall(r"\\u([0-9a-f]{4})", csv_stage.python_whitespace())} == spaces


# --- plain rows are exactly what the per-row rules accept unchanged -----------------------------------------

VARIANTS = [
    row(),  # plain
    row(氏フリガナ="けんしょう"),  # hiragana: the per-row reader converts it
    row(氏フリガナ="ｹﾝｼｮｳ"),  # half-width katakana
    row(生年月日="昭和45年1月2日"),  # 和暦
    row(生年月日="1970/1/2"),
    row(氏="検証 ", 名="太郎"),  # a trailing space
    row(氏="検　証"),  # an ideographic space
    row(性別="男"),
    row(住民種別="日本人"),
    row(郵便番号="７８９－１３０１"),
    row(住民票コード="１２３４５６７８９０１"),
    row(個人番号="1234 5678 9018"),
    row(個人番号="123456789018"),
    row(個人番号="123456789010"),  # a wrong check digit
    row(生年月日="2026-02-30"),
    row(生年月日="2027-01-01"),  # in the future (today is 2026-11-27)
    row(住民となった年月日="1960-01-01"),  # before the birth
    row(住所を定めた年月日="1969-12-31", 住民となった年月日=""),
    row(住民種別="2", 国籍=""),
    row(住民種別="2", 国籍="アメリカ合衆国", 本籍="高知県"),
    row(名=""),
    row(氏フリガナ=""),
    row(状態="転出"),
    row(氏="ヿ"),
    row(名フリガナ="ヿ"),
    row(旧氏="ＡＢＣ"),
    row(氏="SMITH"),
]


def _classified(data: bytes) -> list[dict[str, Any]]:
    """Stage and classify a file (then roll back): each row's plain flag and values."""
    rows: list[dict[str, Any]] = []
    with transaction.atomic():
        errors: list[RowError] = []
        staged, _ = csv_stage.stage(io.BytesIO(data), errors, csv_stage.no_progress)
        csv_classify.classify(staged, TODAY)
        csv_passes.my_numbers()  # the check digit is the Python pass's (a bad one makes the row non-plain)
        columns = [*csv_passes.TEXT_FIELDS, *csv_passes.DATE_FIELDS]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT row_no, plain, {', '.join(columns)} FROM kyodo_import_rows ORDER BY row_no")
            for row_no, plain, *values in cursor.fetchall():
                rows.append({"row": row_no, "plain": plain, **dict(zip(columns, values, strict=True))})
        transaction.set_rollback(True)
    return rows


@pytest.mark.usefixtures("db")
def test_a_plain_row_is_one_the_per_row_rules_accept_and_leave_unchanged() -> None:
    with schema_context("nakatosa"):
        classified = _classified(to_csv(VARIANTS))
    assert [r["plain"] for r in classified].count(True) >= 2
    for variant, found in zip(VARIANTS, classified, strict=True):
        values = {c.name: variant.get(c.label, "") for c in csv_io.COLUMNS if c.label in HEADER}
        errors: list[RowError] = []
        read = csv_io._read_row(found["row"], values, errors, TODAY)
        if not found["plain"]:
            continue
        assert errors == [], variant
        assert read is not None
        fields = [*csv_passes.TEXT_FIELDS, *csv_passes.DATE_FIELDS]
        expected = dict(zip(fields, csv_passes.normalised(read), strict=False))
        for name in [*csv_passes.TEXT_FIELDS, *csv_passes.DATE_FIELDS]:
            if name in {"search_name", "search_kana"} and found[name] is None:
                continue  # left to the search key pass (normalize_search_text itself)
            assert found[name] == expected[name], (name, variant)


@pytest.mark.usefixtures("db")
def test_written_differently_the_same_people_are_registered_identically(clerk: Person) -> None:
    plain = valid_rows()
    spelled = [
        {
            **plain[0],
            "氏フリガナ": "けんしょう",
            "生年月日": "昭和45年1月2日",
            "性別": "男",
            "個人番号": "1234-5678-9018",
        },
        {**plain[1], "名フリガナ": "ﾊﾅｺ", "住所を定めた年月日": "平成22年4月1日"},
        *plain[2:],
    ]
    fields = [f.attname for f in Resident._meta.concrete_fields if f.attname not in {"id", "atena_number",
              "household_id", "my_number_encrypted", "created_at"}]  # fmt: skip
    registered = []
    with schema_context("nakatosa"):
        for rows in (plain, spelled):
            with transaction.atomic():
                report = csv_io.import_csv(actor=clerk, data=to_csv(rows), purpose=PURPOSE)
                assert report.errors == []
                assert report.result is not None
                first, last = report.result.first_atena_number, report.result.last_atena_number
                residents = Resident.objects.filter(atena_number__range=(first, last)).order_by("atena_number")
                registered.append([{name: getattr(r, name) for name in fields} for r in residents])
                transaction.set_rollback(True)
    assert registered[0] == registered[1]
    assert registered[0][0]["family_name_kana"] == "ケンショウ"
    assert registered[0][0]["birth_date"] == date(1970, 1, 2)


# --- the same cases refused by the single-record service and by the import -----------------------------------

CASES = [
    ("resident_code_length", {"住民票コード": "123"}, {"resident_code": "123"}, "住民票コード"),
    ("my_number_check_digit", {"個人番号": "123456789010"}, {"my_number": "123456789010"}, "個人番号"),
    ("no_relationship", {"続柄": ""}, {"relationship": ""}, "続柄"),
]


@pytest.mark.parametrize(("case", "cells", "person_fields", "column"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.usefixtures("db")
def test_the_service_and_the_import_refuse_the_same_cases(
    clerk: Person, case: str, cells: dict[str, str], person_fields: dict[str, Any], column: str
) -> None:
    with schema_context("nakatosa"):
        relationship = person_fields.pop("relationship", "世帯主")
        with pytest.raises(ApplicationError):
            services.record_move_in(
                actor=clerk,
                event_date=date(2026, 4, 1),
                notified_on=date(2026, 4, 1),
                address="高知県高岡郡中土佐町久礼 1",
                members=[person(relationship=relationship, **person_fields)],
            )
        report = csv_io.import_csv(actor=clerk, data=to_csv([row(**cells)]), purpose=PURPOSE)
    assert column in {error.column for error in report.errors if error.row == 2}, report.errors
    assert report.result is None


@pytest.mark.usefixtures("db")
def test_the_number_of_someone_living_here_is_refused(clerk: Person) -> None:
    with schema_context("nakatosa"):
        services.record_move_in(
            actor=clerk,
            event_date=date(2026, 4, 1),
            notified_on=date(2026, 4, 1),
            address="高知県高岡郡中土佐町久礼 1",
            members=[person(my_number="123456789018")],
        )
        report = csv_io.import_csv(actor=clerk, data=to_csv([row(個人番号="123456789018")]), purpose=PURPOSE)
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (2, "個人番号", "この個人番号は別の住民に記載されています。")
    ]


# --- loading without the indexes (a town's first load) --------------------------------------------------------


@pytest.mark.usefixtures("db")
def test_an_import_larger_than_the_register_rebuilds_its_indexes_and_keys_exactly(
    clerk: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    def structures() -> tuple[set[str], set[str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename LIKE 'resident_records_%%'"
            )
            indexes = {r[0] for r in cursor.fetchall()}
            cursor.execute(
                "SELECT conname || ' ' || pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE connamespace = current_schema()::regnamespace AND contype = 'f'"
            )
            return indexes, {r[0] for r in cursor.fetchall()}

    with schema_context("nakatosa"):
        monkeypatch.setattr(csv_write, "REBUILD_MIN_ROWS", 2)
        first = [row(世帯番号=f"F{i}", 氏="先行") for i in range(3)]
        assert csv_io.import_csv(actor=clerk, data=to_csv(first), purpose=PURPOSE).errors == []
        existing = Resident.objects.count()
        assert csv_write._rebuilds(existing)
        assert not csv_write._rebuilds(existing - 1)  # smaller than the register: indexes kept up row by row
        monkeypatch.setattr(csv_write, "REBUILD_MIN_ROWS", existing + 10)
        assert not csv_write._rebuilds(existing + 5)  # below the minimum, never
        monkeypatch.setattr(csv_write, "_rebuilds", lambda rows: True)
        before = structures()
        report = csv_io.import_csv(actor=clerk, data=to_csv(valid_rows()), purpose=PURPOSE)
        assert report.errors == []
        assert report.result is not None
        assert structures() == before
        assert Resident.objects.count() == existing + 4


@pytest.mark.usefixtures("db")
def test_the_import_reports_its_progress_through_reading_checking_and_loading(clerk: Person) -> None:
    calls: list[tuple[int, int, str]] = []
    with schema_context("nakatosa"):
        report = csv_io.import_csv(
            actor=clerk,
            data=to_csv([*valid_rows(), row(世帯番号="K", 氏フリガナ="けんしょう")]),
            purpose=PURPOSE,
            progress=lambda done, total, phase: calls.append((done, total, phase)),
        )
    assert report.errors == []
    phases = [phase for _, _, phase in calls]
    assert phases[0] == "読み込み"
    assert phases[-1] == "登録"
    assert {"検査", "検査(変換が必要な行)"} <= set(phases)
    assert calls[-1][0] == calls[-1][1] > 0
    assert all(0 <= done <= total for done, total, _ in calls if total)


@pytest.mark.usefixtures("db")
def test_files_postgresqls_reader_refuses_are_read_row_by_row_with_the_same_result(
    clerk: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    used: list[bool] = []
    real = csv_stage.copy_file

    def spy(*args: Any) -> bool:
        used.append(real(*args))
        return used[-1]

    monkeypatch.setattr(csv_stage, "copy_file", spy)
    plain = to_csv(valid_rows())
    header, body = plain.split(b"\r\n", 1)
    marked = [{**r, "方書": "\\."} if r["世帯番号"] == "A1" else r for r in valid_rows()]
    variants = {
        "plain": plain,
        "blank line inside": header + b"\r\n\r\n" + body + b"\r\n\r\n",
        "end-of-data marker in a cell": to_csv(marked),
        "a row of empty cells": plain + b"," * (len(HEADER) - 1) + b"\r\n",
    }
    outcomes = {}
    with schema_context("nakatosa"):
        for name, data in variants.items():
            with transaction.atomic():
                report = csv_io.import_csv(actor=clerk, data=data, purpose=PURPOSE, dry_run=True)
                transaction.set_rollback(True)
            outcomes[name] = (report.households, report.residents, report.errors)
    assert used == [True, False, False, True]  # PostgreSQL's reader, unless the file holds what it reads otherwise
    assert all(outcome == (2, 4, []) for outcome in outcomes.values()), outcomes
