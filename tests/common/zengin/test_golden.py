"""Built files equal the golden files composed from docs/domain/zengin.md, and fields sit at their documented
bytes (1-based positions in the comments are those of the layout tables)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from common.zengin import FileKind, Requester, Separator, ZenginFile, ZenginRecord, build_file, parse_file
from tests.common.zengin.factories import TOWN_BANK, zengin_file
from tests.common.zengin.golden_records import GOLDEN

KOCHI_SUSAKI = {"bank_code": "0578", "bank_name": "ｺｳﾁ", "branch_code": "032", "branch_name": "ｽｻｷ"}
KOCHI_KUBOKAWA = {"bank_code": "0578", "bank_name": "ｺｳﾁ", "branch_code": "034", "branch_name": "ｸﾎﾞｶﾜ"}
SHIKOKU_HONTEN = {"bank_code": "0175", "bank_name": "ｼｺｸ", "branch_code": "051", "branch_name": "ﾎﾝﾃﾝ"}
YUCHO_018 = {"bank_code": "9900", "bank_name": "ﾕｳﾁﾖ", "branch_code": "018", "branch_name": "ｾﾞﾛｲﾁﾊﾁ"}


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def records_of(data: bytes, separator: bytes = b"\r\n") -> list[bytes]:
    if not separator:
        return [data[at : at + 120] for at in range(0, len(data), 120)]
    parts = data.split(separator)
    assert parts[-1] == b""
    return parts[:-1]


def transfer_spec() -> ZenginFile:
    return zengin_file(
        FileKind.TRANSFER,
        [
            # As a clerk types it: full-width bracket and hiragana, normalised to ｶ)ｸﾚｹﾝｾﾂ.
            ZenginRecord(
                **KOCHI_SUSAKI,
                account_type="1",
                account_number="1234567",
                name="カ）くれけんせつ",
                amount=1_234_567,
                new_code="1",
                customer_code="00000000010000000002",
                transfer_kind="7",
            ),
            ZenginRecord(
                **SHIKOKU_HONTEN,
                account_type="2",
                account_number="321",
                name="ﾄｻﾌﾞﾂｻﾝ(ｶ",
                amount=50_000,
                edi="INV-2026-0410",
                transfer_kind="8",
            ),
        ],
    )


def salary_records() -> list[ZenginRecord]:
    return [
        ZenginRecord(
            **KOCHI_KUBOKAWA, account_type="1", account_number="7654321", name="やまだ　たろう", amount=250_000
        ),
        ZenginRecord(
            **YUCHO_018, account_type="1", account_number="12345", name="ｽｽﾞｷ ﾊﾅｺ", amount=198_765, new_code="1"
        ),
    ]


def debit_spec() -> ZenginFile:
    payers = [
        (KOCHI_SUSAKI, "1", "1111111", "ｸﾚ ｲﾁﾛｳ", 3_240, "10001"),
        (KOCHI_KUBOKAWA, "1", "2222222", "ｸﾎﾞｶﾜ ｼﾞﾛｳ", 5_480, "10002"),
        (SHIKOKU_HONTEN, "4", "3333333", "ｻｶﾞﾜ ﾊﾅｺ", 12_960, "10003"),
    ]
    return zengin_file(
        FileKind.DEBIT,
        [
            ZenginRecord(
                **bank, account_type=kind, account_number=number, name=name, amount=amount, customer_code=customer
            )
            for bank, kind, number, name, amount, customer in payers
        ],
        # 委託者コード zero-padded; 水道課 typed in hiragana.
        requester=Requester(code="54321", name="ﾅｶﾄｻﾁﾖｳ すいどうか"),
        bank=replace(TOWN_BANK, account_number="0999999"),
        date="0427",
    )


def test_transfer_21_equals_golden_file() -> None:
    assert build_file(transfer_spec()).data == golden("transfer_21.dat")


def test_salary_11_equals_golden_file() -> None:
    spec = zengin_file(FileKind.SALARY, salary_records(), date="0421")
    assert build_file(spec).data == golden("salary_11.dat")


def test_bonus_12_without_separator_equals_golden_file() -> None:
    spec = zengin_file(FileKind.BONUS, salary_records(), date="0421", separator=Separator.NONE)
    assert build_file(spec).data == golden("bonus_12_no_separator.dat")


def test_debit_91_request_equals_golden_file() -> None:
    assert build_file(debit_spec()).data == golden("debit_91.dat")


def test_header_bytes_of_a_transfer_file() -> None:
    header = records_of(build_file(transfer_spec()).data)[0]
    assert header[0:1] == b"1"  # 1 データ区分
    assert header[1:3] == b"21"  # 2-3 種別コード
    assert header[3:4] == b"0"  # 4 コード区分 (JIS)
    assert header[4:14] == b"1234567890"  # 5-14 依頼人コード
    assert header[14:54] == "ﾅｶﾄｻﾁﾖｳ".encode("cp932").ljust(40)  # 15-54 依頼人名
    assert header[54:58] == b"0410"  # 55-58 振込指定日
    assert header[58:62] == b"0175"  # 59-62 仕向金融機関番号
    assert header[62:77] == "ｼｺｸ".encode("cp932").ljust(15)  # 63-77
    assert header[77:80] == b"232"  # 78-80 仕向支店番号
    assert header[80:95] == "ｸﾎﾞｶﾜ".encode("cp932").ljust(15)  # 81-95
    assert header[95:96] == b"1"  # 96 預金種目
    assert header[96:103] == b"0123456"  # 97-103 口座番号
    assert header[103:120] == b" " * 17  # 104-120 ダミー


def test_data_bytes_of_a_transfer_file() -> None:
    first, second = records_of(build_file(transfer_spec()).data)[1:3]
    assert first[0:1] == b"2"
    assert first[1:5] == b"0578"  # 2-5 被仕向金融機関番号
    assert first[5:20] == "ｺｳﾁ".encode("cp932").ljust(15)  # 6-20
    assert first[20:23] == b"032"  # 21-23 被仕向支店番号
    assert first[23:38] == "ｽｻｷ".encode("cp932").ljust(15)  # 24-38
    assert first[38:42] == b"    "  # 39-42 手形交換所番号 (unused)
    assert first[42:43] == b"1"  # 43 預金種目
    assert first[43:50] == b"1234567"  # 44-50 口座番号
    assert first[50:80] == "ｶ)ｸﾚｹﾝｾﾂ".encode("cp932").ljust(30)  # 51-80 受取人名
    assert first[80:90] == b"0001234567"  # 81-90 振込金額
    assert first[90:91] == b"1"  # 91 新規コード
    assert first[91:101] == b"0000000001"  # 92-101 顧客コード1
    assert first[101:111] == b"0000000002"  # 102-111 顧客コード2
    assert first[111:112] == b"7"  # 112 振込指定区分
    assert first[112:113] == b" "  # 113 識別表示
    assert first[113:120] == b" " * 7  # 114-120 ダミー
    assert second[43:50] == b"0000321"  # 口座番号 zero-padded
    assert second[91:111] == b"INV-2026-0410".ljust(20)  # 92-111 EDI情報
    assert second[111:113] == b"8Y"  # 振込指定区分 8, 識別表示 Y


def test_trailer_and_end_bytes_of_a_transfer_file() -> None:
    trailer, end = records_of(build_file(transfer_spec()).data)[3:5]
    assert trailer[0:1] == b"8"
    assert trailer[1:7] == b"000002"  # 2-7 合計件数
    assert trailer[7:19] == b"000001284567"  # 8-19 合計金額
    assert trailer[19:120] == b" " * 101
    assert end == b"9" + b" " * 119


def test_salary_tail_bytes() -> None:
    data = records_of(build_file(zengin_file(FileKind.SALARY, salary_records())).data)[1]
    assert data[38:42] == b"    "  # 39-42 ダミー
    assert data[50:80] == "ﾔﾏﾀﾞ ﾀﾛｳ".encode("cp932").ljust(30)
    assert data[91:101] == b"0" * 10  # 92-101 社員番号
    assert data[101:111] == b"0" * 10  # 102-111 所属コード
    assert data[111:120] == b" " * 9  # 112-120 ダミー


def test_debit_bytes() -> None:
    records = records_of(build_file(debit_spec()).data)
    header, first, trailer = records[0], records[1], records[4]
    assert header[1:3] == b"91"
    assert header[4:14] == b"0000054321"  # 委託者コード zero-padded
    assert header[14:54] == "ﾅｶﾄｻﾁﾖｳ ｽｲﾄﾞｳｶ".encode("cp932").ljust(40)
    assert header[54:58] == b"0427"  # 引落日
    assert first[91:111] == b"10001".ljust(20)  # 92-111 顧客番号
    assert first[111:112] == b"0"  # 112 振替結果コード (request)
    assert first[112:120] == b" " * 8  # 113-120 ダミー
    assert trailer[1:7] == b"000003"
    assert trailer[7:19] == b"000000021680"
    assert trailer[19:55] == b"0" * 36  # 20-55 振替済 / 振替不能 (none yet)
    assert trailer[55:120] == b" " * 65


def test_every_record_is_120_bytes_of_cp932_followed_by_crlf() -> None:
    data = build_file(transfer_spec()).data
    assert len(data) == 5 * 122
    assert all(data[at + 120 : at + 122] == b"\r\n" for at in range(0, len(data), 122))


@pytest.mark.parametrize(
    "name", ["transfer_21.dat", "salary_11.dat", "bonus_12_no_separator.dat", "debit_91.dat", "debit_91_result.dat"]
)
def test_golden_files_parse_without_problems(name: str) -> None:
    assert parse_file(golden(name)).problems == []


def test_parse_golden_transfer_fields_by_name() -> None:
    parsed = parse_file(golden("transfer_21.dat"))
    assert parsed.kind is FileKind.TRANSFER
    assert parsed.header is not None
    assert parsed.header.fields["requester_name"] == "ﾅｶﾄｻﾁﾖｳ"
    assert parsed.records[0].fields["name"] == "ｶ)ｸﾚｹﾝｾﾂ"
    assert parsed.records[0].fields["amount"] == 1_234_567
    assert parsed.records[0].fields["customer_code"] == "00000000010000000002"
    assert parsed.records[1].fields["edi"] == "INV-2026-0410"
    assert parsed.record_count == 2
    assert parsed.total_amount == 1_284_567
