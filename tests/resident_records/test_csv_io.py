"""CSV import/export of residents (docs/resident_csv_layout.md): all-or-nothing import with row-level errors,
encodings, the size limit, dry run, permissions and the audit trail."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_tenants.utils import schema_context

from common.csv_import import BOM
from common.models import AuditEvent
from resident_records import csv_io, csv_stage, mynumber, selectors, services
from resident_records.models import Resident
from tenants.models import Person
from tests.resident_records.factories import move_in_family, versioned
from tests.support.jobs import jobs_run_inline

TODAY = date(2026, 11, 27)
PURPOSE = "旧システムからのデータ移行"
HEADER = [
    "世帯番号", "続柄", "氏", "名", "氏フリガナ", "名フリガナ", "旧氏", "生年月日", "性別", "住所", "方書", "郵便番号",
    "本籍", "筆頭者", "住民となった年月日", "住所を定めた年月日", "住民種別", "国籍", "在留資格", "在留期間満了日",
    "住民票コード", "個人番号", "状態",
]  # fmt: skip
ADDRESS = "高知県高岡郡中土佐町久礼 9001"
DOMICILE = "高知県高岡郡中土佐町久礼 9001"


def row(**values: str) -> dict[str, str]:
    base = {
        "世帯番号": "A1", "続柄": "世帯主", "氏": "検証", "名": "太郎",
        "氏フリガナ": "ケンショウ", "名フリガナ": "タロウ",
        "生年月日": "1970-01-02", "性別": "1", "住所": ADDRESS, "方書": "", "郵便番号": "789-1301",
        "本籍": DOMICILE, "筆頭者": "検証 太郎", "住所を定めた年月日": "2010-04-01", "住民種別": "1", "状態": "住民",
    }  # fmt: skip
    return {**base, **values}


def valid_rows() -> list[dict[str, str]]:
    return [
        row(個人番号="123456789018", 住民票コード="12345678901"),
        # 和暦 is accepted on import (common.wareki), as municipal systems write it.
        row(続柄="妻", 名="花子", 名フリガナ="ハナコ", 生年月日="昭和57年8月12日", 性別="2", 旧氏="古田"),
        row(続柄="子", 名="一郎", 名フリガナ="いちろう", 生年月日="2015-06-30", 住民となった年月日="2015-06-30"),
        row(
            世帯番号="B7", 氏="SMITH", 名="JOHN", 氏フリガナ="スミス", 名フリガナ="ジョン", 生年月日="1990-03-03",
            住所="高知県高岡郡中土佐町上ノ加江 12", 郵便番号="789-1302", 本籍="", 筆頭者="", 住民種別="2",
            国籍="アメリカ合衆国", 在留資格="永住者", 在留期間満了日="",
        ),
    ]  # fmt: skip


def to_csv(rows: list[dict[str, str]], *, header: list[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(h, "") for h in header])
    return out.getvalue().encode(encoding)


@pytest.fixture
def clerk(db: Any) -> Person:
    return Person.objects.get(username="tanaka")


@pytest.fixture(autouse=True)
def today() -> Iterator[None]:
    # The date rules (no future dates) and the session's idle timeout both read the clock: freeze it.
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def in_nakatosa(db: Any) -> Iterator[None]:
    with schema_context("nakatosa"):
        yield


def _state() -> tuple[int, int]:
    return Resident.objects.count(), AuditEvent.objects.count()


def _nothing_registered_one_row_audited(before: tuple[int, int], action: str) -> None:
    """The check read personal data, so import_csv itself writes one audit row (and nothing else)."""
    assert _state() == (before[0], before[1] + 1)
    assert AuditEvent.objects.order_by("-seq").values_list("action", "purpose").first() == (action, PURPOSE)


def _errors(report: csv_io.ImportReport) -> set[tuple[int, str]]:
    return {(e.row, e.column) for e in report.errors}


# --- import --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("in_nakatosa")
def test_import_registers_households_and_export_gives_the_same_fields_back(clerk: Person) -> None:
    report = csv_io.import_csv(actor=clerk, data=to_csv(valid_rows()), purpose=PURPOSE)
    assert report.errors == []
    assert (report.households, report.residents) == (2, 4)
    assert report.result is not None
    first, last = report.result.first_atena_number, report.result.last_atena_number
    imported = Resident.objects.filter(atena_number__gte=first, atena_number__lte=last).order_by("pk")
    head, wife, child, smith = imported
    assert head.household_id == wife.household_id == child.household_id != smith.household_id
    assert head.household.head_id == head.pk
    assert smith.household.head_id == smith.pk
    assert wife.birth_date == date(1982, 8, 12)
    assert wife.former_surname == "古田"
    assert child.given_name_kana == "イチロウ"  # hiragana furigana normalised to katakana
    assert mynumber.decrypt(head.my_number_encrypted) == "123456789018"
    assert smith.resident_type == "foreign"
    assert smith.nationality == "アメリカ合衆国"

    exported = {r[1]: dict(zip(csv_io.header(), r, strict=True)) for r in csv_io.export_rows()}
    assert "個人番号" not in csv_io.header()  # never exported (番号法 第19条)
    source = valid_rows()
    for resident, original in zip((head, wife, child, smith), source, strict=True):
        out = exported[resident.atena_number]
        assert out["世帯番号"] == resident.household.number
        for column in ("続柄", "氏", "名", "住所", "郵便番号", "本籍", "住民種別", "状態", "性別"):
            assert out[column] == original[column], column
        assert out["氏フリガナ"] == original["氏フリガナ"]
        assert out["生年月日"] == resident.birth_date.isoformat()
    assert exported[wife.atena_number]["生年月日"] == "1982-08-12"
    assert exported[child.atena_number]["住民となった年月日"] == "2015-06-30"
    assert exported[head.atena_number]["住所を定めた年月日"] == "2010-04-01"

    # The export is itself a valid import file (same layout): another town can take it in; this town
    # refuses it, as these people already live here (住民票コード, 住基法 第7条第13号).
    ours = to_csv([exported[r.atena_number] for r in (head, wife, child, smith)], header=csv_io.header())
    here = csv_io.import_csv(actor=clerk, data=ours, purpose=PURPOSE, dry_run=True)
    assert [(e.row, e.column) for e in here.errors] == [(2, "住民票コード")]
    with schema_context("shimanto"):
        before = Resident.objects.count()
        there = csv_io.import_csv(actor=clerk, data=ours, purpose=PURPOSE)
        assert there.errors == []
        assert (there.households, there.residents) == (2, 4)
        assert there.result is not None
        moved = Resident.objects.filter(atena_number=there.result.first_atena_number).get()
        assert (moved.family_name, moved.resident_code, moved.my_number_encrypted) == ("検証", "12345678901", "")
        assert Resident.objects.count() == before + 4


@pytest.mark.usefixtures("in_nakatosa")
def test_every_class_of_row_error_is_reported_with_row_and_column_and_nothing_is_written(clerk: Person) -> None:
    before = _state()
    rows = [
        row(個人番号="123456789012"),  # row 2: check digit wrong
        row(続柄="妻", 生年月日="2026-02-30"),  # row 3: impossible date
        row(続柄="子", 生年月日="大化3年1月1日"),  # row 4: unknown era
        row(続柄="子", 氏=""),  # row 5: missing 氏
        row(続柄="子", 性別="3"),  # row 6: wrong sex code
        row(世帯番号="B", 続柄="世帯主"),  # rows 7, 8: two heads in one household
        row(世帯番号="B", 続柄="世帯主", 名="次郎"),
        row(世帯番号="C", 続柄="妻"),  # row 9: a household without a head
        row(世帯番号="D", 生年月日="2030-01-01"),  # row 10: future birth date
        row(世帯番号="E", 住民種別="2", 国籍=""),  # row 11: foreign resident without nationality (and 本籍)
        row(世帯番号="F", 状態="転出"),  # row 12: not a resident
    ]
    report = csv_io.import_csv(actor=clerk, data=to_csv(rows), purpose=PURPOSE)
    errors = _errors(report)
    assert {
        (2, "個人番号"), (3, "生年月日"), (4, "生年月日"), (5, "氏"), (6, "性別"), (8, "続柄"), (9, "続柄"),
        (10, "生年月日"), (11, "国籍"), (11, "本籍"), (12, "状態"),
    } <= errors  # fmt: skip
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert "不明な元号" in messages[(4, "生年月日")]
    assert "存在しない日付" in messages[(3, "生年月日")]
    assert "世帯主" in messages[(8, "続柄")]
    assert (3, "続柄") not in errors  # household A1's head is row 2, in error itself: no cascading error
    _nothing_registered_one_row_audited(before, "resident.import_rejected")


@pytest.mark.usefixtures("in_nakatosa")
def test_household_rules_and_duplicate_numbers(clerk: Person) -> None:
    rows = [
        *valid_rows(),
        row(世帯番号="A1", 続柄="子", 名="二郎", 住所="高知県高岡郡中土佐町久礼 1"),  # row 6: another address
        row(世帯番号="Q", 個人番号="123456789018"),  # row 7: the same 個人番号 as row 2
        row(世帯番号="R", 住民票コード="12345678901"),  # row 8: the same 住民票コード as row 2
    ]
    report = csv_io.import_csv(actor=clerk, data=to_csv(rows), purpose=PURPOSE)
    assert _errors(report) == {(6, "住所")}  # household rules come first; nothing is written either way
    del rows[4]
    report = csv_io.import_csv(actor=clerk, data=to_csv(rows), purpose=PURPOSE)
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (6, "個人番号", "同じ個人番号が2行目にもあります。"),
        (7, "住民票コード", "同じ住民票コードが2行目にもあります。"),
    ]
    assert csv_io.import_csv(actor=clerk, data=to_csv(valid_rows()), purpose=PURPOSE).errors == []
    again = csv_io.import_csv(actor=clerk, data=to_csv(valid_rows()), purpose=PURPOSE, dry_run=True)
    assert {(e.row, e.column) for e in again.errors} == {(2, "個人番号"), (2, "住民票コード")}
    assert again.errors[0].message.endswith("別の住民に記載されています。")


@pytest.mark.usefixtures("in_nakatosa")
def test_one_bad_row_among_good_ones_writes_nothing(clerk: Person) -> None:
    before = _state()
    rows = [*valid_rows(), row(世帯番号="Z", 氏フリガナ="kensho")]
    report = csv_io.import_csv(actor=clerk, data=to_csv(rows), purpose=PURPOSE)
    assert [(e.row, e.column) for e in report.errors] == [(6, "氏フリガナ")]
    _nothing_registered_one_row_audited(before, "resident.import_rejected")


@pytest.mark.usefixtures("in_nakatosa")
def test_shift_jis_and_plain_utf8_files_are_read(clerk: Person) -> None:
    for encoding in ("cp932", "shift_jis", "utf-8"):
        report = csv_io.import_csv(
            actor=clerk, data=to_csv(valid_rows(), encoding=encoding), purpose=PURPOSE, dry_run=True
        )
        assert report.errors == [], encoding
        assert report.residents == 4, encoding
    with_bom = to_csv(valid_rows())
    assert with_bom.startswith(BOM)
    assert csv_stage.detect_encoding(io.BytesIO(with_bom)) == ("utf-8", len(BOM))


@pytest.mark.usefixtures("in_nakatosa")
def test_header_problems_and_garbage_are_clear_errors(clerk: Person) -> None:
    header = [h for h in HEADER if h != "生年月日"] + ["趣味"]
    report = csv_io.import_csv(actor=clerk, data=to_csv(valid_rows(), header=header), purpose=PURPOSE)
    assert {(1, "生年月日"), (1, "趣味")} <= _errors(report)
    with pytest.raises(csv_io.ImportInvalid) as empty:
        csv_io.import_csv(actor=clerk, data=b"", purpose=PURPOSE)
    assert empty.value.code == "import_invalid"
    with pytest.raises(csv_io.ImportInvalid, match="文字コード"):
        csv_io.import_csv(actor=clerk, data=b"\x80\xff\xfe\x81\x00", purpose=PURPOSE)
    short = to_csv(valid_rows()) + "A1,世帯主\r\n".encode()
    assert (6, "") in _errors(csv_io.import_csv(actor=clerk, data=short, purpose=PURPOSE))


@pytest.mark.usefixtures("in_nakatosa")
def test_dry_run_checks_without_writing(clerk: Person) -> None:
    before = _state()
    report = csv_io.import_csv(actor=clerk, data=to_csv(valid_rows()), purpose=PURPOSE, dry_run=True)
    assert report.errors == []
    assert report.result is None
    assert report.residents == 4
    _nothing_registered_one_row_audited(before, "resident.import_checked")


@pytest.mark.usefixtures("in_nakatosa")
def test_export_as_of_a_past_day_leaves_out_later_residents(clerk: Person) -> None:
    report = csv_io.import_csv(actor=clerk, data=to_csv(valid_rows()), purpose=PURPOSE)
    assert report.result is not None
    first, last = report.result.first_atena_number, report.result.last_atena_number
    head, _, child, _ = Resident.objects.filter(atena_number__gte=first, atena_number__lte=last).order_by("pk")
    past = {r[1]: r for r in csv_io.export_rows(date(2012, 1, 1))}  # the child became a resident in 2015
    now = {r[1] for r in csv_io.export_rows()}
    assert {head.atena_number, child.atena_number} <= now
    assert head.atena_number in past
    assert child.atena_number not in past
    assert past[head.atena_number][csv_io.header().index("住所")] == ADDRESS
    assert not {r[1] for r in csv_io.export_rows(date(2009, 1, 1))} & {head.atena_number, child.atena_number}


@pytest.mark.usefixtures("in_nakatosa")
def test_batched_as_of_matches_the_selector(clerk: Person) -> None:
    """The export's batched reading gives each resident exactly selectors.resident_as_of, corrections and
    cancellations included (the demo town has both)."""
    csv_io.import_csv(actor=clerk, data=to_csv(valid_rows()), purpose=PURPOSE)
    household, (head, wife, _) = move_in_family(clerk)  # 1 April
    services.record_change_of_address(
        actor=clerk, household=versioned(household), event_date=date(2026, 10, 1), notified_on=date(2026, 10, 1),
        address="高知県高岡郡中土佐町矢井賀 55",
    )  # fmt: skip
    services.record_ex_officio_correction(
        actor=clerk, resident=versioned(wife), changes={"given_name": "華子"}, reason="戸籍の通知による",
        effective_on=date(2026, 4, 1),
    )  # fmt: skip
    moved = services.record_change_of_address(
        actor=clerk, household=versioned(household), event_date=date(2026, 11, 1), notified_on=date(2026, 11, 1),
        address="高知県高岡郡中土佐町上ノ加江 1",
    )  # fmt: skip
    services.cancel_event(actor=clerk, event_id=moved.pk, reason="入力誤り")
    residents = list(Resident.objects.order_by("pk"))
    assert len(residents) == 7
    assert csv_io.records_as_of([wife], date(2026, 4, 15))[wife.pk].given_name == "華子"
    assert csv_io.records_as_of([head], TODAY)[head.pk].address == "高知県高岡郡中土佐町矢井賀 55"
    for day in (date(2012, 1, 1), date(2026, 4, 15), TODAY):
        batched = csv_io.records_as_of(residents, day)
        for resident in residents:
            one = selectors.resident_as_of(resident, day)
            many = batched.get(resident.pk)
            if one is None:
                assert many is None
                continue
            assert many is not None
            assert csv_io.export_row(many, many.household.number, "") == csv_io.export_row(
                one, one.household.number, ""
            ), (resident.atena_number, day)


def test_commands_import_and_export(clerk: Person, tmp_path: Any) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(to_csv(valid_rows(), encoding="cp932"))
    target = tmp_path / "out.csv"
    out = io.StringIO()
    call_command("import_residents", str(source), schema="nakatosa", purpose=PURPOSE, actor="tanaka", stdout=out)
    assert "2世帯 4人を登録しました" in out.getvalue()
    call_command(
        "export_residents", schema="nakatosa", purpose="移行結果の照合", output=str(target), stderr=io.StringIO()
    )
    text = target.read_bytes()
    assert text.startswith(BOM)
    assert "ケンショウ".encode() in text
    with schema_context("nakatosa"):
        assert AuditEvent.objects.filter(action="resident.export", purpose="移行結果の照合").exists()


def test_import_command_lists_the_errors_and_registers_nothing(db: Any, tmp_path: Any) -> None:
    source = tmp_path / "bad.csv"
    source.write_bytes(to_csv([row(性別="3"), row(続柄="子", 生年月日="令和9年1月1日")]))
    with schema_context("nakatosa"):
        before = Resident.objects.count()
    err = io.StringIO()
    with pytest.raises(CommandError, match="3件の誤り"):
        call_command("import_residents", str(source), schema="nakatosa", purpose=PURPOSE, stderr=err)
    assert "2行目 性別: 性別は「1」(男)か「2」(女)で指定してください。" in err.getvalue()
    assert "3行目 生年月日: 生年月日に未来の日付は指定できません。" in err.getvalue()
    assert "3行目 住所を定めた年月日:" in err.getvalue()
    with schema_context("nakatosa"):
        assert Resident.objects.count() == before


# --- API -----------------------------------------------------------------------------------------

IMPORT_URL = "/api/v1/resident_records/import/"
EXPORT_URL = "/api/v1/resident_records/export/"


def _upload(client: Any, data: bytes, **fields: Any) -> Any:
    body = {"file": SimpleUploadedFile("residents.csv", data, content_type="text/csv"), "purpose": PURPOSE, **fields}
    return client.post(IMPORT_URL, body)


@pytest.fixture
def inline_jobs(monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any, tmp_path: Any) -> Any:
    with override_settings(KYODO_JOB_FILES_DIR=tmp_path):
        yield lambda: jobs_run_inline(monkeypatch, django_capture_on_commit_callbacks)


def _import(client: Any, inline_jobs: Any, data: bytes, **fields: Any) -> tuple[Any, dict[str, Any]]:
    """POST the file (202: a job), let the job run as the worker would, then GET the job's state."""
    with inline_jobs() as ran:
        response = _upload(client, data, **fields)
    assert response.status_code == 202, response.content
    assert len(ran) == 1
    assert client.get(response.json()["status_url"]).status_code == 400  # the report is read with a purpose
    done = client.get(response.json()["status_url"], {"purpose": PURPOSE})
    assert done.status_code == 200
    return response, done.json()


