"""Resident search at the counter: name (kanji or kana), birth date (和暦 or 西暦), address, 宛名番号.

Name input is normalised with the same function that builds the stored keys (``common.text``): full/half
width and hiragana/katakana do not matter, nor do spaces. Criteria combine with AND. A name or an address
matches anywhere inside it, whatever its length — a single kanji such as 美 included (docs/performance.md).

Index use (migration 0007_search_grams, docs/search.md):
* the search's grams are the 1- and 2-character n-grams of a resident's normalised name, furigana and address keys,
  computed by the database from the three key columns (``kyodo_search_grams``, migration 0011) whoever writes the
  row — a service (``services.search_keys`` sets the keys), the bulk loader, the CSV import — and kept only in a
  GIN index of core PostgreSQL (``array_ops``) over that expression (``models.SearchGrams``): no contrib
  extension, so the embedded server without pg_trgm is served as well as a server PostgreSQL;
* a query of one or two characters is one gram: ``kyodo_search_grams(…) @> '{gram}'`` is the whole, exact
  condition;
* a longer query needs all of its 2-grams (a GIN intersection), and the exact ``LIKE '%…%'`` re-checks the
  few candidates;
* a 宛名番号 is an exact match on its unique index; a birth date a range on the ``birth_date`` btree.

The caller (view or API) writes the audit row of the search with its purpose (docs/domain/resident_register.md); this
module only
reads.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import jaconv
from django.db import connection, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from common.errors import ValidationFailed
from common.text import normalize_code_input, normalize_search_text
from common.wareki import WarekiError, get_eras, parse_wareki, to_wareki
from resident_records import numbering
from resident_records.models import Resident, ResidentStatus, ResidentType, SearchGrams

MIN_ADDRESS_ONLY_LENGTH = 2  # a single character of an address alone matches most of a town
MAX_LIMIT = 500
MAX_QUERY_LENGTH = 100
NAME_GRAM = "n"  # prefix of a name or furigana gram
ADDRESS_GRAM = "a"  # prefix of an address gram


class InvalidSearch(ValidationFailed):
    code = "invalid_search"
    message = "検索条件が正しくありません。"


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date


_ERA_YEAR_RE = re.compile(r"(?P<era>[^0-9]+?)(?P<year>[0-9]{1,2}|元)年?")
_LETTER_YEAR_RE = re.compile(r"(?P<letter>[A-Za-z])(?P<year>[0-9]{1,2}|元)")
_GREGORIAN_YEAR_RE = re.compile(r"(?P<year>[0-9]{4})年?")


def parse_birth_date(text: str) -> DateRange:
    """A day (「昭和55年4月1日」, 「S55.4.1」, 「1980-04-01」) or a whole year (「昭和55年」, 「S55」, 「1980」)."""
    compact = "".join(unicodedata.normalize("NFKC", text).split())
    year_range = _year_range(compact)
    if year_range is not None:
        return year_range
    try:
        day = parse_wareki(compact)
    except WarekiError as exc:
        raise InvalidSearch(
            f"生年月日: {exc.message}", code="invalid_birth_date", details={"birth_date": text}
        ) from exc
    return DateRange(day, day)


def _year_range(compact: str) -> DateRange | None:
    if match := _GREGORIAN_YEAR_RE.fullmatch(compact):
        year = int(match["year"])
        if year < 1868:
            raise InvalidSearch("生年月日の年が正しくありません。", code="invalid_birth_date")
        return DateRange(date(year, 1, 1), date(year, 12, 31))
    eras = get_eras()
    if match := _LETTER_YEAR_RE.fullmatch(compact):
        index = next((i for i, e in enumerate(eras) if e.letter.upper() == match["letter"].upper()), None)
    elif match := _ERA_YEAR_RE.fullmatch(compact):
        index = next((i for i, e in enumerate(eras) if e.name == match["era"]), None)
    else:
        return None
    if index is None:
        raise InvalidSearch(f"不明な元号です: 「{compact}」", code="invalid_birth_date")
    era = eras[index]
    number = 1 if match["year"] == "元" else int(match["year"])
    # The era's own span only: 昭和64年 is 1989-01-01..01-07, 平成元年 1989-01-08..12-31.
    era_end = eras[index + 1].start - timedelta(days=1) if index + 1 < len(eras) else date.max
    first = max(date(era.start.year + number - 1, 1, 1), era.start)
    last = min(date(era.start.year + number - 1, 12, 31), era_end)
    if number < 1 or first > last:
        raise InvalidSearch(f"{era.name}{number}年という年はありません。", code="invalid_birth_date")
    return DateRange(first, last)


def parse_atena_number(text: str) -> str:
    """宛名番号 as printed (11 digits with the check digit); leading zeros may be omitted."""
    digits = normalize_code_input(text)
    if not digits.isdigit() or len(digits) > numbering.BODY_DIGITS + 1:
        raise InvalidSearch("宛名番号は11桁以内の数字で入力してください。", code="invalid_atena_number")
    number = digits.zfill(numbering.BODY_DIGITS + 1)
    if not numbering.is_valid_number(number):
        # 住民記録システム標準仕様書 §1.1.13: the last digit is a modulus-11 check digit (docs/domain/check_digits.md).
        raise InvalidSearch(
            "宛名番号の検査数字(末尾の1桁)が一致しません。番号を確認してください。",
            code="invalid_atena_number",
            details={"atena_number": text},
        )
    return number


# --- n-grams -------------------------------------------------------------------------------------------


def _grams(prefix: str, text: str) -> set[str]:
    """Every 1- and 2-character gram of ``text``, prefixed by the field kind."""
    grams = {prefix + ch for ch in text}
    grams.update(prefix + text[i : i + 2] for i in range(len(text) - 1))
    return grams


def address_key(address: str) -> str:
    """An address as the search compares it: NFKC (全角数字・ハイフン→半角), no spaces, case-folded."""
    return normalize_search_text(address)


def index_grams(*, search_name: str, search_kana: str, address: str) -> list[str]:
    """The grams of one resident, distinct and sorted: the reference the database's ``kyodo_search_grams`` is
    tested against (the index holds the same grams; migration 0011) and what migration 0007 filled the former
    column with."""
    grams = _grams(NAME_GRAM, search_name) | _grams(NAME_GRAM, search_kana) | _grams(ADDRESS_GRAM, address_key(address))
    return sorted(grams)


def _query_grams(prefix: str, key: str) -> list[str]:
    """The grams a stored key must hold to contain ``key``: the key itself up to two characters, else its 2-grams
    (the 1-grams add nothing once every 2-gram is required)."""
    if len(key) <= 2:
        return [prefix + key]
    return sorted({prefix + key[i : i + 2] for i in range(len(key) - 1)})


def _address_variants(text: str) -> set[str]:
    # Addresses written before input was normalised may hold full-width digits: look for the clerk's text,
    # its NFKC form and full-width digits alike.
    variants: set[str] = set()
    # Stored addresses keep single spaces (validation.normalize_address): the clerk's spacing is tried as well.
    for plain in ("".join(text.split()), " ".join(text.split())):
        nfkc = unicodedata.normalize("NFKC", plain)
        variants |= {plain, nfkc, jaconv.h2z(nfkc, kana=False, ascii=False, digit=True)}
    return variants


def _name_filter(key: str) -> Q:
    condition = Q(search_grams__contains=_query_grams(NAME_GRAM, key))
    if len(key) <= 2:
        return condition  # one gram: the containment is the exact answer
    return condition & (Q(search_name__contains=key) | Q(search_kana__contains=key))


def _address_filter(text: str) -> Q:
    key = address_key(text)
    condition = Q(search_grams__contains=_query_grams(ADDRESS_GRAM, key))
    if len(key) <= 2:
        return condition
    exact = Q()
    for variant in _address_variants(text):
        exact |= Q(address__contains=variant)
    return condition & exact


def build_search(
    *,
    query: str = "",
    birth_date: str = "",
    address: str = "",
    atena_number: str = "",
    include_removed: bool = False,
) -> QuerySet[Resident]:
    """The search as a QuerySet (ordered), for callers that paginate or stream."""
    query, birth_date, address, atena_number = (v.strip() for v in (query, birth_date, address, atena_number))
    if not (query or birth_date or address or atena_number):
        raise InvalidSearch(
            "検索条件を入力してください(氏名・フリガナ、生年月日、住所、宛名番号のいずれか)。",
            code="search_criteria_required",
        )
    if max(len(query), len(address)) > MAX_QUERY_LENGTH:
        raise InvalidSearch(f"検索語は{MAX_QUERY_LENGTH}文字以内で入力してください。", code="search_too_long")
    # The index expression itself, so that the GIN index over it serves the conditions (models.Resident).
    residents = Resident.objects.alias(search_grams=SearchGrams())
    if not include_removed:
        # 除票 (転出・死亡・消除) are shown only when the clerk asks for them.
        residents = residents.filter(status=ResidentStatus.RESIDENT)
    relevance: Case | Value = Value(0)
    if query:
        key = normalize_search_text(query)
        if not key:
            raise InvalidSearch("氏名・フリガナを入力してください。", code="search_criteria_required")
        residents = residents.filter(_name_filter(key))
        # Relevance: the whole name as typed, then names starting with it (the family name), then the rest.
        relevance = Case(
            When(Q(search_kana=key) | Q(search_name=key), then=Value(0)),
            When(Q(search_kana__startswith=key) | Q(search_name__startswith=key), then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    if birth_date:
        span = parse_birth_date(birth_date)
        residents = residents.filter(birth_date__range=(span.first, span.last))
    if address:
        if len(address_key(address)) < MIN_ADDRESS_ONLY_LENGTH and not (query or birth_date or atena_number):
            raise InvalidSearch(
                "住所だけで検索するときは2文字以上で入力してください(1文字の地名は氏名や生年月日と組み合わせてください)。",
                code="address_too_short",
            )
        if not address_key(address):
            raise InvalidSearch("住所を入力してください。", code="search_criteria_required")
        residents = residents.filter(_address_filter(address))
    if atena_number:
        residents = residents.filter(atena_number=parse_atena_number(atena_number))
    # Best name matches first, then in furigana order as on the clerk's list (宛名番号 breaks ties).
    return residents.annotate(relevance=relevance).order_by("relevance", "search_kana", "atena_number")


def search_residents(
    *,
    query: str = "",
    birth_date: str = "",
    address: str = "",
    atena_number: str = "",
    include_removed: bool = False,
    limit: int = 50,
) -> list[Resident]:
    """Residents matching every criterion given, at most ``limit`` (1–500)."""
    residents = build_search(
        query=query,
        birth_date=birth_date,
        address=address,
        atena_number=atena_number,
        include_removed=include_removed,
    )
    return list(first_page(residents, limit))


def first_page(residents: QuerySet[Resident], limit: int, *, offset: int = 0) -> QuerySet[Resident]:
    """The ``limit`` rows of a search from ``offset``, as one statement that sorts narrow rows only.

    A common family name matches thousands of residents in a large town, and all of them must be sorted
    to find the first page; sorting just (id, sort keys) in a subquery and then reading the ``limit``
    whole rows is markedly faster than sorting whole rows (measured with ``manage.py bench
    resident_search``).
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidSearch(f"表示件数は1〜{MAX_LIMIT}件で指定してください。", code="invalid_limit")
    page = residents.values("pk")[offset : offset + limit]
    ordered = Resident.objects.filter(pk__in=page)
    if "relevance" in residents.query.annotations:
        ordered = ordered.annotate(relevance=residents.query.annotations["relevance"])
    return ordered.order_by(*residents.query.order_by)


