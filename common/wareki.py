"""Japanese era (和暦) formatting and parsing.

Certificates and screens show dates in 和暦 (住民記録 standard §1.1.9, docs/domain/eras.md). The era table is
data, not code (standard §1.3.6): ``DEFAULT_ERAS`` can be replaced by ``settings.KYODO_ERAS`` so that a new
era is added without a release, and every function takes an optional ``eras=`` table for tests.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, timedelta
from itertools import pairwise
from typing import Any

__all__ = [
    "DEFAULT_ERAS",
    "GREGORIAN_ADOPTION_DATE",
    "Era",
    "WarekiError",
    "get_eras",
    "parse_wareki",
    "to_wareki",
    "wareki_year",
]


class WarekiError(ValueError):
    """A date that cannot be written or read as 和暦. ``code`` is stable; the message is Japanese."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Era:
    """One era of the era master.

    ``shares_first_day`` is True when the previous era also ends on ``start``: 大正 and 昭和 began on the day
    of 改元, so 明治45年7月30日 and 大正元年7月30日 are the same valid day, whereas 平成 began the day after
    昭和64年1月7日 (docs/domain/eras.md). Formatting always uses the newer era.
    """

    name: str
    letter: str
    start: date
    shares_first_day: bool = False


DEFAULT_ERAS: tuple[Era, ...] = (
    Era("明治", "M", date(1868, 10, 23)),
    Era("大正", "T", date(1912, 7, 30), shares_first_day=True),
    Era("昭和", "S", date(1926, 12, 25), shares_first_day=True),
    Era("平成", "H", date(1989, 1, 8)),
    Era("令和", "R", date(2019, 5, 1)),
)

# 明治 dates before 明治6年1月1日 (1873-01-01) are lunisolar; converting them needs a lunar table we do
# not hold, so both directions refuse them rather than give a wrong day (docs/domain/eras.md).
GREGORIAN_ADOPTION_DATE = date(1873, 1, 1)

_WEEKDAYS = "月火水木金土日"
_FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
_EXAMPLES = "例: 令和8年4月1日、R8.4.1、2026-04-01"

# Input is NFKC-normalised and stripped of all whitespace first, so full-width digits, letters, separators,
# parentheses and the era ligatures (㍻, ㋿) arrive here as ASCII / plain kanji.
_WEEKDAY_SUFFIX = r"(?:\((?P<weekday>[月火水木金土日])(?:曜日?)?\))?"
_KANJI_ERA_RE = re.compile(
    r"(?P<era>[^0-9]+?)(?P<year>[0-9]+|元)年(?P<month>[0-9]+)月(?P<day>[0-9]+)日" + _WEEKDAY_SUFFIX
)
_LETTER_ERA_RE = re.compile(
    r"(?P<letter>[A-Za-z])(?P<year>[0-9]+|元)(?P<sep>[./-])(?P<month>[0-9]{1,2})(?P=sep)(?P<day>[0-9]{1,2})"
    + _WEEKDAY_SUFFIX
)
_GREGORIAN_RES = (
    re.compile(r"(?P<year>[0-9]{4})(?P<sep>[./-])(?P<month>[0-9]{1,2})(?P=sep)(?P<day>[0-9]{1,2})" + _WEEKDAY_SUFFIX),
    re.compile(r"(?P<year>[0-9]{4})年(?P<month>[0-9]{1,2})月(?P<day>[0-9]{1,2})日" + _WEEKDAY_SUFFIX),
)


def get_eras() -> tuple[Era, ...]:
    """The era master: ``settings.KYODO_ERAS`` when defined, else ``DEFAULT_ERAS``.

    Read on every call (no cache) so that an era added in settings, or overridden in a test, takes effect.
    ``KYODO_ERAS`` is a list of ``{"name", "letter", "start": "YYYY-MM-DD"}`` dicts, optionally with
    ``"shares_first_day": True``.
    """
    try:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured
    except ImportError:
        return DEFAULT_ERAS
    try:
        raw: Any = getattr(settings, "KYODO_ERAS", None)
    except ImproperlyConfigured:
        # Django not configured (plain scripts, pure-function tests): the built-in table applies.
        return DEFAULT_ERAS
    if raw is None:
        return DEFAULT_ERAS
    try:
        return _validated(tuple(_era_from_setting(item) for item in raw))
    except (TypeError, ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"settings.KYODO_ERAS が不正です: {exc}") from exc


