"""The golden files, composed field by field from the layout tables of docs/domain/zengin.md.

Independent of common.zengin: every value is placed at the 1-based positions the documentation gives, so a
mistake in the library's layout tables shows up as a difference from these bytes. `python -m
tests.common.zengin.golden_records` rewrites the files in golden/ (only when the documented layout changes).
"""

from __future__ import annotations

from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"
CRLF = b"\r\n"


def record(fields: dict[tuple[int, int], str]) -> bytes:
    """120 bytes: each (start, end) span, 1-based inclusive, holds its text; everything else is a space."""
    out = bytearray(b" " * 120)
    for (start, end), text in fields.items():
        raw = text.encode("cp932")
        assert len(raw) == end - start + 1, (start, end, text)
        out[start - 1 : end] = raw
    return bytes(out)


def text(value: str, length: int) -> str:
    return value.ljust(length)


def header(kind: str, code: str, name: str, date: str, account: tuple[str, str] | None) -> bytes:
    fields = {
        (1, 1): "1",
        (2, 3): kind,
        (4, 4): "0",
        (5, 14): code,
        (15, 54): text(name, 40),
        (55, 58): date,
        (59, 62): "0175",
        (63, 77): text("ｼｺｸ", 15),
        (78, 80): "232",
        (81, 95): text("ｸﾎﾞｶﾜ", 15),
    }
    if account:
        fields |= {(96, 96): account[0], (97, 103): account[1]}
    return record(fields)


def data_head(bank: tuple[str, str, str, str], account: tuple[str, str], name: str, amount: int, new: str) -> dict:
    return {
        (1, 1): "2",
        (2, 5): bank[0],
        (6, 20): text(bank[1], 15),
        (21, 23): bank[2],
        (24, 38): text(bank[3], 15),
        (43, 43): account[0],
        (44, 50): account[1],
        (51, 80): text(name, 30),
        (81, 90): f"{amount:010d}",
        (91, 91): new,
    }


def trailer(count: int, amount: int, results: tuple[int, int, int, int] | None = None) -> bytes:
    fields = {(1, 1): "8", (2, 7): f"{count:06d}", (8, 19): f"{amount:012d}"}
    if results is not None:
        fields |= {
            (20, 25): f"{results[0]:06d}",
            (26, 37): f"{results[1]:012d}",
            (38, 43): f"{results[2]:06d}",
            (44, 55): f"{results[3]:012d}",
        }
    return record(fields)


END = record({(1, 1): "9"})
KOCHI_SUSAKI = ("0578", "ｺｳﾁ", "032", "ｽｻｷ")
KOCHI_KUBOKAWA = ("0578", "ｺｳﾁ", "034", "ｸﾎﾞｶﾜ")
SHIKOKU_HONTEN = ("0175", "ｼｺｸ", "051", "ﾎﾝﾃﾝ")
YUCHO_018 = ("9900", "ﾕｳﾁﾖ", "018", "ｾﾞﾛｲﾁﾊﾁ")


def transfer_21() -> bytes:
    first = data_head(KOCHI_SUSAKI, ("1", "1234567"), "ｶ)ｸﾚｹﾝｾﾂ", 1_234_567, "1")
    first |= {(92, 101): "0000000001", (102, 111): "0000000002", (112, 112): "7"}
    second = data_head(SHIKOKU_HONTEN, ("2", "0000321"), "ﾄｻﾌﾞﾂｻﾝ(ｶ", 50_000, "0")
    second |= {(92, 111): text("INV-2026-0410", 20), (112, 112): "8", (113, 113): "Y"}
    records = [
        header("21", "1234567890", "ﾅｶﾄｻﾁﾖｳ", "0410", ("1", "0123456")),
        record(first),
        record(second),
        trailer(2, 1_284_567),
        END,
    ]
    return b"".join(item + CRLF for item in records)