# --- the clerk's result list -------------------------------------------------------------------------

# Beyond this many matches the list says 「1000件以上」 and the clerk narrows the search: counting and ranking every
# one of 30,000 holders of a common kanji would read 30,000 rows for a page of 100.
COUNT_CAP = 1_000
ROW_FIELDS = ("pk", "atena_number", "family_name", "given_name", "family_name_kana", "given_name_kana",
               "birth_date", "address", "address_detail", "status", "resident_type")  # fmt: skip
_STATUS_LABELS: dict[str, str] = {str(value): str(label) for value, label in ResidentStatus.choices}


@dataclass(frozen=True)
class SearchRow:
    """One line of the result list, formatted once here so that the template does no per-row work."""

    pk: int
    atena_number: str
    full_name: str
    full_name_kana: str
    birth_date: str
    address: str
    status: str
    status_label: str
    protected: bool = False  # a 支援措置 covers the resident: the list shows the banner (selectors.find_resident_page)


@dataclass(frozen=True)
class SearchPage:
    """One page of a search: 「{total}件中{shown}件を表示」 and the rows of that page."""

    total: int
    capped: bool  # more than COUNT_CAP matched; ``total`` is the cap
    page: int
    per_page: int
    rows: list[SearchRow]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1 if self.rows else 0

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _birth_text(day: date, resident_type: str, cache: dict[tuple[date, bool], str]) -> str:
    # 標準仕様書 §1.1.9: 和暦, except a foreign resident's birth date, in 西暦 (docs/domain/resident_register.md).
    western = resident_type == ResidentType.FOREIGN
    if (day, western) not in cache:
        cache[day, western] = f"{day.year}年{day.month}月{day.day}日" if western else to_wareki(day)
    return cache[day, western]


