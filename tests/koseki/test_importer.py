"""Import of existing registers (移行): the documented layout, row-level errors, all or nothing, audited."""

from __future__ import annotations

import csv
import io
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from common.errors import ValidationFailed
from common.models import AuditEvent
from koseki import importer
from koseki.models import (
    CompiledReason,
    Entry,
    EntryKind,
    FuhyoEntry,
    FuriganaRecord,
    Koseki,
    KosekiStatus,
    Member,
    Notification,
    NotificationKind,
)
from tenants.models import Person

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 27)
HEADER = [
    "レコード種別", "戸籍キー", "本籍", "氏", "氏の振り仮名", "編製日", "編製事由", "状態", "消除日", "消除事由",
    "記載順", "個人キー", "名", "名の振り仮名", "振り仮名の根拠", "生年月日", "男女の別", "父", "母", "続柄",
    "筆頭者", "配偶者区分", "除籍日", "除籍事由", "住民票コード", "事項", "事件の日", "届出日", "届出人", "記録事項",
    "住所", "住所を定めた年月日",
]  # fmt: skip


def row(**values: str) -> list[str]:
    return [values.get(column, "") for column in HEADER]


def valid_rows() -> list[list[str]]:
    """山田 (current: 夫, 妻, 長男) and 佐藤 (closed: the wife's parents' register, everyone 除籍)."""
    return [
        row(レコード種別="戸籍", 戸籍キー="A1", 本籍="高知県高岡郡中土佐町久礼1234番地", 氏="山田",
            氏の振り仮名="やまだ", 編製日="平成20年6月1日", 編製事由="婚姻"),
        row(レコード種別="者", 戸籍キー="A1", 記載順="1", 個人キー="P-100", 氏="山田", 名="太郎", 氏の振り仮名="ヤマダ",
            名の振り仮名="タロウ", 振り仮名の根拠="職権記載", 生年月日="S55.5.1", 男女の別="男", 父="山田一男",
            母="山田春子", 続柄="長男", 筆頭者="1", 配偶者区分="夫", 住民票コード="12345678901"),
        row(レコード種別="者", 戸籍キー="A1", 記載順="2", 個人キー="P-200", 氏="山田", 名="花子", 生年月日="1982-08-12",
            男女の別="2", 父="佐藤次郎", 母="佐藤秋子", 続柄="長女", 配偶者区分="妻"),
        row(レコード種別="者", 戸籍キー="A1", 記載順="3", 氏="山田", 名="一郎", 生年月日="平成24年4月3日", 男女の別="1",
            父="山田太郎", 母="山田花子", 続柄="長男"),
        row(レコード種別="事項", 戸籍キー="A1", 事項="戸籍編製", 事件の日="平成20年6月1日"),
        row(レコード種別="事項", 戸籍キー="A1", 記載順="1", 事項="出生", 事件の日="昭和55年5月1日",
            記録事項="【出生日】昭和55年5月1日【出生地】高知県高岡郡中土佐町【届出日】昭和55年5月8日【届出人】父"),
        row(レコード種別="事項", 戸籍キー="A1", 記載順="1", 事項="婚姻", 事件の日="2008-06-01",
            記録事項="【婚姻日】平成20年6月1日【配偶者氏名】山田花子【従前戸籍】高知県須崎市西町1番地 山田一男"),
        row(レコード種別="事項", 戸籍キー="A1", 記載順="3", 事項="出生", 事件の日="2012-04-03", 届出日="2012-04-10",
            届出人="父"),
        row(レコード種別="附票", 戸籍キー="A1", 記載順="1", 住所="高知県高岡郡中土佐町久礼 77",
            住所を定めた年月日="平成20年6月1日"),
        row(レコード種別="附票", 戸籍キー="A1", 記載順="3", 住所="高知県高岡郡中土佐町久礼 77",
            住所を定めた年月日="平成24年4月3日"),
        row(レコード種別="戸籍", 戸籍キー="B7", 本籍="高知県高岡郡中土佐町上ノ加江5番地", 氏="佐藤",
            編製日="昭和50年3月1日", 状態="除籍", 消除日="令和3年2月1日", 消除事由="全員除籍"),
        row(レコード種別="者", 戸籍キー="B7", 記載順="1", 氏="佐藤", 名="次郎", 生年月日="昭和22年1月5日", 男女の別="1",
            続柄="二男", 筆頭者="1", 除籍日="令和3年2月1日", 除籍事由="死亡"),
        row(レコード種別="者", 戸籍キー="B7", 記載順="2", 個人キー="P-200", 氏="佐藤", 名="花子", 生年月日="1982-08-12",
            男女の別="2", 父="佐藤次郎", 続柄="長女", 除籍日="平成20年6月1日", 除籍事由="婚姻"),
    ]  # fmt: skip