def test_api_import_registers_and_is_audited(client_for: Any, clerk: Person, inline_jobs: Any) -> None:
    response, job = _import(client_for("tanaka", "nakatosa"), inline_jobs, to_csv(valid_rows()))
    queued = response.json()
    assert (queued["state"], queued["finished"]) == ("queued", False)
    assert (job["state"], job["finished"], job["progress"]["percent"]) == ("succeeded", True, 100)
    body = job["result"]
    assert (body["households"], body["residents"], body["dry_run"]) == (2, 4, False)
    with schema_context("nakatosa"):
        assert Resident.objects.filter(atena_number=body["first_atena_number"], family_name="検証").exists()
        row = AuditEvent.objects.filter(action="resident.bulk_load").order_by("-seq").first()
        assert row is not None
        assert (row.purpose, row.personal_data) == (PURPOSE, True)
        assert row.details["residents"] == 4
        assert row.actor_id == clerk.pk


def test_api_import_errors_are_listed_capped_and_nothing_is_written(client_for: Any, inline_jobs: Any) -> None:
    with schema_context("nakatosa"):
        before = Resident.objects.count()
    rows = [row(世帯番号=f"H{i}", 性別="9") for i in range(600)]
    _, job = _import(client_for("tanaka", "nakatosa"), inline_jobs, to_csv(rows))
    assert job["state"] == "failed"
    assert job["result"] is None
    details = job["error"]
    assert details["code"] == "import_invalid"
    assert len(details["errors"]) == 500
    assert details["total"] == 600
    assert details["omitted"] == 100
    assert details["errors"][0] == {
        "row": 2,
        "column": "性別",
        "message": "性別は「1」(男)か「2」(女)で指定してください。",
    }
    with schema_context("nakatosa"):
        assert Resident.objects.count() == before
        rejected = AuditEvent.objects.filter(action="resident.import_rejected").order_by("-seq").first()
        assert rejected is not None
        assert rejected.details["errors"] == 600
        assert rejected.purpose == PURPOSE


