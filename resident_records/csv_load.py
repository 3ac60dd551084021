# ruff: noqa: S608  -- SQL is assembled from model metadata and constants only; every value is a parameter.
"""The set-based resident CSV import: COPY into a staging table, checks in SQL and in vectorised passes, then
``INSERT … SELECT`` into the register (docs/resident_csv_layout.md, docs/domain/resident_bulk_import.md).

The file is never held in memory: it is decoded and read record by record and COPYed into a temporary table.
Then, in one transaction:

1. **Classify** (one SQL pass). A row is *plain* when every cell is already in the form the register keeps —
   canonical spaces, katakana furigana, 西暦 ``YYYY-MM-DD`` dates that exist and are not in the future, the
   codes ``1``/``2`` — and breaks none of the row rules. The SQL only recognises rows; it never words an error.
   The classification is conservative: a row it does not recognise is simply not plain.
2. **個人番号** (a vectorised Python pass): every number is checked by ``mynumber.validate`` (the check digit of
   番号法施行令 第8条), encrypted and blind-indexed in batches; a plain row with a bad number becomes non-plain.
3. **Other rows** go through ``csv_io._read_row``, the per-row reader with every rule and message of the
   layout, and ``services.person_attributes``, the normalisation of the clerk's screen. So every row-level
   error message comes from the same functions as before, and a plain row gets exactly the values those
   functions would have produced (tests check both statements over the same cases).
4. **Households and duplicates** (SQL): one 世帯主 per 世帯番号, the same 住所・方書・郵便番号 for all members, a
   住民票コード or 個人番号 twice in the file or already living here. SQL returns the facts; the messages are
   worded here.
5. **Load** (resident_records.csv_write): numbers from the town's sequences, the check digits computed in SQL by
   ``numbering``'s rule (``numbering.check_digit_sql``), then one ``INSERT … SELECT`` per table. With any error
   nothing is written.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import IO, Any

import psycopg
from django.db import DatabaseError, connection, transaction

from common.csv_export import restore_cell
from common.csv_import import BOM, RowError
from common.dates import local_today
from common.errors import ValidationFailed
from common.text import normalize_search_text
from resident_records import bulk, csv_io, csv_write, mynumber, search, services, validation
from resident_records.models import (
    Household,
    Resident,
    ResidentStatus,
    ResidentType,
)
from resident_records.services import HEAD
from tenants.models import Person

Progress = Callable[[int, int, str], None]

TEMPORARY_TABLES = (
    "kyodo_import_raw", "kyodo_import_rows", "kyodo_import_numbers", "kyodo_import_fixed", "kyodo_import_keys",
    "kyodo_import_order", "kyodo_import_households", "kyodo_import_members", "kyodo_import_heads",
    "kyodo_import_grams",
)  # fmt: skip
READ_CHUNK = 1024 * 1024
FETCH_ROWS = 5_000  # rows per round trip of the Python passes (bounds their memory)
PROGRESS_EVERY = 10_000

# The values a row keeps, in this order, in the table of checked rows (kyodo_import_rows).
# "key" and "relationship" come first: a row in error keeps only those two (for the household rules).
TEXT_FIELDS = (
    "key", "relationship", "my_number", "family_name", "given_name", "family_name_kana", "given_name_kana",
    "former_surname", "former_surname_kana", "alias", "alias_kana", "sex", "address", "address_detail",
    "postal_code", "domicile", "domicile_head", "previous_address", "resident_type", "nationality",
    "residence_status", "resident_code", "search_name", "search_kana",
)  # fmt: skip
DATE_FIELDS = ("birth_date", "became_resident_on", "address_set_on", "residence_period_end")
# Furigana as the register keeps it, restricted to characters that NFKC, hiragana→katakana and case folding
# leave alone (U+30A0 and U+30FF are not: NFKC turns ヿ into コト); tests check every character of the class.
KANA_CLASS = "\u30a1-\u30fe"
# The marks validation.normalize_address turns into "-" after a digit (its HYPHENS but "-" itself).
ADDRESS_HYPHENS = validation.HYPHENS.replace("-", "")
KANA_BEFORE_MARK = "\u3041-\u30ff\uff66-\uff9f"  # hiragana, katakana, half-width katakana
# Characters the search key function (common.text.normalize_search_text) leaves unchanged one by one and that
# never combine with their neighbours under NFKC: katakana, the CJK unified ideographs, 々, 〆, a-z and 0-9.
SEARCH_STABLE_CLASS = "\u30a1-\u30fe\u4e00-\u9fff\u3005\u3006a-z0-9"


@dataclass
class LoadOutcome:
    households: int = 0
    residents: int = 0
    errors: list[RowError] = field(default_factory=list)
    result: bulk.BulkLoadResult | None = None


def _no_progress(done: int, total: int, phase: str) -> None:
    return None


# --- decoding ------------------------------------------------------------------------------------------


def detect_encoding(stream: IO[bytes]) -> tuple[str, int]:
    """The file's encoding and where its text starts: UTF-8 (with or without BOM), else Shift_JIS/cp932.

    The whole file is decoded once in chunks to decide (no copy of it is kept).
    """
    stream.seek(0)
    head = stream.read(len(BOM))
    if head == BOM:
        if not _decodes(stream, "utf-8", len(BOM)):
            raise csv_io.ImportInvalid(
                "UTF-8 の BOM がありますが、UTF-8 として読めない文字があります。",
                details={"errors": [RowError(0, "", "文字コードが正しくありません。").as_dict()]},
            )
        return "utf-8", len(BOM)
    for encoding in ("utf-8", "cp932"):
        if _decodes(stream, encoding, 0):
            return encoding, 0
    raise csv_io.ImportInvalid(
        "文字コードを判別できません。UTF-8(BOM付き推奨)か Shift_JIS で保存してください。",
        details={"errors": [RowError(0, "", "文字コードを判別できません。").as_dict()]},
    )


def _decodes(stream: IO[bytes], encoding: str, start: int) -> bool:
    stream.seek(start)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        while chunk := stream.read(READ_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# --- the staging table -----------------------------------------------------------------------------------


def _stage(stream: IO[bytes], errors: list[RowError], progress: Progress) -> tuple[dict[str, str], int]:
    """Put every record into kyodo_import_raw (row_no, c0 … cN); returns column name → staging column, rows.

    Records are numbered with the header as row 1; blank records are skipped (but numbered); a record with
    another number of cells than the header is an error of its row. PostgreSQL's own CSV reader loads the
    file when it can (:func:`_copy_file`); a file it refuses goes through the csv module, row by row.
    """
    encoding, start = detect_encoding(stream)
    stream.seek(start)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise csv_io.ImportInvalid(
                "ファイルが空です(1行目に見出しが必要です)。",
                details={"errors": [RowError(1, "", "見出し行がありません。").as_dict()]},
            )
        columns = csv_io._header(header, errors)
        if errors:
            return {}, 0
        width = len(columns)
        staged = {column.name: f"c{i}" for i, column in enumerate(columns) if column is not None}
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE kyodo_import_raw (row_no integer GENERATED BY DEFAULT AS IDENTITY "
                f"(START WITH 2), {', '.join(f'c{i} text' for i in range(width))}) ON COMMIT DROP"
            )
        if reader.line_num == 1 and _copy_file(stream, start, encoding, width, progress):
            return staged, _drop_blank_records(width)
        text.detach()  # a wrapper that is dropped without detaching closes the stream
        stream.seek(start)
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        reader = csv.reader(text)
        next(reader)
        return staged, _copy_records(reader, width, errors, progress)
    except csv.Error as exc:
        raise csv_io.ImportInvalid(
            "CSV として読み取れません。",
            details={"errors": [RowError(reader.line_num, "", f"CSV の形式が正しくありません: {exc}").as_dict()]},
        ) from exc
    finally:
        text.detach()


class _NotForCopy(Exception):
    """The file holds something PostgreSQL's CSV reader would read differently from the csv module."""