def to_csv(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def run(data: bytes, *, dry_run: bool = False) -> importer.ImportReport:
    clerk = Person.objects.get(username="tanaka")
    with schema_context("nakatosa"), time_machine.travel(TODAY, tick=False):
        return importer.import_csv(actor=clerk, data=data, purpose="旧システムからの移行", dry_run=dry_run)


def counts() -> tuple[int, ...]:
    with schema_context("nakatosa"):
        return tuple(
            model.objects.count() for model in (Koseki, Member, Entry, FuhyoEntry, FuriganaRecord, Notification)
        )


def test_a_valid_file_is_loaded_whole_with_keys_entries_and_fuhyo() -> None:
    report = run(to_csv(valid_rows()))
    assert report.errors == []
    assert report.result is not None
    assert (report.result.registers, report.result.members, report.result.fuhyo_lines) == (2, 5, 2)
    with schema_context("nakatosa"):
        yamada = Koseki.objects.get(family_name="山田")
        sato = Koseki.objects.get(family_name="佐藤")
        assert (yamada.status, yamada.compiled_reason, yamada.compiled_on) == (
            KosekiStatus.CURRENT, CompiledReason.MARRIAGE, date(2008, 6, 1),
        )  # fmt: skip
        assert (yamada.family_name_kana, yamada.head_given_name, yamada.number) == (
            "ヤマダ",
            "太郎",
            report.result.first_number,
        )
        assert (sato.status, sato.closed_on, sato.head_given_name) == (KosekiStatus.CLOSED, date(2021, 2, 1), "次郎")
        taro, hanako, ichiro = Member.objects.filter(koseki=yamada).order_by("position")
        assert taro.is_head
        assert taro.resident_code == "12345678901"
        assert taro.furigana_status == "ex_officio"
        assert (taro.spouse_key, hanako.spouse_key) == (hanako.person_key, taro.person_key)  # derived: 夫 ↔ 妻
        assert (ichiro.father_key, ichiro.mother_key) == (taro.person_key, hanako.person_key)  # derived: 【父】【母】
        assert taro.person_key == importer.person_key_of("P-100")
        former = Member.objects.get(koseki=sato, given_name="花子")
        assert former.person_key == hanako.person_key
        assert former.is_removed
        assert former.removed_reason == "婚姻"
        assert "ヤマダ" in yamada.search_text
        assert "タロウ" in taro.search_text
        birth = Entry.objects.get(member=taro, kind=EntryKind.BIRTH)
        assert birth.fields[:2] == [["出生日", "昭和55年5月1日"], ["出生地", "高知県高岡郡中土佐町"]]
        derived = Entry.objects.get(member=ichiro, kind=EntryKind.BIRTH)
        assert derived.fields == [["出生日", "平成24年4月3日"], ["届出日", "平成24年4月10日"], ["届出人", "父"]]
        assert derived.notified_on == date(2012, 4, 10)
        assert derived.notifier == "父"
        compiled = Entry.objects.get(koseki=yamada, member=None)
        assert compiled.fields == [["編製日", "平成20年6月1日"]]
        assert [line.address_set_on for line in FuhyoEntry.objects.filter(koseki=yamada).order_by("id")] == [
            date(2008, 6, 1), date(2012, 4, 3),
        ]  # fmt: skip
        assert FuriganaRecord.objects.get(member=taro).status == "ex_officio"
        notice = Notification.objects.get()
        assert notice.kind == NotificationKind.IMPORT
        assert notice.koseki_numbers == [yamada.number, sato.number]
        assert Entry.objects.filter(notification=notice).count() == Entry.objects.count()
        row = AuditEvent.objects.get(action="koseki.import")
    assert row.personal_data
    assert row.purpose == "旧システムからの移行"
    assert row.actor_username == "tanaka"
    assert row.details["registers"] == 2
    assert row.details["first_number"] == yamada.number
    assert "山田" not in str(row.details)
    assert "山田" not in row.object_repr


def test_every_error_is_reported_with_row_and_column_and_nothing_is_written() -> None:
    rows = valid_rows()
    rows[1][HEADER.index("生年月日")] = "昭和99年1月1日"  # row 3: past the end of 昭和
    rows[2][HEADER.index("男女の別")] = "X"  # row 4
    rows[3][HEADER.index("名の振り仮名")] = "Ichiro"  # row 5
    rows[6][HEADER.index("記録事項")] = "婚姻日 平成20年6月1日"  # row 8: not 【label】value
    rows[8][HEADER.index("記載順")] = "9"  # row 10: no member 9
    rows.append(row(レコード種別="者", 戸籍キー="ZZ", 記載順="1", 氏="某", 名="某", 生年月日="2000-01-01", 男女の別="1",
                    続柄="長男"))  # row 15: no 戸籍 row  # fmt: skip
    rows.append(row(レコード種別="戸籍", 戸籍キー="C3", 本籍="高知県高岡郡中土佐町大野見1番地", 氏="高橋",
                    編製日="令和9年1月1日"))  # row 16: future  # fmt: skip
    rows.append(row(レコード種別="戸籍", 戸籍キー="D4", 本籍="高知県高岡郡中土佐町大野見2番地", 氏="森",
                    編製日="令和元年5月1日"))  # row 17: no 筆頭者  # fmt: skip
    rows.append(row(レコード種別="者", 戸籍キー="D4", 記載順="1", 氏="森", 名="一", 生年月日="2000-01-01", 男女の別="1",
                    続柄="長男"))  # fmt: skip
    rows.append(row(レコード種別="ほか", 戸籍キー="D4"))  # row 19
    before = counts()
    report = run(to_csv(rows))
    found = [(e.row, e.column) for e in report.errors]
    assert found == [
        (3, "生年月日"),
        (4, "男女の別"),
        (5, "名の振り仮名"),
        (8, "記録事項"),
        (10, "記載順"),
        (15, "戸籍キー"),
        (16, "編製日"),
        (17, "筆頭者"),
        (19, "レコード種別"),
    ]
    messages = {e.row: e.message for e in report.errors}
    assert messages[4] == "男女の別は「1」(男)か「2」(女)で指定してください。"
    assert messages[5] == "名の振り仮名は片仮名で入力してください(戸籍法第13条第2項)。"
    assert "【出生日】" in messages[8]
    assert "記載順 9 の者" in messages[10]
    assert "未来の日付" in messages[16]
    assert "筆頭者が1人必要" in messages[17]
    assert "戸籍キー「ZZ」" in messages[15]
    assert report.result is None
    assert counts() == before
    details = importer.ImportReport(errors=report.errors).error_details(limit=2)
    assert details["total"] == 9
    assert details["omitted"] == 7
    assert details["errors"][0]["row"] == 3


def test_register_level_rules() -> None:
    rows = valid_rows()
    rows[10][HEADER.index("状態")] = "現在"  # row 12: B7 current, but with a 消除日
    rows[3][HEADER.index("記載順")] = "2"  # row 5: two members at position 2 of A1
    report = run(to_csv(rows))
    # Rows 9 and 11 name 記載順 3, which the file no longer has (row 5 now says 2): reported too.
    assert [(e.row, e.column) for e in report.errors] == [(5, "記載順"), (9, "記載順"), (11, "記載順"), (12, "消除日")]
    assert report.errors[0].message == "記載順 2 の者が4行目にもあります。"
    rows = valid_rows()
    rows[10][HEADER.index("状態")] = "現在"
    rows[10][HEADER.index("消除日")] = ""  # a current register whose members have all left
    report = run(to_csv(rows))
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (12, "状態", "全員が除籍されている戸籍は、状態を「除籍」とし消除日を入力してください。")
    ]
    assert counts()[0] == 0


