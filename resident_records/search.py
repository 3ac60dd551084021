"""Resident search at the counter: name (kanji or kana), birth date (和暦 or 西暦), address, 宛名番号.

Name input is normalised with the same function that builds the stored keys (``common.text``): full/half
width and hiragana/katakana do not matter, nor do spaces. Criteria combine with AND.

Index use (migration 0003):
* a name or address of three characters or more is a partial match (``LIKE '%…%'``) served by the pg_trgm
  GIN indexes;
* one or two characters contain no trigram, so PostgreSQL could only scan the whole table. A short name
  therefore matches the *start* of the name (family name first, served by the ``varchar_pattern_ops``
  indexes) or a given name exactly (btree). A short address alone would match most of a town and has no
  usable index: it must be combined with another criterion.

The caller (view or API) writes the audit row of the search with its purpose (issue 3 §9); this module only
reads.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import jaconv
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from common.errors import ValidationFailed
from common.text import normalize_code_input, normalize_search_text
from common.wareki import WarekiError, get_eras, parse_wareki
from resident_records import numbering
from resident_records.models import Resident, ResidentStatus

MIN_PARTIAL_LENGTH = 3  # pg_trgm needs one whole trigram in the pattern to use its index
MAX_LIMIT = 500
MAX_QUERY_LENGTH = 100


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
        # 住民記録システム標準仕様書 §1.1.13: the last digit is a modulus-11 check digit (DOMAIN.md §3).
        raise InvalidSearch(
            "宛名番号の検査数字(末尾の1桁)が一致しません。番号を確認してください。",
            code="invalid_atena_number",
            details={"atena_number": text},
        )
    return number


def _address_variants(text: str) -> set[str]:
    # Addresses are kept as typed, so look for the clerk's text, its NFKC form and full-width digits alike.
    plain = "".join(text.split())
    nfkc = unicodedata.normalize("NFKC", plain)
    return {plain, nfkc, jaconv.h2z(nfkc, kana=False, ascii=False, digit=True)}


def _name_filter(key: str) -> Q:
    if len(key) >= MIN_PARTIAL_LENGTH:
        return Q(search_name__contains=key) | Q(search_kana__contains=key)
    # Too short for a trigram: the start of the name (family name) or a whole given name.
    return Q(search_name__startswith=key) | Q(search_kana__startswith=key) | Q(given_name=key) | Q(given_name_kana=key)


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
    residents = Resident.objects.all()
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
        variants = _address_variants(address)
        if min(len(v) for v in variants) < MIN_PARTIAL_LENGTH and not (query or birth_date or atena_number):
            raise InvalidSearch(
                "住所だけで検索するときは3文字以上で入力してください(短い地名は氏名や生年月日と組み合わせてください)。",
                code="address_too_short",
            )
        address_q = Q()
        for variant in variants:
            address_q |= Q(address__contains=variant)
        residents = residents.filter(address_q)
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


def first_page(residents: QuerySet[Resident], limit: int) -> QuerySet[Resident]:
    """The first ``limit`` rows of a search, as one statement that sorts narrow rows only.

    A common family name matches thousands of residents in a large town, and all of them must be sorted
    to find the first page; sorting just (id, sort keys) in a subquery and then reading the ``limit``
    whole rows is markedly faster than sorting whole rows (measured with ``manage.py bench
    resident_search``).
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidSearch(f"表示件数は1〜{MAX_LIMIT}件で指定してください。", code="invalid_limit")
    page = residents.values("pk")[:limit]
    return (
        Resident.objects.filter(pk__in=page)
        .annotate(relevance=residents.query.annotations["relevance"])
        .order_by(*residents.query.order_by)
    )