def test_api_dry_run_validates_only(client_for: Any, inline_jobs: Any) -> None:
    with schema_context("nakatosa"):
        before = Resident.objects.count()
    _, job = _import(client_for("tanaka", "nakatosa"), inline_jobs, to_csv(valid_rows()), dry_run="true")
    assert job["state"] == "succeeded"
    assert job["result"]["residents"] == 4
    assert job["result"]["dry_run"] is True
    assert job["result"]["first_atena_number"] == ""
    with schema_context("nakatosa"):
        assert Resident.objects.count() == before
        assert AuditEvent.objects.filter(action="resident.import_checked", purpose=PURPOSE).exists()


def test_api_a_file_that_is_not_csv_fails_its_job_with_the_reason(client_for: Any, inline_jobs: Any) -> None:
    _, job = _import(client_for("tanaka", "nakatosa"), inline_jobs, b"\x80\xff\xfe\x81\x00")
    assert job["state"] == "failed"
    assert job["error"]["code"] == "import_invalid"
    assert "文字コード" in job["error"]["message"]
    assert job["error"]["errors"] == [{"row": 0, "column": "", "message": "文字コードを判別できません。"}]


@override_settings(KYODO_IMPORT_MAX_BYTES=200)
def test_api_refuses_an_oversized_or_missing_file(client_for: Any) -> None:
    client = client_for("tanaka", "nakatosa")
    response = _upload(client, to_csv(valid_rows()))
    assert response.status_code == 413
    assert response.json()["code"] == "import_too_large"
    missing = client.post(IMPORT_URL, {"purpose": PURPOSE})
    assert missing.status_code == 400
    assert "file" in missing.json()["details"]
    no_purpose = client.post(IMPORT_URL, {"file": SimpleUploadedFile("a.csv", b"x")})
    assert no_purpose.status_code == 400
    assert "purpose" in no_purpose.json()["details"]