def to_wareki(
    d: date,
    *,
    fullwidth: bool = False,
    with_weekday: bool = False,
    eras: Sequence[Era] | None = None,
) -> str:
    """Format ``d`` as 和暦, e.g. ``令和8年4月1日``; the first year prints as 元年 (令和元年5月1日).

    ``fullwidth=True`` gives full-width digits as on koseki certificates (``昭和３４年６月１日``).
    ``with_weekday=True`` appends the weekday in full-width parentheses (``令和8年4月1日（水）``).
    """
    table = _table(eras)
    era = _era_for(d, table)
    text = f"{era.name}{_year_label(d.year - era.start.year + 1)}年{d.month}月{d.day}日"
    if with_weekday:
        text += f"（{_WEEKDAYS[d.weekday()]}）"
    return text.translate(_FULLWIDTH_DIGITS) if fullwidth else text


def wareki_year(d: date, *, fullwidth: bool = False, eras: Sequence[Era] | None = None) -> str:
    """The 和暦 year of ``d``, e.g. ``令和8年`` or ``令和元年`` (for fiscal-year headings)."""
    table = _table(eras)
    era = _era_for(d, table)
    text = f"{era.name}{_year_label(d.year - era.start.year + 1)}年"
    return text.translate(_FULLWIDTH_DIGITS) if fullwidth else text


def parse_wareki(text: str, *, eras: Sequence[Era] | None = None) -> date:
    """Read a date typed by a clerk.

    Accepts 和暦 (``令和元年5月1日``, ``令和1年5月1日``, ``令和８年４月１日``), the letter forms (``R8.4.1``,
    ``h31/04/30``, ``Ｓ６４－１－７``; separators ``.``, ``/``, ``-``) and Gregorian (``2026-04-01``,
    ``2026/4/1``, ``2026年4月1日``). Spaces anywhere are ignored and a trailing weekday such as ``（水）`` is
    checked. An era date must lie inside its era: 平成31年5月1日 and 令和1年4月30日 are rejected.
    """
    table = _table(eras)
    compact = "".join(unicodedata.normalize("NFKC", text).split())

    for pattern in _GREGORIAN_RES:
        if match := pattern.fullmatch(compact):
            # No era is involved, so any real Gregorian date is accepted as typed.
            result = _make_date(int(match["year"]), match["month"], match["day"], text)
            return _check_weekday(result, match["weekday"], text)

    era: Era | None
    if match := _KANJI_ERA_RE.fullmatch(compact):
        era = next((e for e in table if e.name == match["era"]), None)
        if era is None:
            raise WarekiError(f"不明な元号です: 「{match['era']}」", code="unknown_era")
    elif match := _LETTER_ERA_RE.fullmatch(compact):
        letter = match["letter"].upper()
        era = next((e for e in table if e.letter.upper() == letter), None)
        if era is None:
            raise WarekiError(f"不明な元号の略号です: 「{match['letter']}」", code="unknown_era")
    else:
        raise WarekiError(f"日付として読み取れません: 「{text}」（{_EXAMPLES}）", code="unparseable")

    year = 1 if match["year"] == "元" else int(match["year"])
    if year == 0:
        raise WarekiError(
            f"{era.name}0年という年はありません（最初の年は元年または1年です）: 「{text}」", code="year_zero"
        )
    result = _make_date(era.start.year + year - 1, match["month"], match["day"], text)
    label = f"{era.name}{_year_label(year)}年{int(match['month'])}月{int(match['day'])}日"
    _check_gregorian(result, label)
    _check_within_era(result, era, table, label)
    return _check_weekday(result, match["weekday"], text)