def test_head_first_and_one_couple_per_register() -> None:
    rows = valid_rows()
    rows[1][HEADER.index("記載順")] = "5"  # row 3: the 筆頭者 after the others (戸籍法第14条)
    rows[3][HEADER.index("配偶者区分")] = "妻"  # row 5: a second 妻 (戸籍法第6条)
    rows[5][HEADER.index("記載順")] = "5"  # the entries follow the 筆頭者
    rows[6][HEADER.index("記載順")] = "5"
    rows[8][HEADER.index("記載順")] = "5"
    report = run(to_csv(rows))
    assert [(e.row, e.column) for e in report.errors] == [(3, "記載順"), (5, "配偶者区分")]
    assert counts()[0] == 0


def test_dry_run_checks_and_writes_nothing() -> None:
    before = counts()
    report = run(to_csv(valid_rows()), dry_run=True)
    assert report.errors == []
    assert report.result is None
    assert (report.registers, report.members) == (2, 5)
    assert counts() == before


def test_the_same_file_twice_is_refused_the_second_time() -> None:
    assert run(to_csv(valid_rows())).errors == []
    again = run(to_csv(valid_rows()))
    assert [(e.row, e.column) for e in again.errors] == [(2, "戸籍キー")]
    assert "既に登録されています" in again.errors[0].message
    assert counts()[0] == 2


