# ruff: noqa: S608  -- SQL is assembled from constants and column names only; every value is a parameter.
"""The resident CSV import, step 3: the vectorised Python passes over the staged rows
(docs/domain/resident_bulk_import.md): 個人番号 checked, encrypted and indexed in batches; the rows that are not
plain through the per-row reader; search keys. Each pass reads batches through a server-side cursor
and COPYs its results into a temporary table, so memory holds one batch at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import connection

from common.csv_export import restore_cell
from common.csv_import import RowError
from common.text import normalize_search_text
from resident_records import csv_io, mynumber, search, services
from resident_records.csv_stage import Progress

FETCH_ROWS = 5_000  # rows per round trip of the Python passes (bounds their memory)

# The values a row keeps, in this order, in the table of checked rows (kyodo_import_rows).
# "key" and "relationship" come first: a row in error keeps only those two (for the household rules).
TEXT_FIELDS = (
    "key", "relationship", "my_number", "family_name", "given_name", "family_name_kana", "given_name_kana",
    "former_surname", "former_surname_kana", "alias", "alias_kana", "sex", "address", "address_detail",
    "postal_code", "domicile", "domicile_head", "previous_address", "resident_type", "nationality",
    "residence_status", "resident_code", "search_name", "search_kana", "search_address",
)  # fmt: skip
DATE_FIELDS = ("birth_date", "became_resident_on", "address_set_on", "residence_period_end")


# --- vectorised Python passes ------------------------------------------------------------------------------


def passes(
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


def my_numbers() -> None:
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
    passes(
        "SELECT row_no, my_number FROM kyodo_import_rows WHERE plain AND my_number <> ''",
        "kyodo_import_numbers",
        "row_no, encrypted, idx",
        convert,
    )
    if rejected:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE kyodo_import_rows SET plain = false, ok = false WHERE row_no = ANY(%s)", [rejected])


def other_rows(staged: dict[str, str], errors: list[RowError], today: date, progress: Progress, total: int) -> None:
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
                converted.append((row_no, True, *normalised(row)))
        done += len(converted)
        progress(done, total, "検査(変換が必要な行)")
        return converted

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE kyodo_import_fixed (row_no integer PRIMARY KEY, ok boolean, "
            + ", ".join(f"{name} {'date' if name in DATE_FIELDS else 'text'}" for name in fixed_columns)
            + ") ON COMMIT DROP"
        )
    passes(
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


def normalised(row: Any) -> tuple[Any, ...]:
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
        "search_address": search.address_key(row.address),
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


def search_keys() -> None:
    """Plain rows whose names or address hold characters the search key function may change: keys from that
    function (the others got theirs in SQL, csv_classify). The search's n-grams follow from the keys in the database
    (the GIN index over ``models.SearchGrams``)."""

    def convert(batch: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [
            (row_no, normalize_search_text(n), normalize_search_text(k), search.address_key(a))
            for row_no, n, k, a in batch
        ]

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE kyodo_import_keys (row_no integer, n text, k text, a text) ON COMMIT DROP"
        )
    if passes(
        "SELECT row_no, concat(family_name, given_name, former_surname, alias), "
        "concat(family_name_kana, given_name_kana, former_surname_kana, alias_kana), address "
        "FROM kyodo_import_rows WHERE plain AND (search_name IS NULL OR search_kana IS NULL OR search_address IS NULL)",
        "kyodo_import_keys",
        "row_no, n, k, a",
        convert,
    ):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE kyodo_import_rows r SET search_name = k.n, search_kana = k.k, search_address = k.a "
                "FROM kyodo_import_keys k WHERE r.row_no = k.row_no"
            )