def _copy_file(stream: IO[bytes], start: int, encoding: str, width: int, progress: Progress) -> bool:
    """COPY the file with PostgreSQL's CSV reader (header skipped); False (nothing loaded) when it refuses it.

    It refuses what the csv module would report row by row — a record with too few or too many cells, an
    empty line — and NUL bytes; those files take the row-by-row path, which words the errors. ``\\.`` alone
    on a line ends COPY data, so a file holding ``\\.`` anywhere takes that path too.
    """
    columns = ", ".join(f"c{i}" for i in range(width))
    decoder = codecs.getincrementaldecoder(encoding)() if encoding != "utf-8" else None
    size = stream.seek(0, io.SEEK_END)
    stream.seek(start)
    try:
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.copy(f"COPY kyodo_import_raw ({columns}) FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            tail = b""
            while chunk := stream.read(READ_CHUNK):
                if b"\\." in tail + chunk[:1] or b"\\." in chunk:
                    raise _NotForCopy
                tail = chunk[-1:]
                copy.write(decoder.decode(chunk).encode("utf-8") if decoder else chunk)
                progress(stream.tell(), size, "読み込み")
    except (_NotForCopy, DatabaseError, psycopg.Error):
        return False
    return True


def _drop_blank_records(width: int) -> int:
    """Records of empty or blank cells only are not residents (the csv path skips them the same way)."""
    with connection.cursor() as cursor:
        cells = ", ".join(f"c{i}" for i in range(width))
        cursor.execute(f"DELETE FROM kyodo_import_raw WHERE concat({cells}) ~ %s", [f"^[ {_python_whitespace()}]*$"])
        cursor.execute("SELECT count(*) FROM kyodo_import_raw")
        return int(cursor.fetchone()[0])


def _copy_records(reader: Iterator[list[str]], width: int, errors: list[RowError], progress: Progress) -> int:
    rows = 0
    with connection.cursor() as cursor, cursor.copy("COPY kyodo_import_raw FROM STDIN") as copy:
        for number, record in enumerate(reader, start=2):
            if not "".join(record).strip():
                continue  # blank lines (often at the end of a file) are ignored
            if len(record) != width:
                errors.append(
                    RowError(number, "", f"列の数が見出しと違います(見出し{width}列、この行{len(record)}列)。")
                )
                continue
            copy.write_row((number, *record))
            rows += 1
            if rows % PROGRESS_EVERY == 0:
                progress(rows, 0, "読み込み")
    return rows


# --- classification --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _python_whitespace() -> str:
    """A regular-expression class of every character ``str.split()`` treats as a separator, but the space."""
    return "".join(f"\\u{code:04x}" for code in range(0x3001) if chr(code).isspace() and code != 0x20)


def _iso_date_ok(cell: str) -> str:
    """SQL: ``cell`` is a real Gregorian date written ``YYYY-MM-DD`` (the CASE guards the casts). The modulo is
    written ``%%``: the query runs with parameters."""
    year, month, day = f"substr({cell}, 1, 4)::int", f"substr({cell}, 6, 2)::int", f"substr({cell}, 9, 2)::int"
    leap = f"({year} %% 4 = 0 AND {year} %% 100 <> 0 OR {year} %% 400 = 0)"
    return (
        f"(CASE WHEN {cell} ~ '^[0-9]{{4}}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' AND {cell} >= '0001' "
        f"THEN {day} <= CASE WHEN {month} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END "
        f"WHEN {month} IN (4, 6, 9, 11) THEN 30 ELSE 31 END ELSE false END)"
    )


def _classify(staged: dict[str, str], today: date) -> None:
    """Create kyodo_import_rows: every staged row with its values, ``plain`` and, for plain rows, typed dates."""

    def cell(name: str) -> str:
        # Byte-wise ("C") comparisons: the rules compare codes and ISO dates, never words in a language.
        return f"coalesce(r.{staged[name]}, '') COLLATE \"C\"" if name in staged else "''"

    every = [cell(c.name) for c in csv_io.COLUMNS if c.import_]
    japanese = f"({cell('resident_type')} IN ('', '1'))"
    # Length limits of csv_io._read_row (its max_length arguments; text cells default to 200).
    limits = {
        "household_key": 50, "relationship": 20, "family_name": 50, "given_name": 50, "family_name_kana": 200,
        "given_name_kana": 200, "former_surname": 50, "former_surname_kana": 200, "alias": 100, "alias_kana": 200,
        "address": 200, "address_detail": 100, "domicile": 200, "domicile_head": 100, "previous_address": 200,
        "nationality": 50, "residence_status": 50,
    }  # fmt: skip
    # ... and the register's own column lengths, which validation.check_person enforces on the other rows.
    columns = {f.name for f in Resident._meta.get_fields()}
    limits = {name: min(limit, validation.max_length(name) or limit) if name in columns else limit
              for name, limit in limits.items()}  # fmt: skip
    birth, became, address_set = cell("birth_date"), cell("became_resident_on"), cell("address_set_on")
    period = cell("residence_period_end")
    conditions = [
        # Canonical spacing, one regular expression over all cells: no separator but single ASCII spaces, none
        # at either end of a cell.
        f"concat_ws(E'\\x01', {', '.join(every)}) COLLATE \"C\" !~ %(spacing)s",
        # A cell starting with an apostrophe may be a formula cell neutralised by a Kyodo export: such rows take
        # the per-row path, whose reader restores it (common.csv_export.restore_cell, one rule for every import).
        f"concat_ws(E'\\x01', {', '.join(every)}) COLLATE \"C\" !~ %(neutralised)s",
        *(f"length({cell(name)}) <= {limit}" for name, limit in limits.items()),
        *(f"{cell(name)} <> ''" for name in ("household_key", "relationship", "family_name", "address")),
        f"{cell('status')} IN ('', '{ResidentStatus.RESIDENT.value}', '{ResidentStatus.RESIDENT.label}')",
        f"{cell('resident_type')} IN ('', '1', '2')",
        f"{cell('sex')} IN ('1', '2')",
        f"{_iso_date_ok(birth)} AND {birth} <= %(today)s",
        f"{_iso_date_ok(address_set)} AND {address_set} <= %(today)s",
        f"({became} = '' AND {address_set} >= {birth} OR {_iso_date_ok(became)} AND {became} <= %(today)s "
        f"AND {became} >= {birth})",
        f"({period} = '' OR {_iso_date_ok(period)})",
        f"concat_ws(' ', {cell('family_name_kana')}, {cell('given_name_kana')}, {cell('former_surname_kana')}, "
        f"{cell('alias_kana')}) COLLATE \"C\" ~ '^[{KANA_CLASS} ]*$'",
        f"(NOT {japanese} OR {cell('family_name_kana')} <> '' AND {cell('given_name')} <> '')",
        f"({japanese} OR {cell('nationality')} <> '')",
        f"({cell('domicile')} = '' OR {japanese})",
        # Already in the one form validation.normalize_postal_code / normalize_address keep: 123-4567; no
        # full-width letters, digits or hyphens, and a hyphen-like mark (but "-") only as a prolonged sound mark
        # after kana (「ケーブル」); after anything else it may be a 番地 hyphen, which the per-row path normalises.
        f"({cell('postal_code')} = '' OR {cell('postal_code')} ~ '^[0-9]{{3}}-[0-9]{{4}}$')",
        *(
            f"{cell(name)} !~ '[\uff01-\uff5e]' AND {cell(name)} !~ '(^|[^{KANA_BEFORE_MARK}])[{ADDRESS_HYPHENS}]'"
            for name in ("address", "address_detail", "previous_address")
        ),
        f"({cell('resident_code')} = '' OR {cell('resident_code')} ~ '^[0-9]{{11}}$')",
        f"({cell('my_number')} = '' OR {cell('my_number')} ~ '^[0-9]{{12}}$')",
    ]
    plain = " AND ".join(f"({c})" for c in conditions)
    names = f"concat({cell('family_name')}, {cell('given_name')}, {cell('former_surname')}, {cell('alias')})"
    kanas = (
        f"concat({cell('family_name_kana')}, {cell('given_name_kana')}, {cell('former_surname_kana')}, "
        f"{cell('alias_kana')})"
    )
    stable = f"'^[{SEARCH_STABLE_CLASS} ]*$'"
    resident_type = (
        f"CASE WHEN {cell('resident_type')} = '2' THEN '{ResidentType.FOREIGN.value}' "
        f"ELSE '{ResidentType.JAPANESE.value}' END"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE kyodo_import_rows ON COMMIT DROP AS
            SELECT row_no, plain, plain AS ok, key, relationship, family_name, given_name, family_name_kana,
                   given_name_kana, former_surname, former_surname_kana, alias, alias_kana, sex, address,
                   address_detail, postal_code, domicile, domicile_head, previous_address, resident_type,
                   nationality, residence_status, resident_code,
                   CASE WHEN plain AND names COLLATE "C" ~ {stable} THEN replace(names, ' ', '') END AS search_name,
                   CASE WHEN plain AND kanas COLLATE "C" ~ {stable} THEN replace(kanas, ' ', '') END AS search_kana,
                   my_number,
                   CASE WHEN plain THEN birth::date END AS birth_date,
                   CASE WHEN plain THEN coalesce(nullif(became, ''), address_set)::date END AS became_resident_on,
                   CASE WHEN plain THEN address_set::date END AS address_set_on,
                   CASE WHEN plain THEN nullif(period, '')::date END AS residence_period_end
            FROM (
                SELECT r.row_no, ({plain}) AS plain,
                       {cell("household_key")} AS key, {cell("relationship")} AS relationship,
                       {cell("family_name")} AS family_name, {cell("given_name")} AS given_name,
                       {cell("family_name_kana")} AS family_name_kana, {cell("given_name_kana")} AS given_name_kana,
                       {cell("former_surname")} AS former_surname,
                       {cell("former_surname_kana")} AS former_surname_kana,
                       {cell("alias")} AS alias, {cell("alias_kana")} AS alias_kana, {cell("sex")} AS sex,
                       {cell("address")} AS address, {cell("address_detail")} AS address_detail,
                       {cell("postal_code")} AS postal_code, {cell("domicile")} AS domicile,
                       {cell("domicile_head")} AS domicile_head, {cell("previous_address")} AS previous_address,
                       {resident_type} AS resident_type, {cell("nationality")} AS nationality,
                       {cell("residence_status")} AS residence_status, {cell("resident_code")} AS resident_code,
                       {cell("my_number")} AS my_number, {names} AS names, {kanas} AS kanas,
                       {birth} AS birth, {became} AS became, {address_set} AS address_set, {period} AS period
                FROM kyodo_import_raw r
                OFFSET 0  -- keeps the subquery apart, so that the predicate is computed once per row
            ) classified
            """,
            {
                "spacing": f"[{_python_whitespace()}]|(^|\x01) | (\x01|$)|  ",
                "neutralised": "(^|\x01)'",
                "today": today.isoformat(),
            },
        )
        cursor.execute("CREATE UNIQUE INDEX ON kyodo_import_rows (row_no)")
        # Temporary tables get no statistics of their own; the joins need the row count and the keys'.
        cursor.execute("ANALYZE kyodo_import_rows (row_no, key, relationship)")


# --- vectorised Python passes ------------------------------------------------------------------------------


def _passes(
    select: str, table: str, columns: str, convert: Callable[[list[tuple[Any, ...]]], list[tuple[Any, ...]]]
) -> int:
    """Fetch rows in batches through a server-side cursor and COPY each converted batch into ``table``.

    The connection cannot FETCH while a COPY is open, so each batch gets its own short COPY; memory holds one
    batch at a time.
    """
    done = 0
    with connection.chunked_cursor() as read, connection.cursor() as write:
        read.execute(select)
        while batch := read.fetchmany(FETCH_ROWS):
            converted = convert(batch)
            with write.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in converted:
                    copy.write_row(row)
            done += len(batch)
    return done


def _my_numbers() -> None:
    """Check, encrypt and index every 個人番号 of the plain rows, in batches; a bad one makes its row non-plain."""
    sealer = mynumber.BatchSealer()
    rejected: list[int] = []

    def convert(batch: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        valid: list[tuple[int, str]] = []
        for row_no, number in batch:
            if mynumber.valid_plain(number):
                valid.append((row_no, number))
            else:
                rejected.append(row_no)
        sealed = sealer.encrypt_many([number for _, number in valid])
        indexes = sealer.blind_index_many([number for _, number in valid])
        return [(row_no, enc, idx) for (row_no, _), enc, idx in zip(valid, sealed, indexes, strict=True)]

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE kyodo_import_numbers (row_no integer PRIMARY KEY, encrypted text, idx text) "
            "ON COMMIT DROP"
        )
    _passes(
        "SELECT row_no, my_number FROM kyodo_import_rows WHERE plain AND my_number <> ''",
        "kyodo_import_numbers",
        "row_no, encrypted, idx",
        convert,
    )
    if rejected:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE kyodo_import_rows SET plain = false, ok = false WHERE row_no = ANY(%s)", [rejected])


def _other_rows(staged: dict[str, str], errors: list[RowError], today: date, progress: Progress, total: int) -> None:
    """Non-plain rows through the per-row reader (every rule and message) and the screen's normalisation."""
    order = list(staged)
    fixed_columns = [*TEXT_FIELDS, *DATE_FIELDS, "encrypted", "idx"]
    blank = [None] * (len(fixed_columns) - 2)
    done = 0

    def convert(batch: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        nonlocal done
        converted = []
        for row_no, *cells in batch:
            values = dict(zip(order, cells, strict=True))
            row = csv_io._read_row(row_no, values, errors, today)
            if row is None:
                # Kept for the household rules, which count every row of a household (csv_io: relationships).
                key = " ".join(restore_cell(values.get("household_key", "")).split())
                relationship = " ".join(restore_cell(values.get("relationship", "")).split())
                converted.append((row_no, False, key, relationship, *blank))
            else:
                converted.append((row_no, True, *_normalised(row)))
        done += len(converted)
        progress(done, total, "検査(変換が必要な行)")
        return converted

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE kyodo_import_fixed (row_no integer PRIMARY KEY, ok boolean, "
            + ", ".join(f"{name} {'date' if name in DATE_FIELDS else 'text'}" for name in fixed_columns)
            + ") ON COMMIT DROP"
        )
    _passes(
        f"SELECT r.row_no, {', '.join(f'coalesce({staged[name]}, {chr(39) * 2})' for name in order)} "
        "FROM kyodo_import_raw r "
        "JOIN kyodo_import_rows k USING (row_no) WHERE NOT k.plain ORDER BY r.row_no",
        "kyodo_import_fixed",
        f"row_no, ok, {', '.join(fixed_columns)}",
        convert,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE kyodo_import_rows k SET ok = f.ok, "
            + ", ".join(f"{name} = f.{name}" for name in [*TEXT_FIELDS, *DATE_FIELDS])
            + " FROM kyodo_import_fixed f WHERE k.row_no = f.row_no"
        )
        cursor.execute(
            "INSERT INTO kyodo_import_numbers (row_no, encrypted, idx) "
            "SELECT row_no, encrypted, idx FROM kyodo_import_fixed WHERE ok AND encrypted <> ''"
        )


def _normalised(row: Any) -> tuple[Any, ...]:
    """A checked row's values as the register keeps them (the single-record services' normalisation)."""
    attrs = services.person_attributes(row.person)
    became = row.person.extra.get("became_resident_on", row.address_set_on)
    values: dict[str, Any] = {
        **attrs,
        "my_number": row.person.my_number,
        "key": row.key,
        "address": row.address,
        "address_detail": row.address_detail,
        "postal_code": row.postal_code,
        "previous_address": row.previous_address,
        "search_name": normalize_search_text(
            f"{attrs['family_name']}{attrs['given_name']}{attrs['former_surname']}{attrs['alias']}"
        ),
        "search_kana": normalize_search_text(
            f"{attrs['family_name_kana']}{attrs['given_name_kana']}{attrs['former_surname_kana']}{attrs['alias_kana']}"
        ),
        "became_resident_on": became,
        "address_set_on": row.address_set_on,
        "encrypted": attrs.get("my_number_encrypted", ""),
        "idx": attrs.get("my_number_index", ""),
    }
    return (
        *(str(values[name]) for name in TEXT_FIELDS),
        *(values[name] for name in DATE_FIELDS),
        values["encrypted"],
        values["idx"],
    )


def _search_keys() -> None:
    """Plain rows whose names hold characters the search key function may change: keys from that function."""

    def convert(batch: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [(row_no, normalize_search_text(n), normalize_search_text(k)) for row_no, n, k in batch]

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE kyodo_import_keys (row_no integer, n text, k text) ON COMMIT DROP")
    if _passes(
        "SELECT row_no, concat(family_name, given_name, former_surname, alias), "
        "concat(family_name_kana, given_name_kana, former_surname_kana, alias_kana) "
        "FROM kyodo_import_rows WHERE plain AND (search_name IS NULL OR search_kana IS NULL)",
        "kyodo_import_keys",
        "row_no, n, k",
        convert,
    ):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE kyodo_import_rows r SET search_name = k.n, search_kana = k.k FROM kyodo_import_keys k "
                "WHERE r.row_no = k.row_no"
            )


def _search_grams() -> None:
    """The n-gram keys of the resident search (search.index_grams, the function the services use) for every row
    to be registered: without them the search would not find an imported resident (docs/search.md)."""

    def convert(batch: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [
            (row_no, search.index_grams(search_name=name, search_kana=kana, address=address))
            for row_no, name, kana, address in batch
        ]

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE kyodo_import_grams (row_no integer PRIMARY KEY, grams text[]) ON COMMIT DROP"
        )
    _passes(
        "SELECT row_no, search_name, search_kana, address FROM kyodo_import_rows WHERE ok ORDER BY row_no",
        "kyodo_import_grams",
        "row_no, grams",
        convert,
    )


# --- rules over households and the whole file ----------------------------------------------------------


def _household_errors(errors: list[RowError]) -> None:
    """住基法 第7条第4号: one 世帯主 per household; its members share 住所, 方書 and 郵便番号 (csv layout §Import 2)."""
    label = {c.name: c.label for c in csv_io.COLUMNS}
    with connection.cursor() as cursor:
        # Counted on every row of the household, including rows with errors of their own.
        cursor.execute(
            """
            SELECT key, first_row, heads, rows_in_error FROM (
                SELECT key, min(row_no) AS first_row, count(*) FILTER (WHERE relationship = %s) AS heads,
                       array_agg(row_no ORDER BY row_no) FILTER (WHERE relationship = %s) AS rows_in_error
                FROM kyodo_import_rows WHERE key <> '' GROUP BY key
            ) g WHERE heads <> 1 ORDER BY first_row
            """,
            [HEAD, HEAD],
        )
        for key, first_row, heads, head_rows in cursor.fetchall():
            for number in head_rows[1:] if heads else [first_row]:
                errors.append(
                    RowError(
                        number,
                        "続柄",
                        f"世帯番号「{key}」の世帯主(続柄「世帯主」)は1人だけにしてください(現在{heads}人)。",
                    )
                )
        cursor.execute(
            """
            WITH households AS (
                SELECT key FROM kyodo_import_rows WHERE key <> '' GROUP BY key
                HAVING count(*) FILTER (WHERE relationship = %s) = 1 AND bool_and(ok)
            ), heads AS (
                SELECT r.* FROM kyodo_import_rows r JOIN households USING (key) WHERE r.relationship = %s
            )
            SELECT m.row_no, m.address <> h.address, m.address_detail <> h.address_detail,
                   m.postal_code <> h.postal_code
            FROM kyodo_import_rows m JOIN heads h USING (key)
            WHERE m.address <> h.address OR m.address_detail <> h.address_detail OR m.postal_code <> h.postal_code
            ORDER BY m.row_no
            """,
            [HEAD, HEAD],
        )
        for number, *differs in cursor.fetchall():
            for name, differ in zip(("address", "address_detail", "postal_code"), differs, strict=True):
                if differ:
                    errors.append(
                        RowError(
                            number, label[name], f"同じ世帯の世帯員は{label[name]}が世帯主と同じでなければなりません。"
                        )
                    )


def _duplicate_errors(errors: list[RowError]) -> None:
    """住民票コード and 個人番号 identify one person (住基法 第7条第13号, 番号法 第2条第5項): never twice in the file,
    never the number of someone already living here (the services refuse the same: ``my_number_in_use``)."""
    label = {c.name: c.label for c in csv_io.COLUMNS}
    with connection.cursor() as cursor:
        # Households in order of first appearance, members in file order: the order the rows are registered.
        cursor.execute(
            """
            CREATE TEMPORARY TABLE kyodo_import_order ON COMMIT DROP AS
            SELECT row_no, row_number() OVER (ORDER BY first_row, row_no) AS ord
            FROM (SELECT row_no, min(row_no) OVER (PARTITION BY key) AS first_row FROM kyodo_import_rows) r
            """
        )
        found: list[tuple[int, int, str, int]] = []  # (ord, kind, label, first row)
        for kind, name, value in ((0, "my_number", "my_number"), (1, "resident_code", "resident_code")):
            cursor.execute(
                f"""
                SELECT ord, first_row FROM (
                    SELECT o.ord, first_value(r.row_no) OVER (PARTITION BY r.{value} ORDER BY o.ord) AS first_row,
                           row_number() OVER (PARTITION BY r.{value} ORDER BY o.ord) AS n
                    FROM kyodo_import_rows r JOIN kyodo_import_order o USING (row_no) WHERE r.{value} <> ''
                ) d WHERE n > 1
                """
            )
            found.extend((ord_, kind, name, first_row) for ord_, first_row in cursor.fetchall())
        cursor.execute("SELECT ord, row_no FROM kyodo_import_order WHERE ord = ANY(%s)", [[f[0] for f in found]])
        row_of = dict(cursor.fetchall())
        for ord_, _kind, name, first_row in sorted(found):
            errors.append(RowError(row_of[ord_], label[name], f"同じ{label[name]}が{first_row}行目にもあります。"))
        living = ResidentStatus.RESIDENT.value
        table = Resident._meta.db_table
        cursor.execute(
            f"""
            SELECT r.row_no FROM kyodo_import_numbers n JOIN kyodo_import_rows r USING (row_no)
            JOIN kyodo_import_order o USING (row_no)
            WHERE EXISTS (SELECT 1 FROM {table} x WHERE x.my_number_index = n.idx AND x.status = %s)
              AND NOT EXISTS (SELECT 1 FROM kyodo_import_rows e JOIN kyodo_import_order eo USING (row_no)
                              WHERE e.my_number = r.my_number AND eo.ord < o.ord)
            ORDER BY o.ord
            """,
            [living],
        )
        for (number,) in cursor.fetchall():
            errors.append(RowError(number, label["my_number"], "この個人番号は別の住民に記載されています。"))
        cursor.execute(
            f"""
            SELECT r.row_no FROM kyodo_import_rows r JOIN kyodo_import_order o USING (row_no)
            WHERE r.resident_code <> ''
              AND EXISTS (SELECT 1 FROM {table} x WHERE x.resident_code = r.resident_code AND x.status = %s)
              AND NOT EXISTS (SELECT 1 FROM kyodo_import_rows e JOIN kyodo_import_order eo USING (row_no)
                              WHERE e.resident_code = r.resident_code AND eo.ord < o.ord)
            ORDER BY o.ord
            """,
            [living],
        )
        for (number,) in cursor.fetchall():
            errors.append(RowError(number, label["resident_code"], "この住民票コードは別の住民に記載されています。"))


# --- the whole import ------------------------------------------------------------------------------------


def load_csv(
    *,
    actor: Person | None,
    stream: IO[bytes],
    purpose: str,
    dry_run: bool = False,
    batch_size: int = bulk.DEFAULT_BATCH_SIZE,
    progress: Progress = _no_progress,
) -> LoadOutcome:
    """Check a whole file and, if it has no error and ``dry_run`` is False, register it (all or nothing)."""
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationFailed("一括登録の目的を入力してください。", code="purpose_required")
    today = local_today()
    outcome = LoadOutcome()
    errors = outcome.errors
    with transaction.atomic():
        staged, total = _stage(stream, errors, progress)
        if staged:
            progress(0, total, "検査")
            _classify(staged, today)
            _my_numbers()
            _other_rows(staged, errors, today, progress, total)
            _search_keys()
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FILTER (WHERE ok) FROM kyodo_import_rows")
                (ok_rows,) = cursor.fetchone()
            if not ok_rows and not errors:
                errors.append(RowError(2, "", "住民の行がありません。"))
            _household_errors(errors)
            outcome.households, outcome.residents = _counts()
            if not errors:
                _duplicate_errors(errors)
        errors.sort(key=lambda e: e.row)
        if errors or dry_run:
            transaction.set_rollback(True)  # also drops the temporary tables
            return outcome
        progress(1, csv_write.LOAD_STEPS, "登録")
        _search_grams()
        outcome.result = csv_write.load(actor=actor, purpose=purpose, batch_size=batch_size, progress=progress)
        if outcome.result.residents >= bulk.ANALYZE_AFTER:
            # Fresh statistics, so that the very next search plans with the indexes rather than guessing from
            # the table as it was before the load.
            with connection.cursor() as cursor:
                for model in (Resident, Household):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {', '.join(TEMPORARY_TABLES)}")  # the transaction may go on (tests, callers)
        progress(csv_write.LOAD_STEPS, csv_write.LOAD_STEPS, "登録")
    return outcome


def _counts() -> tuple[int, int]:
    """Households (and their residents) that passed the row and household rules: what the report counts."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH households AS (
                SELECT key, count(*) AS size FROM kyodo_import_rows WHERE key <> '' GROUP BY key
                HAVING bool_and(ok) AND count(*) FILTER (WHERE relationship = %(head)s) = 1
            ), differing AS (
                SELECT DISTINCT m.key FROM kyodo_import_rows m JOIN households USING (key)
                JOIN kyodo_import_rows h ON h.key = m.key AND h.relationship = %(head)s
                WHERE m.address <> h.address OR m.address_detail <> h.address_detail
                   OR m.postal_code <> h.postal_code
            )
            SELECT count(*), coalesce(sum(size), 0) FROM households WHERE key NOT IN (SELECT key FROM differing)
            """,
            {"head": HEAD},
        )
        households, residents = cursor.fetchone()
    return int(households), int(residents)