def salary(kind: str, separator: bytes) -> bytes:
    first = data_head(KOCHI_KUBOKAWA, ("1", "7654321"), "ﾔﾏﾀﾞ ﾀﾛｳ", 250_000, "0")
    second = data_head(YUCHO_018, ("1", "0012345"), "ｽｽﾞｷ ﾊﾅｺ", 198_765, "1")
    for fields in (first, second):
        fields |= {(92, 101): "0" * 10, (102, 111): "0" * 10}
    records = [
        header(kind, "1234567890", "ﾅｶﾄｻﾁﾖｳ", "0421", ("1", "0123456")),
        record(first),
        record(second),
        trailer(2, 448_765),
        END,
    ]
    return b"".join(item + separator for item in records)


DEBIT_PAYERS = [
    (KOCHI_SUSAKI, ("1", "1111111"), "ｸﾚ ｲﾁﾛｳ", 3_240, "10001"),
    (KOCHI_KUBOKAWA, ("1", "2222222"), "ｸﾎﾞｶﾜ ｼﾞﾛｳ", 5_480, "10002"),
    (SHIKOKU_HONTEN, ("4", "3333333"), "ｻｶﾞﾜ ﾊﾅｺ", 12_960, "10003"),
]
RESULT_CODES = ["0", "1", "2", "3", "4", "8", "9", "0"]
RESULT_AMOUNTS = [3_240, 5_480, 12_960, 2_000, 1_500, 4_100, 7_700, 6_600]


def _debit_record(index: int, amount: int, code: str) -> bytes:
    bank, account, name, _, customer = DEBIT_PAYERS[index % len(DEBIT_PAYERS)]
    fields = data_head(bank, account, name, amount, "0")
    fields |= {(92, 111): text(f"{customer}-{index}" if index >= 3 else customer, 20), (112, 112): code}
    return record(fields)


def debit_91() -> bytes:
    header_91 = header("91", "0000054321", "ﾅｶﾄｻﾁﾖｳ ｽｲﾄﾞｳｶ", "0427", ("1", "0999999"))
    data = [_debit_record(index, payer[3], "0") for index, payer in enumerate(DEBIT_PAYERS)]
    total = sum(payer[3] for payer in DEBIT_PAYERS)
    records = [header_91, *data, trailer(3, total, (0, 0, 0, 0)), END]
    return b"".join(item + CRLF for item in records)


def result_91(*, tampered: bool = False) -> bytes:
    """The bank's result: every defined code once (0 twice). Tampered: record 5 has the undefined code 5 and the
    trailer counts it as 振替済, with a total amount 1,000 yen too high."""
    header_91 = header("91", "0000054321", "ﾅｶﾄｻﾁﾖｳ ｽｲﾄﾞｳｶ", "0427", None)
    codes = list(RESULT_CODES)
    if tampered:
        codes[4] = "5"
    pairs = enumerate(zip(RESULT_AMOUNTS, codes, strict=True))
    data = [_debit_record(index, amount, code) for index, (amount, code) in pairs]
    total = sum(RESULT_AMOUNTS)
    succeeded = [amount for amount, code in zip(RESULT_AMOUNTS, RESULT_CODES, strict=True) if code == "0"]
    results = (len(succeeded), sum(succeeded), len(codes) - len(succeeded), total - sum(succeeded))
    if tampered:
        results = (results[0] + 1, results[1] + RESULT_AMOUNTS[4], results[2] - 1, results[3] - RESULT_AMOUNTS[4])
        total += 1_000
    records = [header_91, *data, trailer(len(data), total, results), END]
    return b"".join(item + CRLF for item in records)


FILES = {
    "transfer_21.dat": transfer_21,
    "salary_11.dat": lambda: salary("11", CRLF),
    "bonus_12_no_separator.dat": lambda: salary("12", b""),
    "debit_91.dat": debit_91,
    "debit_91_result.dat": result_91,
    "debit_91_result_tampered.dat": lambda: result_91(tampered=True),
}


if __name__ == "__main__":
    for name, compose in FILES.items():
        (GOLDEN / name).write_bytes(compose())
        print(name)
