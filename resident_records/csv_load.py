# ruff: noqa: S608  -- SQL is assembled from model metadata and constants only; every value is a parameter.
"""The set-based resident CSV import: COPY into a staging table, checks in SQL and in vectorised passes, then
``INSERT … SELECT`` into the register (docs/resident_csv_layout.md, docs/domain/resident_bulk_import.md).

The file is never held in memory: it is decoded and read record by record and COPYed into a temporary table
(``csv_stage``). Then, in one transaction:

1. **Classify** (one SQL pass, ``csv_classify``). A row is *plain* when every cell is already in the form the
   register keeps — canonical spaces, katakana furigana, 西暦 ``YYYY-MM-DD`` dates that exist and are not in the
   future, the codes ``1``/``2`` — and breaks none of the row rules. The SQL only recognises rows; it never words
   an error. The classification is conservative: a row it does not recognise is simply not plain.
2. **個人番号** (a vectorised Python pass, ``csv_passes`` like step 3 and the search keys): every number is checked
   by ``mynumber.validate`` (the check digit of 番号法施行令 第8条), encrypted and blind-indexed in batches; a plain
   row with a bad number becomes non-plain.
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

from dataclasses import dataclass, field
from typing import IO

from django.db import connection, transaction

from common.csv_import import RowError
from common.dates import local_today
from common.errors import ValidationFailed
from resident_records import bulk, csv_io, csv_write
from resident_records.csv_classify import classify
from resident_records.csv_passes import my_numbers, other_rows, search_keys
from resident_records.csv_stage import Progress, no_progress, stage
from resident_records.models import Household, Resident, ResidentStatus
from resident_records.services import HEAD
from tenants.models import Person

TEMPORARY_TABLES = (
    "kyodo_import_raw", "kyodo_import_rows", "kyodo_import_numbers", "kyodo_import_fixed", "kyodo_import_keys",
    "kyodo_import_order", "kyodo_import_households", "kyodo_import_members", "kyodo_import_heads",
)  # fmt: skip


@dataclass
class LoadOutcome:
    households: int = 0
    residents: int = 0
    errors: list[RowError] = field(default_factory=list)
    result: bulk.BulkLoadResult | None = None


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
    progress: Progress = no_progress,
) -> LoadOutcome:
    """Check a whole file and, if it has no error and ``dry_run`` is False, register it (all or nothing)."""
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationFailed("一括登録の目的を入力してください。", code="purpose_required")
    today = local_today()
    outcome = LoadOutcome()
    errors = outcome.errors
    with transaction.atomic():
        staged, total = stage(stream, errors, progress)
        if staged:
            progress(0, total, "検査")
            classify(staged, today)
            my_numbers()
            other_rows(staged, errors, today, progress, total)
            search_keys()
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
