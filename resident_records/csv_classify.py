# ruff: noqa: S608  -- SQL is assembled from model metadata and constants only; every value is a parameter.
"""The resident CSV import, step 2: one SQL pass that recognises *plain* rows (docs/domain/resident_bulk_import.md).

A row is plain when every cell is already in the form the register keeps — canonical spaces, katakana furigana,
西暦 ``YYYY-MM-DD`` dates that exist and are not in the future, the codes ``1``/``2`` — and breaks none of the row
rules. The SQL only recognises rows; it never words an error. The classification is conservative: a row it does
not recognise is simply not plain and goes through the per-row reader (csv_passes.other_rows).
"""

from __future__ import annotations

from datetime import date

from django.db import connection

from resident_records import csv_io, validation
from resident_records.csv_stage import python_whitespace
from resident_records.models import Resident, ResidentStatus, ResidentType

# Furigana as the register keeps it, restricted to characters that NFKC, hiragana→katakana and case folding
# leave alone (U+30A0 and U+30FF are not: NFKC turns ヿ into コト); tests check every character of the class.
KANA_CLASS = "\u30a1-\u30fe"
# The marks validation.normalize_address turns into "-" after a digit (its HYPHENS but "-" itself).
ADDRESS_HYPHENS = validation.HYPHENS.replace("-", "")
KANA_BEFORE_MARK = "\u3041-\u30ff\uff66-\uff9f"  # hiragana, katakana, half-width katakana
# Characters the search key function (common.text.normalize_search_text) leaves unchanged one by one and that
# never combine with their neighbours under NFKC: katakana, the CJK unified ideographs, 々, 〆, a-z and 0-9.
SEARCH_STABLE_CLASS = "\u30a1-\u30fe\u4e00-\u9fff\u3005\u3006a-z0-9"
# The same for an address, whose 番地 hyphens validation.normalize_address has already made "-" (last in the class,
# so a literal in both regular expression dialects).
ADDRESS_STABLE_CLASS = SEARCH_STABLE_CLASS + "-"


# --- classification --------------------------------------------------------------------------------------


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


# long: one SQL statement per validation rule, run in the order the rules depend on each other; read top to bottom
def classify(staged: dict[str, str], today: date) -> None:
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
    address_stable = f"'^[ {ADDRESS_STABLE_CLASS}]*$'"
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
                   CASE WHEN plain AND address COLLATE "C" ~ {address_stable} THEN replace(address, ' ', '') END
                       AS search_address,
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
                "spacing": f"[{python_whitespace()}]|(^|\x01) | (\x01|$)|  ",
                "neutralised": "(^|\x01)'",
                "today": today.isoformat(),
            },
        )
        cursor.execute("CREATE UNIQUE INDEX ON kyodo_import_rows (row_no)")
        # Temporary tables get no statistics of their own; the joins need the row count and the keys'.
        cursor.execute("ANALYZE kyodo_import_rows (row_no, key, relationship)")