def test_api_auditor_cannot_import_but_can_export(client_for: Any) -> None:
    auditor = client_for("auditor", "nakatosa")
    refused = _upload(auditor, to_csv(valid_rows()))
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    response = auditor.get(EXPORT_URL, {"purpose": "定期監査", "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff世帯番号,宛名番号,続柄,")
    assert "個人番号" not in text
    past = auditor.get(EXPORT_URL, {"purpose": "定期監査", "format": "csv", "as_of": "1900-01-01"})
    assert past.status_code == 200
    assert past["Content-Disposition"].endswith('residents-1900-01-01.csv"')
    assert b"".join(past.streaming_content).decode("utf-8").count("\n") == 1  # the header only
    with schema_context("nakatosa"):
        row = AuditEvent.objects.filter(action="resident.export").order_by("-seq").first()
        assert row is not None
        assert (row.purpose, row.personal_data) == ("定期監査", True)


def test_api_export_needs_a_purpose_and_teachers_reach_neither(client_for: Any, new_person: Any) -> None:
    clerk = client_for("tanaka", "nakatosa")
    refused = clerk.get(EXPORT_URL, {"format": "csv"})
    assert refused.status_code == 400
    assert "purpose" in refused.json()["details"]
    new_person("csv_teacher", nakatosa="teacher")
    teacher = client_for("csv_teacher", "nakatosa")
    assert teacher.get(EXPORT_URL, {"purpose": "x", "format": "csv"}).status_code == 403
    assert _upload(teacher, to_csv(valid_rows())).status_code == 403