# PostgreSQL estimates an array containment as cheap to test row by row, so for a frequent gram (「ヤマ」, 「子」)
# it prefers reading the table until 1,001 rows matched over the GIN index — each row's test walks a ~100-gram
# array, and the scan reads tens of thousands of rows. Inside the search's own transaction the planner is
# told to take an index (measured with ``manage.py bench resident_search``; docs/search.md).
PLANNER_SETTING = "SET LOCAL enable_seqscan = off"


@contextmanager
def gram_plans() -> Iterator[Any]:
    """A transaction whose statements plan with PLANNER_SETTING, and the cursor to run them on."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(PLANNER_SETTING)
        yield cursor


def ranked_keys(residents: QuerySet[Resident]) -> QuerySet[Resident, tuple[Any, ...]]:
    """Up to COUNT_CAP + 1 matches as (relevance, furigana key, *ROW_FIELDS) tuples, in no order: one pass over
    the index's matches gives the count, the ranking and the displayed columns of a page (``search_page``).

    The displayed columns ride along with the sort keys: the heap page of each match is read anyway, and taking
    them there spares the page's rows a second visit through the primary key (about 4 buffers a row; docs/search.md).
    """
    narrow = residents.order_by().values_list("relevance", "search_kana", *ROW_FIELDS)
    return narrow[: COUNT_CAP + 1]


def page_rows(ids: list[int]) -> QuerySet[Resident, dict[str, Any]]:
    """The displayed columns of the residents of one page (in no order; ``search_page`` orders them)."""
    return Resident.objects.filter(pk__in=ids).values(*ROW_FIELDS)


_ROW_NAMES = ", ".join(f'"{"id" if name == "pk" else name}"' for name in ROW_FIELDS)
_ROW_COLUMNS = ", ".join(f'r."{"id" if name == "pk" else name}"' for name in ROW_FIELDS)


def page_statement(residents: QuerySet[Resident], *, page: int, per_page: int) -> tuple[str, list[Any]]:
    """The whole result page as one statement: the capped narrow matches (``ranked_keys``), their count, the
    page number clamped to the last page, and the displayed columns of that page's rows in ranking order.

    Counting, ranking and paging in the database spares the round trips of a second statement and the
    transfer and sorting of up to COUNT_CAP + 1 tuples in Python for every search. The ranking is the list's:
    best name match, then furigana, then 宛名番号 (``COLLATE "C"``: code point order, whatever the database's
    collation). Columns: total, first (rows before the page), then ROW_FIELDS; one row with NULL columns when
    nothing matched.
    """
    keys_sql, keys_params = ranked_keys(residents).query.sql_with_params()
    sql = (
        f"WITH matches (relevance, search_kana, {_ROW_NAMES}) AS MATERIALIZED ({keys_sql}), "  # noqa: S608
        "counted AS (SELECT count(*) AS total FROM matches), "
        "bounds AS (SELECT total, (LEAST(%s, GREATEST(1, CEIL(LEAST(total, %s)::numeric / %s)::int)) - 1) * %s "
        "AS first FROM counted), "
        'ranked AS (SELECT matches.*, row_number() OVER (ORDER BY relevance, search_kana COLLATE "C", '
        'atena_number COLLATE "C", id) AS place FROM matches) '
        f"SELECT bounds.total, bounds.first, {_ROW_COLUMNS} FROM bounds "
        "LEFT JOIN ranked r ON r.place > bounds.first AND r.place <= LEAST(bounds.first + %s, %s) "
        "ORDER BY r.place"
    )
    return sql, [*keys_params, page, COUNT_CAP, per_page, per_page, per_page, COUNT_CAP]


def search_page(
    *,
    query: str = "",
    birth_date: str = "",
    address: str = "",
    atena_number: str = "",
    include_removed: bool = False,
    page: int = 1,
    per_page: int = 100,
) -> SearchPage:
    """The ``page``-th page of the residents matching every criterion, with how many matched in all."""
    residents = build_search(
        query=query,
        birth_date=birth_date,
        address=address,
        atena_number=atena_number,
        include_removed=include_removed,
    )
    if page < 1:
        raise InvalidSearch("ページの指定が正しくありません。", code="invalid_page")
    sql, params = page_statement(residents, page=page, per_page=per_page)
    with gram_plans() as cursor:
        # One statement: the narrow read of the matches stopped after the cap gives the count, the ranking and
        # the page's rows. Beyond the cap (a common kanji matches tens of thousands) the first COUNT_CAP the
        # index yields are ranked, and the list says so.
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    matched, first = fetched[0][0], fetched[0][1]
    capped = matched > COUNT_CAP
    total = min(matched, COUNT_CAP)
    page = first // per_page + 1
    found = [dict(zip(ROW_FIELDS, row[2:], strict=True)) for row in fetched if row[2] is not None]
    dates: dict[tuple[date, bool], str] = {}
    rows = [
        SearchRow(
            pk=r["pk"],
            atena_number=r["atena_number"],
            full_name=f"{r['family_name']} {r['given_name']}",
            full_name_kana=f"{r['family_name_kana']} {r['given_name_kana']}",
            birth_date=_birth_text(r["birth_date"], r["resident_type"], dates),
            address=f"{r['address']} {r['address_detail']}".strip(),
            status=r["status"],
            status_label=_STATUS_LABELS.get(r["status"], r["status"]),
        )
        for r in found
    ]
    return SearchPage(total=total, capped=capped, page=page, per_page=per_page, rows=rows)