def test_header_and_encoding_errors() -> None:
    report = run(to_csv([], header=["レコード種別", "本籍", "謎の列"]))
    assert [(e.row, e.column) for e in report.errors] == [(1, "謎の列"), (1, "戸籍キー")]
    with pytest.raises(importer.ImportInvalid) as raised:
        run("レコード種別,戸籍キー\n戸籍,A\n".encode("cp932"))
    assert raised.value.code == "import_invalid"
    assert "UTF-8" in raised.value.message
    with pytest.raises(importer.ImportInvalid):
        run(b"")


def test_command_loads_checks_and_refuses(tmp_path: Path) -> None:
    good = tmp_path / "koseki.csv"
    good.write_bytes(to_csv(valid_rows()))
    out = StringIO()
    with time_machine.travel(TODAY, tick=False):
        call_command("import_koseki", str(good), "--schema", "nakatosa", "--dry-run", "--actor", "tanaka", stdout=out)
    assert "確認しました" in out.getvalue()
    assert counts()[0] == 0
    with time_machine.travel(TODAY, tick=False):
        call_command("import_koseki", str(good), "--schema", "nakatosa", stdout=out)
    assert "戸籍2件・5人を登録しました" in out.getvalue()
    assert counts()[0] == 2
    bad = tmp_path / "bad.csv"
    rows = valid_rows()
    rows[0][HEADER.index("本籍")] = ""
    bad.write_bytes(to_csv(rows))
    err = StringIO()
    with pytest.raises(CommandError, match="何も登録していません"), time_machine.travel(TODAY, tick=False):
        call_command("import_koseki", str(bad), "--schema", "nakatosa", stderr=err)
    assert "2行目 本籍: 本籍を入力してください。" in err.getvalue()
    with schema_context("nakatosa"):
        actions = list(AuditEvent.objects.filter(action__startswith="koseki.import").values_list("action", flat=True))
    assert sorted(actions) == ["koseki.import", "koseki.import_checked", "koseki.import_rejected"]
    with pytest.raises(CommandError, match="見つかりません"):
        call_command("import_koseki", str(good), "--schema", "council")


def test_the_layout_document_lists_every_column() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "koseki_import_layout.md").read_text(encoding="utf-8")
    for column in importer.COLUMNS:
        assert f"| {column.label} | `{column.name}` |" in text, column.label


def test_loader_refuses_an_empty_load_and_a_missing_purpose(db: Any) -> None:
    with schema_context("nakatosa"), pytest.raises(ValidationFailed) as raised:
        importer.load_registers(actor=None, registers=[], purpose="x")
    assert raised.value.code == "nothing_to_import"
    with schema_context("nakatosa"), pytest.raises(ValidationFailed) as missing:
        importer.load_registers(actor=None, registers=[], purpose=" ")
    assert missing.value.code == "purpose_required"


def test_the_example_of_the_layout_document_loads() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "koseki_import_layout.md").read_text(encoding="utf-8")
    example = text.split("```csv\n", 1)[1].split("```", 1)[0]
    report = run(example.encode("utf-8"))
    assert report.errors == []
    assert report.result is not None
    assert report.result.members == 2