def _table(eras: Sequence[Era] | None) -> tuple[Era, ...]:
    return get_eras() if eras is None else _validated(tuple(eras))


def _validated(table: tuple[Era, ...]) -> tuple[Era, ...]:
    if not table:
        raise ValueError("元号表が空です。")
    for older, newer in pairwise(table):
        if newer.start <= older.start:
            raise ValueError(f"元号表は開始日の昇順に並べてください: {older.name} → {newer.name}")
    names = [e.name for e in table]
    letters = [e.letter.upper() for e in table]
    if len(set(names)) != len(names) or len(set(letters)) != len(letters):
        raise ValueError("元号名と略号は重複できません。")
    for e in table:
        if not e.name or any(c.isdigit() or c.isspace() for c in e.name):
            raise ValueError(f"元号名に数字や空白は使えません: 「{e.name}」")
        if not re.fullmatch(r"[A-Za-z]", e.letter):
            raise ValueError(f"略号は英字1文字にしてください: 「{e.letter}」")
    return table


def _era_from_setting(item: Mapping[str, Any]) -> Era:
    start = item["start"]
    return Era(
        name=str(item["name"]),
        letter=str(item["letter"]),
        start=start if isinstance(start, date) else date.fromisoformat(str(start)),
        shares_first_day=bool(item.get("shares_first_day", False)),
    )


def _era_for(d: date, table: tuple[Era, ...]) -> Era:
    first = table[0]
    if d < first.start:
        raise WarekiError(
            f"{d.isoformat()}は{first.name}（{first.start.isoformat()} 開始）より前のため、和暦に変換できません。",
            code="before_first_era",
        )
    _check_gregorian(d, d.isoformat())
    return [e for e in table if e.start <= d][-1]


def _check_gregorian(d: date, label: str) -> None:
    if d < GREGORIAN_ADOPTION_DATE:
        raise WarekiError(
            f"{label}は明治6年1月1日（1873-01-01）の太陽暦採用より前の日付です。"
            "それ以前は太陰太陽暦のため、和暦の変換には対応していません。",
            code="before_gregorian_calendar",
        )


def _check_within_era(d: date, era: Era, table: tuple[Era, ...], label: str) -> None:
    if d < era.start:
        raise WarekiError(
            f"{label}は存在しません（{era.name}は{_era_day_label(era, era.start)}に始まりました）。",
            code="outside_era",
        )
    later = [e for e in table if e.start > era.start]
    if later:
        successor = later[0]
        last_day = successor.start if successor.shares_first_day else successor.start - timedelta(days=1)
        if d > last_day:
            raise WarekiError(
                f"{label}は存在しません（{era.name}は{_era_day_label(era, last_day)}で終わりました）。",
                code="outside_era",
            )


def _era_day_label(era: Era, d: date) -> str:
    return f"{era.name}{_year_label(d.year - era.start.year + 1)}年{d.month}月{d.day}日"


def _make_date(year: int, month: str, day: str, text: str) -> date:
    # The patterns accept any number of digits (a clerk may type 令和０８年); an absurd year such as a 20-digit
    # one must be a clear error, never an OverflowError from date() (a server error).
    if not MINYEAR <= year <= MAXYEAR:
        raise WarekiError(f"年の値が大きすぎます: 「{text}」（{_EXAMPLES}）", code="year_out_of_range")
    try:
        return date(year, int(month), int(day))
    except (ValueError, OverflowError):
        raise WarekiError(f"存在しない日付です: 「{text}」", code="invalid_date") from None


def _check_weekday(d: date, weekday: str | None, text: str) -> date:
    if weekday is not None and weekday != _WEEKDAYS[d.weekday()]:
        raise WarekiError(
            f"曜日が日付と一致しません: 「{text}」（正しくは{_WEEKDAYS[d.weekday()]}曜日）",
            code="weekday_mismatch",
        )
    return d


def _year_label(year: int) -> str:
    # The first year of an era is written 元年 on official documents (docs/domain/eras.md).
    return "元" if year == 1 else str(year)
